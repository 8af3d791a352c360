// Transactional requests out of order or from the wrong party, against a broker process over
// real sockets (issue #15, hostile input): each gets the error code Kafka answers, and changes
// nothing: the transaction's state at its coordinator, the partitions' log ends and last
// stable offsets, and the group's offsets are the same afterwards.
//   - EndTxn with no transaction open (INVALID_TXN_STATE), for an unknown transactional id
//     (INVALID_PRODUCER_ID_MAPPING), from a fenced epoch (PRODUCER_FENCED);
//   - TxnOffsetCommit from a fenced epoch (INVALID_PRODUCER_EPOCH): no pending offsets;
//   - WriteTxnMarkers sent by a client: a producer epoch older than the partition's
//     (INVALID_PRODUCER_EPOCH), a coordinator epoch older than the last marker's
//     (TRANSACTION_COORDINATOR_FENCED), a partition that does not exist
//     (UNKNOWN_TOPIC_OR_PARTITION): nothing appended;
//   - a transactional batch from a fenced epoch (INVALID_PRODUCER_EPOCH): nothing appended;
//   - KIP-890 part 1 under transaction version 1: a transactional batch to a partition never
//     added to the transaction, or arriving after the transaction ended (the late batch that
//     would leave a hanging transaction), is verified with the coordinator and refused
//     (INVALID_TXN_STATE; TRANSACTION_ABORTABLE from Produce v11): nothing appended, the last
//     stable offset not held;
//   - a zombie's TxnOffsetCommit when its AddOffsetsToTxn came before __consumer_offsets
//     existed (the fence's ABORT marker had nowhere to go): INVALID_PRODUCER_EPOCH, from the
//     coordinator's verification; nothing pending, and the new producer still commits.
//   - transaction version 2 on the wire (and the same requests with transaction.version=1
//     pinned): ApiVersions' features, Produce v12 adding the partition (refused under 1),
//     EndTxn v5's bumped epoch and its retry, a batch of the committed transaction's epoch
//     fenced (INVALID_PRODUCER_EPOCH, nothing appended).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { encodeRecordBatch } from '../../src/client/record-batch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

const TOPIC = 'hostile-txn';
const GROUP = 'hostile-group';

describe('transactional requests out of order get Kafka errors and change nothing', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  let client: KafkaClient;
  let conn: KafkaConnection;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false, 'group.initial.rebalance.delay.ms': 0 } });
    client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    assert.equal((await client.createTopic(TOPIC, { partitions: 2, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'hostile-txn');
  });

  after(async () => {
    conn?.close();
    client?.close();
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  async function init(transactionalId: string): Promise<{ producerId: number; producerEpoch: number }> {
    await client.coordinator(transactionalId, 1);
    // Fencing an open transaction answers CONCURRENT_TRANSACTIONS until its abort is done: retried, as clients do.
    let r = await conn.request(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    for (let i = 0; i < 100 && r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      r = await conn.request(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    }
    assert.equal(r.errorCode, ErrorCode.NONE);
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }

  async function describe_(transactionalId: string): Promise<{ state: string; epoch: number; partitions: string[] }> {
    const r = await conn.request(ApiKey.DescribeTransactions, 0, { transactionalIds: [transactionalId] });
    const t = r.transactionStates[0]!;
    return { state: t.transactionState, epoch: t.producerEpoch, partitions: t.topics.flatMap((x) => x.partitions.map((p) => `${x.topic}-${p}`)) };
  }

  async function offsets(partition: number): Promise<{ end: number; stable: number }> {
    const [end, stable] = await Promise.all(
      ([0, 1] as const).map(async (isolationLevel) => {
        const r = await conn.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }] });
        return r.topics[0]!.partitions[0]!.offset;
      }),
    );
    return { end: end!, stable: stable! };
  }

  async function produceTransactional(transactionalId: string, p: { producerId: number; producerEpoch: number }, partition: number, baseSequence: number, version = 9): Promise<number> {
    const batch = encodeRecordBatch([{ key: null, value: Buffer.from(`${transactionalId}-${baseSequence}`) }], { producer: { ...p, baseSequence }, isTransactional: true });
    const r = await conn.request(ApiKey.Produce, version, { transactionalId, acks: -1, timeoutMs: 5_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch }] }] });
    return r.responses[0]!.partitionResponses[0]!.errorCode;
  }

  async function marker(p: { producerId: number; producerEpoch: number }, coordinatorEpoch: number, partition: number, topic = TOPIC): Promise<number> {
    const r = await conn.request(ApiKey.WriteTxnMarkers, 1, { markers: [{ producerId: p.producerId, producerEpoch: p.producerEpoch, transactionResult: false, coordinatorEpoch, topics: [{ name: topic, partitionIndexes: [partition] }] }] });
    return r.markers[0]!.topics[0]!.partitions[0]!.errorCode;
  }

  it('EndTxn with nothing to end, for an unknown id, or from a fenced epoch', async () => {
    const p = await init('hostile-end');
    const before = await describe_('hostile-end');
    assert.equal(before.state, 'Empty');
    const end = (id: string, q: { producerId: number; producerEpoch: number }) => conn.request(ApiKey.EndTxn, 4, { transactionalId: id, producerId: q.producerId, producerEpoch: q.producerEpoch, committed: true });
    assert.equal((await end('hostile-end', p)).errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal((await end('hostile-nobody', p)).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const fresh = await init('hostile-end');
    assert.equal((await end('hostile-end', p)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.deepEqual(await describe_('hostile-end'), { ...before, epoch: fresh.producerEpoch }, 'only the new InitProducerId changed anything');
  });

  it('TxnOffsetCommit from a fenced epoch leaves no pending offsets', async () => {
    // The group's __consumer_offsets partition exists (a client finds the group coordinator
    // first): the fence's ABORT marker lands there and carries the bumped epoch.
    const coordinator = await client.coordinator(GROUP);
    const zombie = await init('hostile-offsets');
    const add = await conn.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'hostile-offsets', ...zombie, groupId: GROUP });
    assert.equal(add.errorCode, ErrorCode.NONE);
    await init('hostile-offsets'); // fences the zombie, aborting its transaction
    const r = await coordinator.send(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: 'hostile-offsets',
      groupId: GROUP,
      ...zombie,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    const fetched = await coordinator.send(ApiKey.OffsetFetch, 7, { groupId: GROUP, topics: [{ name: TOPIC, partitionIndexes: [0] }], requireStable: true });
    assert.deepEqual([fetched.topics[0]!.partitions[0]!.committedOffset, fetched.topics[0]!.partitions[0]!.errorCode], [-1, ErrorCode.NONE], 'nothing committed, nothing pending');
  });

  it('WriteTxnMarkers from a client: stale producer epoch, stale coordinator epoch, unknown partition', async () => {
    const p = await init('hostile-markers');
    const added = await conn.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'hostile-markers', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [1] }] });
    assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    assert.equal(await produceTransactional('hostile-markers', p, 1, 0), ErrorCode.NONE);
    const open = await offsets(1);
    assert.ok(open.stable < open.end, 'the transaction holds the last stable offset');

    assert.equal(await marker({ producerId: p.producerId, producerEpoch: p.producerEpoch - 1 }, 5, 1), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await marker(p, 0, 0, 'hostile-no-such-topic'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.deepEqual(await offsets(1), open, 'nothing appended');
    assert.equal((await describe_('hostile-markers')).state, 'Ongoing');

    // The coordinator's own abort writes its marker at its coordinator epoch; an older one is fenced after that.
    const ended = await conn.request(ApiKey.EndTxn, 4, { transactionalId: 'hostile-markers', ...p, committed: false });
    assert.equal(ended.errorCode, ErrorCode.NONE);
    let after = await offsets(1);
    for (let i = 0; i < 100 && after.stable !== after.end; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await offsets(1);
    }
    assert.equal(after.end, open.end + 1, 'one ABORT marker');
    // A marker at coordinator epoch 5 (as an operator's abort of a hanging transaction may
    // send): one at 4 after it is from a coordinator that lost its partition, and is fenced.
    const q = await init('hostile-markers-2');
    const added2 = await conn.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'hostile-markers-2', v3AndBelowProducerId: q.producerId, v3AndBelowProducerEpoch: q.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [1] }] });
    assert.equal(added2.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    assert.equal(await produceTransactional('hostile-markers-2', q, 1, 0), ErrorCode.NONE);
    assert.equal(await marker(q, 5, 1), ErrorCode.NONE);
    const closed = await offsets(1);
    assert.equal(closed.stable, closed.end, 'the marker closed the transaction');
    assert.equal(await marker(q, 4, 1), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    assert.deepEqual(await offsets(1), closed, 'nothing appended');
  });

  it('a transactional batch from a fenced epoch is refused and not appended', async () => {
    const zombie = await init('hostile-produce');
    const added = await conn.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'hostile-produce', v3AndBelowProducerId: zombie.producerId, v3AndBelowProducerEpoch: zombie.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }] });
    assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    assert.equal(await produceTransactional('hostile-produce', zombie, 0, 0), ErrorCode.NONE);
    // A new instance fences the zombie; its transaction is aborted with a marker at the new epoch.
    await init('hostile-produce');
    const before = await offsets(0);
    assert.equal(await produceTransactional('hostile-produce', zombie, 0, 1), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.deepEqual(await offsets(0), before, 'nothing appended');
  });

  it('transaction version 1: a transactional batch to a partition not in the transaction is refused (INVALID_TXN_STATE, TRANSACTION_ABORTABLE from v11) and not appended', async () => {
    const p = await init('hostile-unadded');
    // No transaction at all yet (Empty): the partition cannot be in it.
    const empty = await offsets(1);
    assert.equal(await produceTransactional('hostile-unadded', p, 1, 0), ErrorCode.INVALID_TXN_STATE);
    assert.deepEqual(await offsets(1), empty, 'nothing appended');
    // A transaction on partition 0 only: partition 1 was never added.
    const added = await conn.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'hostile-unadded', v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }] });
    assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    assert.equal(await produceTransactional('hostile-unadded', p, 0, 0), ErrorCode.NONE);
    assert.equal(await produceTransactional('hostile-unadded', p, 1, 0), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await produceTransactional('hostile-unadded', p, 1, 0, 11), ErrorCode.TRANSACTION_ABORTABLE);
    assert.deepEqual(await offsets(1), empty, 'nothing appended');
    assert.deepEqual((await describe_('hostile-unadded')).partitions, [`${TOPIC}-0`], 'the refused partition did not join the transaction');
    // The transaction commits; a late batch of it (same epoch, next sequence) must not open a
    // new transaction on the partition that no coordinator would ever end.
    const ended = await conn.request(ApiKey.EndTxn, 4, { transactionalId: 'hostile-unadded', ...p, committed: true });
    assert.equal(ended.errorCode, ErrorCode.NONE);
    let done = await offsets(0);
    for (let i = 0; i < 100 && done.stable !== done.end; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = await offsets(0);
    }
    assert.equal(done.stable, done.end, 'the COMMIT marker is written');
    assert.equal(await produceTransactional('hostile-unadded', p, 0, 1), ErrorCode.INVALID_TXN_STATE);
    assert.deepEqual(await offsets(0), done, 'no hanging transaction: nothing appended, the last stable offset not held');
  });
});

describe('a zombie TxnOffsetCommit after AddOffsetsToTxn before __consumer_offsets existed is refused', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  let client: KafkaClient;
  let conn: KafkaConnection;
  const id = 'zombie-offsets';
  const group = 'zombie-offsets-group';

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false, 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3 } });
    client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    assert.equal((await client.createTopic(TOPIC, { partitions: 1, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'zombie-offsets');
  });

  after(async () => {
    conn?.close();
    client?.close();
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  async function init(): Promise<{ producerId: number; producerEpoch: number }> {
    await client.coordinator(id, 1);
    let r = await conn.request(ApiKey.InitProducerId, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    for (let i = 0; i < 100 && r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      r = await conn.request(ApiKey.InitProducerId, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    }
    assert.equal(r.errorCode, ErrorCode.NONE);
    return { producerId: r.producerId, producerEpoch: r.producerEpoch };
  }

  const commitOffset = (coordinator: Awaited<ReturnType<KafkaClient['coordinator']>>, p: { producerId: number; producerEpoch: number }, offset: number) =>
    coordinator.send(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: id,
      groupId: group,
      ...p,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });

  it('INVALID_PRODUCER_EPOCH, nothing pending; the producer that fenced it commits', async () => {
    const zombie = await init();
    // __consumer_offsets does not exist yet: the group's partition joins the transaction anyway.
    const add = await conn.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: id, ...zombie, groupId: group });
    assert.equal(add.errorCode, ErrorCode.NONE);
    const topics = await conn.request(ApiKey.Metadata, 12, { topics: [{ name: '__consumer_offsets', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.equal(topics.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, '__consumer_offsets does not exist when the fence aborts');
    // The fence aborts the zombie's transaction: its ABORT marker for the offsets partition is
    // dropped (the topic does not exist), so the partition's producer state never sees the new epoch.
    const fresh = await init();
    assert.ok(fresh.producerEpoch > zombie.producerEpoch);
    // Finding the group coordinator creates __consumer_offsets; the zombie commits there.
    const coordinator = await client.coordinator(group);
    const r = await commitOffset(coordinator, zombie, 7);
    assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    const fetched = await coordinator.send(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: [0] }], requireStable: true });
    assert.deepEqual([fetched.topics[0]!.partitions[0]!.committedOffset, fetched.topics[0]!.partitions[0]!.errorCode], [-1, ErrorCode.NONE], 'nothing committed, nothing pending');

    // The new producer: without AddOffsetsToTxn its commit is not in a transaction (INVALID_TXN_STATE);
    // with it, the offsets are committed by EndTxn.
    assert.equal((await commitOffset(coordinator, fresh, 9)).topics[0]!.partitions[0]!.errorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal((await conn.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: id, ...fresh, groupId: group })).errorCode, ErrorCode.NONE);
    assert.equal((await commitOffset(coordinator, fresh, 9)).topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await conn.request(ApiKey.EndTxn, 4, { transactionalId: id, ...fresh, committed: true })).errorCode, ErrorCode.NONE);
    let committed = -1;
    for (let i = 0; i < 100 && committed !== 9; i++) {
      const f = await coordinator.send(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: [0] }], requireStable: true });
      committed = f.topics[0]!.partitions[0]!.committedOffset;
      if (committed !== 9) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(committed, 9);
  });
});

describe('transaction version 2 on the wire: implicit adds, an epoch per transaction, zombies of an earlier transaction fenced', { timeout: 120_000 }, () => {
  for (const level of [2, 1] as const) {
    describe(`transaction.version=${level}`, () => {
      let broker: BrokerProcess;
      let client: KafkaClient;
      let conn: KafkaConnection;
      const topic = `tv-wire-${level}`;

      before(async () => {
        broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false, 'transaction.version': level } });
        client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
        assert.equal((await client.createTopic(topic, { partitions: 1, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
        conn = await KafkaConnection.connect('127.0.0.1', broker.port, `tv-wire-${level}`);
      });

      after(async () => {
        conn?.close();
        client?.close();
        await broker?.stop();
        if (broker) removeDir(broker.dataDir);
      });

      const produce = async (id: string, p: { producerId: number; producerEpoch: number }, baseSequence: number, version = 12) => {
        const batch = encodeRecordBatch([{ key: null, value: Buffer.from(`${id}-${p.producerEpoch}-${baseSequence}`) }], { producer: { ...p, baseSequence }, isTransactional: true });
        const r = await conn.request(ApiKey.Produce, version, { transactionalId: id, acks: -1, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
        return r.responses[0]!.partitionResponses[0]!.errorCode;
      };

      it(level === 2 ? 'Produce v12 adds the partition; EndTxn v5 answers the bumped epoch; the old epoch is fenced' : 'pinned to 1: Produce v12 does not add the partition, EndTxn v5 keeps the epoch', async () => {
        const id = `tv-wire-${level}`;
        await client.coordinator(id, 1);
        const features = await conn.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'tv-wire', clientSoftwareVersion: '1' });
        assert.deepEqual(features.finalizedFeatures.map((f) => [f.name, f.minVersionLevel, f.maxVersionLevel]), [['transaction.version', level, level]]);
        assert.deepEqual(features.supportedFeatures.map((f) => [f.name, f.minVersion, f.maxVersion]), [['transaction.version', 0, 2]]);
        const init = await conn.request(ApiKey.InitProducerId, 5, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
        assert.equal(init.errorCode, ErrorCode.NONE);
        const p = { producerId: init.producerId, producerEpoch: init.producerEpoch };
        const described = async () => {
          const r = await conn.request(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] });
          const t = r.transactionStates[0]!;
          return { state: t.transactionState, epoch: t.producerEpoch, partitions: t.topics.flatMap((x) => x.partitions.map((n) => `${x.topic}-${n}`)) };
        };
        if (level === 1) {
          // Version 1: the partition must be added by the client; Produce v12 is verified only.
          assert.equal(await produce(id, p, 0), ErrorCode.TRANSACTION_ABORTABLE);
          assert.deepEqual(await described(), { state: 'Empty', epoch: p.producerEpoch, partitions: [] });
          const added = await conn.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: p.producerId, v3AndBelowProducerEpoch: p.producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }] });
          assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
        }
        assert.equal(await produce(id, p, 0), ErrorCode.NONE);
        assert.deepEqual(await described(), { state: 'Ongoing', epoch: p.producerEpoch, partitions: [`${topic}-0`] });
        const ended = await conn.request(ApiKey.EndTxn, 5, { transactionalId: id, ...p, committed: true });
        const next = level === 2 ? p.producerEpoch + 1 : p.producerEpoch;
        assert.deepEqual([ended.errorCode, ended.producerId, ended.producerEpoch], [ErrorCode.NONE, p.producerId, next]);
        let d = await described();
        for (let i = 0; i < 100 && d.state !== 'CompleteCommit'; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          d = await described();
        }
        assert.deepEqual(d, { state: 'CompleteCommit', epoch: next, partitions: [] });
        if (level === 2) {
          // A zombie batch of the committed transaction (its epoch) is fenced by the epoch alone,
          // on the partition (the marker carried the bumped epoch) and at the coordinator.
          const logEnd = async () => (await client.listOffsets(topic, [0], -1)).get(0)!.offset;
          const end = await logEnd();
          assert.equal(await produce(id, p, 1), ErrorCode.INVALID_PRODUCER_EPOCH);
          assert.equal(await logEnd(), end, 'nothing appended');
          // A retried EndTxn (the epoch below the current one) is answered the epoch to continue with.
          const retried = await conn.request(ApiKey.EndTxn, 5, { transactionalId: id, ...p, committed: true });
          assert.deepEqual([retried.errorCode, retried.producerEpoch], [ErrorCode.NONE, next]);
          // The next transaction, at the new epoch, starts at sequence 0.
          assert.equal(await produce(id, { producerId: p.producerId, producerEpoch: next }, 0), ErrorCode.NONE);
          assert.deepEqual(await described(), { state: 'Ongoing', epoch: next, partitions: [`${topic}-0`] });
        }
      });
    });
  }
});
