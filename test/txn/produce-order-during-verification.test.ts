// One connection's Produce requests append in the order sent, also while one of them waits for
// the transaction coordinator (KIP-890: the implicit add of transaction version 2). Kafka reads
// a connection's next request only after answering the previous one; Tidelog handles them side
// by side, and used to let a later Produce of the same producer append the next sequence to a
// partition first: OUT_OF_ORDER_SEQUENCE_NUMBER, fatal to the producer (franz-go's TestTxnEtl,
// a consumer's transactional producer adding a partition while its next batch to a partition
// already in the transaction follows on the same connection).
// The coordinator's answer is held by a stub of the verifier, and the second request is known
// to be in the broker by a stub of the partition's hasOngoingTxn, which its handler calls; the
// stubs' order decides, not timing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBroker, type EmbeddedBroker } from '../../src/embedded.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { encodeRecordBatch } from '../../src/client/record-batch.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { VerifyRequest } from '../../src/txn/transaction-verifier.js';

describe('Produce requests of one connection while one waits for the transaction coordinator', { timeout: 60_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-produce-order-'));
  let broker: EmbeddedBroker;
  let c: KafkaConnection;

  before(async () => {
    broker = await startBroker({ dataDir, config: { 'transaction.state.log.num.partitions': 1 } });
    c = await KafkaConnection.connect('127.0.0.1', broker.port);
    assert.equal((await c.request(ApiKey.FindCoordinator, 3, { key: 'ordered', keyType: 1 })).errorCode, ErrorCode.NONE);
    assert.equal((await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'orders', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000 })).topics[0]!.errorCode, ErrorCode.NONE);
  });

  after(async () => {
    c?.close();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a Produce waiting for the implicit add of a partition keeps the next Produce from appending first', async () => {
    const init = await c.request(ApiKey.InitProducerId, 5, { transactionalId: 'ordered', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    assert.equal(init.errorCode, ErrorCode.NONE);
    const producer = { producerId: init.producerId, producerEpoch: init.producerEpoch };
    const batch = (baseSequence: number, count: number) =>
      encodeRecordBatch(
        Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${baseSequence + i}`) })),
        { producer: { ...producer, baseSequence }, isTransactional: true },
      );
    const produce = (parts: { partition: number; records: Buffer }[]) =>
      c.request(ApiKey.Produce, 12, { transactionalId: 'ordered', acks: -1, timeoutMs: 5_000, topicData: [{ name: 'orders', partitionData: parts.map((p) => ({ index: p.partition, records: p.records })) }] });
    const errors = (r: Awaited<ReturnType<typeof produce>>) => Object.fromEntries(r.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode]));

    // orders-0 joins the transaction (the coordinator adds it) with sequences 0-2.
    assert.deepEqual(errors(await produce([{ partition: 0, records: batch(0, 3) }])), { 0: ErrorCode.NONE });

    // The coordinator's answer for the next add waits until released.
    const verifier = broker.broker.transactions.verifier!;
    const verify = verifier.verify.bind(verifier);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const coordinatorAsked = new Promise<void>((resolve) => (asked = resolve));
    verifier.verify = async (req: VerifyRequest) => {
      asked();
      await released;
      return verify(req);
    };
    // Calls of hasOngoingTxn for orders-0: the first Produce's, then the second's.
    const state = broker.broker.topics.leaderReplica('orders', 0).partition!.producerState;
    const hasOngoingTxn = state.hasOngoingTxn.bind(state);
    let calls = 0;
    let secondArrived!: () => void;
    const second = new Promise<void>((resolve) => (secondArrived = resolve));
    state.hasOngoingTxn = (producerId: number, epoch: number) => {
      if (++calls === 2) secondArrived();
      return hasOngoingTxn(producerId, epoch);
    };

    try {
      // Sequences 3-5 to orders-0 and orders-1's first batch: orders-1 must be added first.
      const first = produce([
        { partition: 0, records: batch(3, 3) },
        { partition: 1, records: batch(0, 2) },
      ]);
      await coordinatorAsked;
      // Sequences 6-7 to orders-0, on the same connection: orders-0 is in the transaction, no add.
      const next = produce([{ partition: 0, records: batch(6, 2) }]);
      await second;
      // Let the second request's handler run as far as it can before the coordinator answers.
      await new Promise((resolve) => setImmediate(resolve));
      release();
      assert.deepEqual(errors(await first), { 0: ErrorCode.NONE, 1: ErrorCode.NONE });
      assert.deepEqual(errors(await next), { 0: ErrorCode.NONE }, 'the second Produce appended after the first');
    } finally {
      release();
      verifier.verify = verify;
      state.hasOngoingTxn = hasOngoingTxn;
    }
    const offsets = await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -1, currentLeaderEpoch: -1 }] }] });
    assert.equal(offsets.topics[0]!.partitions[0]!.offset, 8, 'orders-0 holds sequences 0-7');
  });
});
