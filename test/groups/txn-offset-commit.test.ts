// TxnOffsetCommit on the wire, against a broker in this process (real sockets, our client and
// the generated codecs): offsets committed inside a transaction are invisible to OffsetFetch
// (UNSTABLE_OFFSET_COMMIT with requireStable) until the transaction's marker reaches the
// group's __consumer_offsets partition; COMMIT makes them the committed offsets, ABORT leaves
// the previous ones; the broker restarted over the same data keeps both kinds.
//
// The marker is written the way ReplicaManager will (Part B's writeTxnMarkers, when the
// broker has it) and then reported with GroupCoordinator.onTxnMarkerWritten, as
// ReplicaManager's callback will (a second report is a no-op). Without writeTxnMarkers the
// control batch goes into the log as a replica writes fetched batches (appendAsFollower at the
// log end), which the leader's producer-state checks do not see.
// Versions 0-4 only: v5 is transaction version 2, whose implicit add needs the coordinator.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startBroker, type EmbeddedBroker } from '../../src/embedded.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { GROUP_METADATA_TOPIC_NAME } from '../../src/groups/offsets-topic.js';
import type { Broker } from '../../src/broker/broker.js';

const TOPIC = 'txn-offsets';
const GROUP = 'txn-group';

/** Writes a transaction marker of the producer to an offsets partition as the coordinator does (the ISR has it, then the group coordinator hears of it). */
async function writeMarker(broker: Broker, partition: number, producerId: number, producerEpoch: number, commit: boolean): Promise<void> {
  const [result] = await broker.replicas.writeTxnMarkers([{ producerId, producerEpoch, coordinatorEpoch: 0, commit, partitions: [{ topic: GROUP_METADATA_TOPIC_NAME, partition }] }]);
  assert.equal(result!.partitions[0]!.errorCode, ErrorCode.NONE);
}

describe('TxnOffsetCommit on the wire', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-txn-offsets-'));
  let embedded: EmbeddedBroker;
  let c: KafkaConnection;

  async function start(): Promise<void> {
    // The group side alone: these producers have no transactional id at the transaction
    // coordinator, so KIP-890's verification of each TxnOffsetCommit with it is switched off
    // (test/broker/transactions-hostile.test.ts covers it).
    embedded = await startBroker({ dataDir, config: { 'offsets.topic.num.partitions': 3, 'transaction.partition.verification.enable': false } });
    c = await KafkaConnection.connect(embedded.host, embedded.port, 'txn-offsets-test');
  }

  async function stop(): Promise<void> {
    c.close();
    await embedded.close();
  }

  before(async () => {
    await start();
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    const found = await c.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [GROUP] });
    assert.equal(found.coordinators[0]!.errorCode, ErrorCode.NONE);
  });

  after(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const offsetsPartition = () => embedded.broker.groups.partitionFor(GROUP);

  async function newProducer(): Promise<{ producerId: number; producerEpoch: number }> {
    const r = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    assert.equal(r.errorCode, ErrorCode.NONE);
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }

  async function txnCommit(version: number, producer: { producerId: number; producerEpoch: number }, offset: number, overrides: { groupId?: string; generationId?: number; memberId?: string; topic?: string } = {}) {
    const r = await c.request(ApiKey.TxnOffsetCommit, version, {
      transactionalId: 'tx',
      groupId: overrides.groupId ?? GROUP,
      ...producer,
      generationIdOrMemberEpoch: overrides.generationId ?? -1,
      memberId: overrides.memberId ?? '',
      groupInstanceId: null,
      topics: [{ name: overrides.topic ?? TOPIC, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, committedOffset: offset + partitionIndex, committedLeaderEpoch: 0, committedMetadata: `m${offset}` })) }],
    });
    return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
  }

  /** OffsetFetch v7 (one group) or v8 (groups), both partitions: [offset, errorCode] each. */
  async function offsetFetch(version: 7 | 8, requireStable: boolean): Promise<[number, number][]> {
    const topics = [{ name: TOPIC, partitionIndexes: [0, 1] }];
    if (version === 7) {
      const r = await c.request(ApiKey.OffsetFetch, 7, { groupId: GROUP, topics, requireStable });
      assert.equal(r.errorCode, ErrorCode.NONE);
      return r.topics[0]!.partitions.map((p) => [p.committedOffset, p.errorCode]);
    }
    const r = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: GROUP, topics }], requireStable });
    assert.equal(r.groups[0]!.errorCode, ErrorCode.NONE);
    return r.groups[0]!.topics[0]!.partitions.map((p) => [p.committedOffset, p.errorCode]);
  }

  const NONE = ErrorCode.NONE;
  const UNSTABLE = ErrorCode.UNSTABLE_OFFSET_COMMIT;

  it('ApiVersions advertises TxnOffsetCommit v0-6', async () => {
    const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'txn', clientSoftwareVersion: '1' });
    const range = r.apiKeys.find((a) => a.apiKey === ApiKey.TxnOffsetCommit);
    assert.deepEqual([range?.minVersion, range?.maxVersion], [0, 6]);
  });

  it('offsets verified under a guard that an ABORT marker cleared since are refused (KIP-890 VerificationGuard)', async () => {
    // The race the guard closes: the coordinator verified the offsets partition, then the
    // transaction was aborted (its marker reached the partition), then the offsets' append ran.
    const producer = await newProducer();
    const partition = offsetsPartition();
    const state = embedded.broker.topics.leaderReplica(GROUP_METADATA_TOPIC_NAME, partition).partition!.producerState;
    const stale = state.startVerification(producer.producerId, producer.producerEpoch);
    await writeMarker(embedded.broker, partition, producer.producerId, producer.producerEpoch, false);
    const commit = (verificationGuard: typeof stale) =>
      embedded.broker.groups.commitTransactionalOffsets({
        transactionalId: 'tx',
        groupId: 'guarded-group',
        ...producer,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: 77, leaderEpoch: 0, commitTimestampMs: -1, metadata: null }] }],
        verificationGuard,
      });
    assert.deepEqual((await commit(stale)).map((r) => r.errorCode), [ErrorCode.INVALID_TXN_STATE]);
    const fetched = await c.request(ApiKey.OffsetFetch, 7, { groupId: 'guarded-group', topics: [{ name: TOPIC, partitionIndexes: [0] }], requireStable: true });
    assert.deepEqual(fetched.topics[0]!.partitions.map((p) => [p.committedOffset, p.errorCode]), [[-1, NONE]], 'nothing pending, nothing committed');
    // A guard taken after the marker (a new verification) lets the next transaction's offsets in.
    const fresh = state.startVerification(producer.producerId, producer.producerEpoch);
    assert.deepEqual((await commit(fresh)).map((r) => r.errorCode), [NONE]);
  });

  it('offsets are UNSTABLE_OFFSET_COMMIT until the COMMIT marker, then committed; an ABORT leaves them', async () => {
    const committed = await c.request(ApiKey.OffsetCommit, 8, { groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 5 }] }] });
    assert.equal(committed.topics[0]!.partitions[0]!.errorCode, NONE);

    const first = await newProducer();
    assert.deepEqual(await txnCommit(3, first, 40), [NONE, NONE]);
    assert.deepEqual(await offsetFetch(7, false), [[5, NONE], [-1, NONE]], 'without requireStable: the offsets committed before');
    assert.deepEqual(await offsetFetch(7, true), [[-1, UNSTABLE], [-1, UNSTABLE]]);
    assert.deepEqual(await offsetFetch(8, true), [[-1, UNSTABLE], [-1, UNSTABLE]]);
    await writeMarker(embedded.broker, offsetsPartition(), first.producerId, first.producerEpoch, true);
    assert.deepEqual(await offsetFetch(7, true), [[40, NONE], [41, NONE]]);
    assert.deepEqual(await offsetFetch(8, true), [[40, NONE], [41, NONE]]);

    const second = await newProducer();
    assert.deepEqual(await txnCommit(4, second, 90), [NONE, NONE]);
    assert.deepEqual(await offsetFetch(8, true), [[-1, UNSTABLE], [-1, UNSTABLE]]);
    await writeMarker(embedded.broker, offsetsPartition(), second.producerId, second.producerEpoch, false);
    assert.deepEqual(await offsetFetch(8, true), [[40, NONE], [41, NONE]], 'aborted: the offsets of the committed transaction stay');
  });

  it('every version 0-4 is served (v0-1 without leader epoch, v3+ flexible with member fields)', async () => {
    for (let v = 0; v <= 4; v++) {
      const producer = await newProducer();
      assert.deepEqual(await txnCommit(v, producer, 200 + 10 * v), [NONE, NONE], `v${v}`);
      assert.deepEqual(await offsetFetch(7, true), [[-1, UNSTABLE], [-1, UNSTABLE]], `v${v}`);
      await writeMarker(embedded.broker, offsetsPartition(), producer.producerId, producer.producerEpoch, v % 2 === 0);
    }
    // v4 committed last (v0, v2, v4 committed; v1, v3 aborted).
    assert.deepEqual(await offsetFetch(7, true), [[240, NONE], [241, NONE]]);
  });

  it('errors: unknown topic, INVALID_GROUP_ID, ILLEGAL_GENERATION for an unknown group with a generation, UNKNOWN_MEMBER_ID (v3+)', async () => {
    const producer = await newProducer();
    assert.deepEqual(await txnCommit(3, producer, 1, { topic: 'no-such-topic' }), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.deepEqual(await txnCommit(3, producer, 1, { groupId: '' }), [ErrorCode.INVALID_GROUP_ID, ErrorCode.INVALID_GROUP_ID]);
    assert.deepEqual(await txnCommit(3, producer, 1, { groupId: 'no-such-group', generationId: 3, memberId: 'm' }), [ErrorCode.ILLEGAL_GENERATION, ErrorCode.ILLEGAL_GENERATION]);
    assert.deepEqual(await txnCommit(3, producer, 1, { generationId: 0, memberId: 'ghost' }), [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID]);
    assert.deepEqual(await offsetFetch(7, true), [[240, NONE], [241, NONE]], 'nothing of the refused commits is pending');
  });

  it('a restart keeps the committed offsets and the open transaction, whose marker then commits it', async () => {
    const open = await newProducer();
    assert.deepEqual(await txnCommit(3, open, 300), [NONE, NONE]);
    await stop();
    await start();
    assert.deepEqual(await offsetFetch(7, false), [[240, NONE], [241, NONE]]);
    assert.deepEqual(await offsetFetch(7, true), [[-1, UNSTABLE], [-1, UNSTABLE]], 'the open transaction was read back as pending');
    await writeMarker(embedded.broker, offsetsPartition(), open.producerId, open.producerEpoch, true);
    assert.deepEqual(await offsetFetch(7, true), [[300, NONE], [301, NONE]]);
    await stop();
    await start();
    assert.deepEqual(await offsetFetch(7, true), [[300, NONE], [301, NONE]], 'the marker was read back too');
  });

  it(
    'one producer commits offsets in two transactions (same id and epoch, as a transaction-version-1 producer does)',
    async (t) => {
      // The partition's producer state takes coordinator appends without the client sequence
      // checks (Kafka's AppendOrigin.COORDINATOR): otherwise the second commit, with the same
      // baseSequence 0 and record count, would be taken for a retried duplicate and never written.
      const producer = await newProducer();
      for (const offset of [500, 600]) {
        assert.deepEqual(await txnCommit(3, producer, offset), [NONE, NONE]);
        assert.deepEqual(await offsetFetch(7, true), [[-1, UNSTABLE], [-1, UNSTABLE]]);
        await writeMarker(embedded.broker, offsetsPartition(), producer.producerId, producer.producerEpoch, true);
        assert.deepEqual(await offsetFetch(7, true), [[offset, NONE], [offset + 1, NONE]]);
      }
    },
  );
});
