// Deleting a topic removes its committed offsets from every group (Kafka's
// handleDeletedPartitions), so a topic created again under the same name starts with no
// committed offsets, while the group's offsets of other topics stay.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

describe('offsets of a deleted topic', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;
  let c: KafkaConnection;

  before(async () => {
    broker = await startBrokerProcess();
    c = await KafkaConnection.connect('127.0.0.1', broker.port);
  });

  after(async () => {
    c.close();
    await broker.stop();
    removeDir(broker.dataDir);
  });

  const create = async (name: string) => {
    const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(r.topics[0]!.errorCode, ErrorCode.NONE);
  };
  const committed = async (topic: string) => {
    const r = await c.request(ApiKey.OffsetFetch, 7, { groupId: 'keeper', topics: [{ name: topic, partitionIndexes: [0] }] });
    return r.topics[0]!.partitions[0]!.committedOffset;
  };

  it('removes them and keeps the others', async () => {
    await create('doomed');
    await create('kept');
    // A "simple" commit (generation -1, no member), as tools and manual-assignment consumers make.
    const commit = await c.request(ApiKey.OffsetCommit, 8, {
      groupId: 'keeper',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: ['doomed', 'kept'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 42 }] })),
    });
    for (const t of commit.topics) assert.equal(t.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal(await committed('doomed'), 42);

    const deleted = await c.request(ApiKey.DeleteTopics, 6, { topics: [{ name: 'doomed' }], timeoutMs: 5000 });
    assert.equal(deleted.responses[0]!.errorCode, ErrorCode.NONE);
    await create('doomed');
    assert.equal(await committed('doomed'), -1, 'the new topic of the same name has no committed offset');
    assert.equal(await committed('kept'), 42, "other topics' offsets stay");
  });
});
