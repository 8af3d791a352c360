// The transactions data path of a real broker process over real sockets, driven by our own
// client as the transaction coordinator would drive it (transaction version 1): transactional
// produce, Fetch and ListOffsets under both isolation levels while transactions are open,
// WriteTxnMarkers ending them (COMMIT and ABORT) with Kafka's per-partition errors,
// DescribeProducers (also through Kafka 4.4's kafka-transactions.sh), the aborted
// transactions of a read_committed fetch, and kcat
// (librdkafka) consuming with isolation.level=read_committed and read_uncommitted. Then a
// SIGKILL and a restart: the open transaction is still open (the last stable offset stays),
// and its marker still ends it.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { decodeRecordBatches } from '../../src/client/record-batch.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { crc32c, recordBatch } from '../helpers/batch.js';
import { kcat } from '../helpers/kcat.js';
import { ensureKafkaLibs, runKafkaClass } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';

const TOPIC = 'txn-data';
const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;

/** A transactional batch (attributes bit 4), or an idempotent one with `transactional` false. */
function batch(producerId: number, baseSequence: number, values: string[], transactional = true, producerEpoch = 0): Buffer {
  const b = recordBatch(values.map((value) => ({ value })), Date.now(), { producerId, producerEpoch, baseSequence });
  if (transactional) {
    b.writeInt16BE(0x10, 21);
    b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  }
  return b;
}

describe('transactions on the partition data path', { timeout: 120_000 }, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function start(dataDir: string): Promise<{ broker: BrokerProcess; c: KafkaConnection }> {
    // The test plays the coordinator with producer ids it makes up: KIP-890's verification of
    // transactional produce with the real coordinator is off (transactions-hostile.test.ts and
    // the real-client tests cover it).
    const broker = await startBrokerProcess({ dataDir, overrides: { 'transaction.partition.verification.enable': false } });
    cleanup.push(async () => {
      if (broker.child.exitCode === null) await broker.stop();
    });
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    cleanup.push(() => c.close());
    return { broker, c };
  }

  const produce = async (c: KafkaConnection, records: Buffer, transactionalId: string | null = 'app-1') =>
    (await c.request(ApiKey.Produce, 9, { transactionalId, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] })).responses[0]!.partitionResponses[0]!;

  async function fetch(c: KafkaConnection, isolationLevel: number, fetchOffset = 0) {
    const r = await c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 8 << 20, isolationLevel, topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 8 << 20 }] }] });
    const p = r.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.NONE);
    const batches = p.records ? decodeRecordBatches(Buffer.from(p.records)).batches : [];
    return { highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, abortedTransactions: p.abortedTransactions, batches };
  }

  const latest = async (c: KafkaConnection, isolationLevel: number, timestamp = -1) =>
    (await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] })).topics[0]!.partitions[0]!.offset;

  async function writeMarkers(c: KafkaConnection, markers: { producerId: number; producerEpoch?: number; coordinatorEpoch?: number; commit: boolean; topic?: string; partition?: number }[]) {
    const r = await c.request(ApiKey.WriteTxnMarkers, 1, {
      markers: markers.map((m) => ({ producerId: m.producerId, producerEpoch: m.producerEpoch ?? 0, coordinatorEpoch: m.coordinatorEpoch ?? 1, transactionResult: m.commit, topics: [{ name: m.topic ?? TOPIC, partitionIndexes: [m.partition ?? 0] }] })),
    });
    return r.markers.map((m) => [m.producerId, m.topics[0]!.name, m.topics[0]!.partitions[0]!.partitionIndex, m.topics[0]!.partitions[0]!.errorCode]);
  }

  const producers = async (c: KafkaConnection) =>
    (await c.request(ApiKey.DescribeProducers, 0, { topics: [{ name: TOPIC, partitionIndexes: [0] }] })).topics[0]!.partitions[0]!.activeProducers.map((p) => [p.producerId, p.producerEpoch, p.lastSequence, p.coordinatorEpoch, p.currentTxnStartOffset]).sort((a, b) => a[0]! - b[0]!);

  const consume = async (broker: BrokerProcess, isolation: string) => {
    const r = await kcat(['-C', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%s\n']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter((l) => l !== '');
  };

  it('serves read_committed up to the last stable offset, ends transactions with markers, and keeps an open one across SIGKILL', async () => {
    const dataDir = tempDir();
    cleanup.push(() => removeDir(dataDir));
    let { broker, c } = await start(dataDir);
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    const p1 = (await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 })).producerId;
    const p2 = (await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 })).producerId;
    const p3 = (await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 })).producerId;

    assert.equal((await produce(c, batch(p1, 0, ['a1', 'a2']))).baseOffset, 0);
    assert.equal((await produce(c, batch(p2, 0, ['b1']), 'app-2')).baseOffset, 2);
    assert.equal((await produce(c, batch(p3, 0, ['c'], false), null)).baseOffset, 3);
    assert.equal((await produce(c, batch(p1, 2, ['x'], false))).errorCode, ErrorCode.INVALID_TXN_STATE, 'a plain batch inside an open transaction');
    assert.equal((await produce(c, batch(p1, 2, ['x']), null)).errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactional records need a transactionalId');

    const open = await fetch(c, READ_COMMITTED);
    assert.deepEqual([open.highWatermark, open.lastStableOffset, open.batches.length, open.abortedTransactions], [4, 0, 0, []]);
    const uncommitted = await fetch(c, READ_UNCOMMITTED);
    assert.deepEqual([uncommitted.lastStableOffset, uncommitted.batches.length, uncommitted.abortedTransactions], [0, 3, null]);
    assert.deepEqual([await latest(c, READ_COMMITTED), await latest(c, READ_UNCOMMITTED)], [0, 4]);
    assert.deepEqual([await latest(c, READ_COMMITTED, 0), await latest(c, READ_UNCOMMITTED, 0)], [-1, 0], 'a timestamp lookup finds only what the isolation level may read');
    assert.deepEqual(await producers(c), [
      [p1, 0, 1, -1, 0],
      [p2, 0, 0, -1, 2],
      [p3, 0, 0, -1, -1],
    ]);
    // Kafka 4.4's own kafka-transactions.sh reads the same through its admin client.
    const libs = await ensureKafkaLibs();
    const tool = await runKafkaClass(libs, 'org.apache.kafka.tools.TransactionsCommand', ['--bootstrap-server', broker.bootstrap, 'describe-producers', '--topic', TOPIC, '--partition', '0'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(tool.code, 0, tool.stderr);
    const rows = tool.stdout.trim().split('\n').map((line) => line.split('\t').map((cell) => cell.trim()).filter((cell) => cell !== ''));
    assert.deepEqual(rows[0], ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset']);
    assert.deepEqual(
      rows.slice(1).map((r) => [r[0], r[1], r[2], r[3], r[5]]).sort((x, y) => Number(x[0]) - Number(y[0])),
      [
        [p1, 0, -1, 1, 0],
        [p2, 0, -1, 0, 2],
        [p3, 0, -1, 0, 'None'],
      ].map((r) => r.map(String)),
    );

    // The coordinator's markers: p1 commits, p2 aborts; then Kafka's refusals.
    assert.deepEqual(
      await writeMarkers(c, [
        { producerId: p1, commit: true },
        { producerId: p2, commit: false },
      ]),
      [
        [p1, TOPIC, 0, ErrorCode.NONE],
        [p2, TOPIC, 0, ErrorCode.NONE],
      ],
    );
    assert.deepEqual(
      await writeMarkers(c, [
        { producerId: p1, commit: true, coordinatorEpoch: 0 },
        { producerId: p2, commit: true, producerEpoch: -1 },
        { producerId: p3, commit: true, topic: 'no-such-topic' },
        { producerId: p3, commit: true, partition: 7 },
      ]),
      [
        [p1, TOPIC, 0, ErrorCode.TRANSACTION_COORDINATOR_FENCED],
        [p2, TOPIC, 0, ErrorCode.INVALID_PRODUCER_EPOCH],
        [p3, 'no-such-topic', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        [p3, TOPIC, 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );

    const decided = await fetch(c, READ_COMMITTED);
    assert.deepEqual([decided.highWatermark, decided.lastStableOffset], [6, 6]);
    assert.deepEqual(decided.abortedTransactions, [{ producerId: p2, firstOffset: 2 }]);
    assert.deepEqual(
      decided.batches.map((b) => [b.baseOffset, b.isTransactional, b.isControl]),
      [
        [0, true, false],
        [2, true, false],
        [3, false, false],
        [4, true, true],
        [5, true, true],
      ],
    );
    assert.deepEqual([await latest(c, READ_COMMITTED), await latest(c, READ_UNCOMMITTED)], [6, 6]);
    assert.deepEqual(await producers(c), [
      [p1, 0, 1, 1, -1],
      [p2, 0, 0, 1, -1],
      [p3, 0, 0, -1, -1],
    ]);
    assert.deepEqual(await consume(broker, 'read_committed'), ['a1', 'a2', 'c'], "librdkafka drops the aborted transaction's record");
    assert.deepEqual(await consume(broker, 'read_uncommitted'), ['a1', 'a2', 'b1', 'c']);

    // A transaction open at a SIGKILL is open after the restart.
    assert.equal((await produce(c, batch(p3, 1, ['d']), 'app-3')).baseOffset, 6);
    assert.equal(await latest(c, READ_COMMITTED), 6);
    c.close();
    await broker.kill();
    ({ broker, c } = await start(dataDir));
    for (let i = 0; i < 100 && (await fetch(c, READ_COMMITTED).catch(() => null)) === null; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([await latest(c, READ_COMMITTED), await latest(c, READ_UNCOMMITTED)], [6, 7]);
    assert.deepEqual(await writeMarkers(c, [{ producerId: p3, commit: true }]), [[p3, TOPIC, 0, ErrorCode.NONE]]);
    assert.deepEqual(await consume(broker, 'read_committed'), ['a1', 'a2', 'c', 'd']);
    assert.deepEqual((await fetch(c, READ_COMMITTED)).abortedTransactions, [{ producerId: p2, firstOffset: 2 }]);
  });
});
