// ElectLeaders (API 43) on a single node (no zookeeper.connect): the broker leads every
// partition it has, so every known partition is ELECTION_NOT_NEEDED (left out when all
// partitions are asked for), unknown ones UNKNOWN_TOPIC_OR_PARTITION; ApiVersions lists v0-2.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

describe('ElectLeaders on a single node', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;
  let c: KafkaConnection;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'admin.listener': '' } });
    c = await KafkaConnection.connect('127.0.0.1', broker.port, 'elect-leaders-test');
    const r = await c.request(ApiKey.CreateTopics, 5, { topics: [{ name: 't', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(r.topics[0]!.errorCode, ErrorCode.NONE);
  });
  after(async () => {
    c?.close();
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('is listed by ApiVersions', async () => {
    const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    assert.deepEqual(r.apiKeys.find((k) => k.apiKey === ApiKey.ElectLeaders), { apiKey: ApiKey.ElectLeaders, minVersion: 0, maxVersion: 2 });
  });

  for (const version of [0, 1, 2]) {
    it(`v${version}: nothing to elect; unknown partitions are named`, async () => {
      const r = await c.request(ApiKey.ElectLeaders, version, { electionType: 0, topicPartitions: [{ topic: 't', partitions: [0, 1, 7] }, { topic: 'nope', partitions: [0] }], timeoutMs: 5000 });
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.deepEqual(
        r.replicaElectionResults.map((t) => [t.topic, t.partitionResult.map((p) => [p.partitionId, p.errorCode])]),
        [
          ['t', [[0, ErrorCode.ELECTION_NOT_NEEDED], [1, ErrorCode.ELECTION_NOT_NEEDED], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
          ['nope', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
        ],
      );
      const all = await c.request(ApiKey.ElectLeaders, version, { electionType: 0, topicPartitions: null, timeoutMs: 5000 });
      assert.deepEqual(all.replicaElectionResults, [], 'all partitions: elections not needed are left out');
    });
  }

  it('an unknown election type is INVALID_REQUEST', async () => {
    const r = await c.request(ApiKey.ElectLeaders, 2, { electionType: 5, topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 5000 });
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(r.replicaElectionResults[0]!.partitionResult[0]!.errorCode, ErrorCode.INVALID_REQUEST);
  });
});
