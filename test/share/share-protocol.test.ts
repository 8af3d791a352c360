// Share groups over the wire with Tidelog's own codecs (one broker process, real sockets):
// the rules a client library cannot easily be made to show.
//   - a record acquired and never acknowledged comes back, with delivery count 2, once its
//     acquisition lock (group.share.record.lock.duration.ms) expires, the holder's
//     connection still open;
//   - share sessions: epoch 0 opens, a wrong epoch is INVALID_SHARE_SESSION_EPOCH, an unknown
//     session SHARE_SESSION_NOT_FOUND, ShareAcknowledge cannot open one, acknowledgements in
//     an initial ShareFetch are INVALID_REQUEST, a foreign member's acknowledgement is
//     INVALID_RECORD_STATE;
//   - one group id is a share group or a classic group, not both (GROUP_ID_NOT_FOUND);
//   - FindCoordinator key type 2 (SHARE) finds a share-partition's share coordinator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { waitFor } from '../helpers/wait.js';
import { kafkaUuidString } from '../../src/share/share-state-store.js';
import { SHARE_BROKER_OVERRIDES } from './share-fixtures.js';

const TOPIC = 'share-proto';

describe('share groups over the wire', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  let a: KafkaConnection;
  let b: KafkaConnection;
  let topicId = '';

  const heartbeat = (conn: KafkaConnection, groupId: string, memberId: string, memberEpoch: number) =>
    conn.request(ApiKey.ShareGroupHeartbeat, 1, { groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames: memberEpoch === 0 ? [TOPIC] : null });
  const fetch = (conn: KafkaConnection, groupId: string, memberId: string, epoch: number, acks: { firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }[] = []) =>
    conn.request(ApiKey.ShareFetch, 2, {
      groupId,
      memberId,
      shareSessionEpoch: epoch,
      maxWaitMs: 200,
      minBytes: 1,
      maxBytes: 1 << 20,
      maxRecords: 100,
      batchSize: 100,
      topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }],
      forgottenTopicsData: [],
    });

  before(async () => {
    // A 1 s lock (the broker key's minimum) so that an expiry is quick to see.
    broker = await startBrokerProcess({ overrides: { ...SHARE_BROKER_OVERRIDES, 'group.share.record.lock.duration.ms': 1000, 'group.share.min.record.lock.duration.ms': 1000 } });
    const produced = await kcat(['-P', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0'], 'r0\nr1\nr2\n');
    assert.equal(produced.code, 0, produced.stderr);
    a = await KafkaConnection.connect('127.0.0.1', broker.port, 'share-a');
    b = await KafkaConnection.connect('127.0.0.1', broker.port, 'share-b');
    const md = await a.request(ApiKey.Metadata, 12, { topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    topicId = md.topics[0]!.topicId;
    const cfg = await a.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 32, resourceName: 'g-lock', configs: [{ name: 'share.auto.offset.reset', configOperation: 0, value: 'earliest' }] }], validateOnly: false });
    assert.equal(cfg.responses[0]!.errorCode, ErrorCode.NONE);
  });

  after(async () => {
    a?.close();
    b?.close();
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('an acquired record nobody acknowledges comes back after its lock expires', async () => {
    for (const [conn, m] of [[a, 'ma'], [b, 'mb']] as const) assert.equal((await heartbeat(conn, 'g-lock', m, 0)).errorCode, ErrorCode.NONE);
    const first = await fetch(a, 'g-lock', 'ma', 0);
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.equal(first.acquisitionLockTimeoutMs, 1000);
    assert.deepEqual(first.responses[0]!.partitions[0]!.acquiredRecords, [{ firstOffset: 0, lastOffset: 2, deliveryCount: 1 }]);
    // Member b gets nothing while a holds them; then, once the lock expired, all three again.
    const none = await fetch(b, 'g-lock', 'mb', 0);
    assert.deepEqual(none.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords)), []);
    let epoch = 1;
    let again: { firstOffset: number; lastOffset: number; deliveryCount: number }[] = [];
    await waitFor('the records to come back', async () => {
      const r = await fetch(b, 'g-lock', 'mb', epoch++);
      assert.equal(r.errorCode, ErrorCode.NONE);
      again = r.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords));
      return again.length > 0;
    }, { timeoutMs: 30_000, intervalMs: 50 });
    assert.deepEqual(again, [{ firstOffset: 0, lastOffset: 2, deliveryCount: 2 }]);
    // a's lock is gone: its acknowledgement is refused; b's is taken.
    const late = await fetch(a, 'g-lock', 'ma', 1, [{ firstOffset: 0, lastOffset: 2, acknowledgeTypes: [1] }]);
    assert.equal(late.responses[0]!.partitions[0]!.acknowledgeErrorCode, ErrorCode.INVALID_RECORD_STATE);
    const ack = await b.request(ApiKey.ShareAcknowledge, 2, { groupId: 'g-lock', memberId: 'mb', shareSessionEpoch: epoch++, isRenewAck: false, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0, lastOffset: 2, acknowledgeTypes: [1] }] }] }] });
    assert.equal(ack.errorCode, ErrorCode.NONE);
    assert.equal(ack.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const offsets = await a.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId: 'g-lock', topics: null }] });
    assert.deepEqual(offsets.groups[0]!.topics[0]!.partitions.map((p) => [p.partitionIndex, p.startOffset, p.lag]), [[0, 3, 0]]);
  });

  it('share session epochs as Kafka checks them', async () => {
    assert.equal((await heartbeat(a, 'g-sess', 'ms', 0)).errorCode, ErrorCode.NONE);
    assert.equal((await fetch(a, 'g-sess', 'ms', 0, [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [1] }])).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await fetch(a, 'g-sess', 'nobody', 3)).errorCode, ErrorCode.SHARE_SESSION_NOT_FOUND);
    assert.equal((await fetch(a, 'g-sess', 'ms', 0)).errorCode, ErrorCode.NONE);
    assert.equal((await fetch(a, 'g-sess', 'ms', 5)).errorCode, ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    assert.equal((await fetch(a, 'g-sess', 'ms', 1)).errorCode, ErrorCode.NONE);
    const ack0 = await a.request(ApiKey.ShareAcknowledge, 2, { groupId: 'g-sess', memberId: 'ms', shareSessionEpoch: 0, isRenewAck: false, topics: [] });
    assert.equal(ack0.errorCode, ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    // -1 closes the session; after it, the member has none.
    assert.equal((await fetch(a, 'g-sess', 'ms', -1)).errorCode, ErrorCode.NONE);
    assert.equal((await fetch(a, 'g-sess', 'ms', 2)).errorCode, ErrorCode.SHARE_SESSION_NOT_FOUND);
  });

  it('one group id is a share group or a classic group, not both', async () => {
    const join = await a.request(ApiKey.JoinGroup, 5, { groupId: 'g-sess', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
    assert.equal(join.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    const commit = await a.request(ApiKey.OffsetCommit, 2, { groupId: 'classic-g', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: '' }] }] });
    assert.equal(commit.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const hb = await heartbeat(a, 'classic-g', 'm', 0);
    assert.equal(hb.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.match(hb.errorMessage ?? '', /is not a share group/);
  });

  it('FindCoordinator key type 2 (SHARE, v6): the share coordinator of "<group>:<topic id>:<partition>"', async () => {
    const key = `g-lock:${kafkaUuidString(topicId)}:0`;
    const found = await a.request(ApiKey.FindCoordinator, 6, { keyType: 2, coordinatorKeys: [key, 'not-a-share-key'] });
    assert.deepEqual(found.coordinators.map((c) => [c.key, c.errorCode, c.port]), [[key, ErrorCode.NONE, broker.port], ['not-a-share-key', ErrorCode.INVALID_REQUEST, -1]]);
    const v5 = await a.request(ApiKey.FindCoordinator, 5, { keyType: 2, coordinatorKeys: [key] });
    assert.equal(v5.coordinators[0]!.errorCode, ErrorCode.INVALID_REQUEST, 'key type 2 needs v6');
  });
});
