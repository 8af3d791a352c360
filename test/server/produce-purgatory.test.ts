// produce.purgatory.max.appends against a real broker process: partition appends in flight
// (queued for the log, being written, or waiting for acks=-1) are bounded over the broker;
// one more is answered REQUEST_TIMED_OUT without being appended (an error code, never a
// throw), counted in /metrics, and appends are admitted again once the others finish.
// One Produce request to 30 partitions starts its 30 appends in one go, before any finishes,
// so with a bound of 10 exactly 10 are admitted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { scrapeMetric } from '../helpers/limits.js';

const MAX_APPENDS = 10;
const PARTITIONS = 30;
const TOPIC = 'limits-purgatory';

describe('produce.purgatory.max.appends', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;
  let c: KafkaConnection;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'produce.purgatory.max.appends': MAX_APPENDS } });
    c = await KafkaConnection.connect('127.0.0.1', broker.port);
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  });

  after(async () => {
    c.close();
    await broker.stop();
    removeDir(broker.dataDir);
  });

  const produce = async (partitions: number, acks: number) => {
    const response = await c.request(ApiKey.Produce, 9, {
      acks,
      timeoutMs: 5000,
      topicData: [{ name: TOPIC, partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records: recordBatch([{ value: `to ${index}` }]) })) }],
    });
    return response.responses[0]!.partitionResponses;
  };
  const refused = () => scrapeMetric(broker.adminUrl!, 'tidelog_produce_appends_refused_total', { limit: 'produce.purgatory.max.appends' });

  it('answers appends over the bound REQUEST_TIMED_OUT, appends nothing for them, and admits appends again after', async () => {
    for (const acks of [1, -1]) {
      const before = await refused();
      const results = await produce(PARTITIONS, acks);
      const admitted = results.filter((r) => r.errorCode === ErrorCode.NONE);
      const over = results.filter((r) => r.errorCode === ErrorCode.REQUEST_TIMED_OUT);
      assert.equal(admitted.length, MAX_APPENDS, `acks=${acks}`);
      assert.equal(over.length, PARTITIONS - MAX_APPENDS, `acks=${acks}`);
      for (const r of over) {
        assert.equal(r.baseOffset, -1);
        assert.match(r.errorMessage ?? '', /produce\.purgatory\.max\.appends=10/);
      }
      assert.equal((await refused()) - before, PARTITIONS - MAX_APPENDS);
    }
    // The refused appends left nothing in their partitions.
    const offsets = await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1 })) }] });
    assert.equal(offsets.topics[0]!.partitions.reduce((sum, p) => sum + p.offset, 0), 2 * MAX_APPENDS);
    // Within the bound, everything is admitted; nothing stays in flight.
    assert.ok((await produce(MAX_APPENDS, -1)).every((r) => r.errorCode === ErrorCode.NONE));
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_produce_appends_in_flight'), 0);
    assert.equal(await refused(), 2 * (PARTITIONS - MAX_APPENDS));
  });
});
