// EndTxn of transaction version 2 (KIP-890 part 2) while the markers of the previous end are
// still being written, over a socket to a broker in this process, as Kafka 4.4's
// TransactionCoordinator.endTransaction answers it: once PrepareCommit is written, the metadata
// holds the bumped epoch and a pending CompleteCommit (prepareComplete, before the markers go
// out), and Kafka checks that pending transition before the producer id and the epoch. So every
// EndTxn meanwhile, also the abort a client sends at the bumped epoch it was just answered
// (franz-go's GroupTransactSession does, TestTxnEtl's sticky/848 cases), is
// CONCURRENT_TRANSACTIONS, which the client retries; once CompleteCommit is written the same
// abort is an abort of a transaction without partitions and answers the next epoch.
// The markers are held by a stub of ReplicaManager.writeTxnMarkers, so nothing depends on timing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBroker, type EmbeddedBroker } from '../../src/embedded.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { TxnMarkerEntry, TxnMarkerResult } from '../../src/partition/txn-markers.js';

/** Stands in for ReplicaManager.writeTxnMarkers: holds every write until released. */
class HeldMarkers {
  readonly written: TxnMarkerEntry[] = [];
  private held: (() => void)[] = [];
  private waiters: (() => void)[] = [];
  hold = true;

  install(broker: EmbeddedBroker): void {
    (broker.broker.replicas as unknown as { writeTxnMarkers: (m: TxnMarkerEntry[]) => Promise<TxnMarkerResult[]> }).writeTxnMarkers = (m) => this.write(m);
  }

  private async write(markers: TxnMarkerEntry[]): Promise<TxnMarkerResult[]> {
    if (this.hold) {
      const w = this.waiters;
      this.waiters = [];
      for (const r of w) r();
      await new Promise<void>((resolve) => this.held.push(resolve));
    }
    this.written.push(...markers);
    return markers.map((m) => ({ producerId: m.producerId, partitions: m.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: ErrorCode.NONE })) }));
  }

  /** Resolves once a marker write is being held. */
  whenHeld(): Promise<void> {
    if (this.held.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    this.hold = false;
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }
}

describe('EndTxn (transaction version 2) while the markers of a commit are written', { timeout: 60_000 }, () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-endtxn-markers-'));
  let broker: EmbeddedBroker;
  let c: KafkaConnection;
  const markers = new HeldMarkers();

  const describeTxn = async (id: string) => {
    const t = (await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0]!;
    return { state: t.transactionState, epoch: t.producerEpoch };
  };
  const endTxn = async (id: string, producerId: number, producerEpoch: number, committed: boolean) => {
    const r = await c.request(ApiKey.EndTxn, 5, { transactionalId: id, producerId, producerEpoch, committed });
    return [r.errorCode, r.producerId, r.producerEpoch];
  };
  const CONCURRENT = [ErrorCode.CONCURRENT_TRANSACTIONS, -1, -1];

  before(async () => {
    broker = await startBroker({ dataDir, config: { 'transaction.state.log.num.partitions': 1 } });
    markers.install(broker);
    c = await KafkaConnection.connect('127.0.0.1', broker.port);
    assert.equal((await c.request(ApiKey.FindCoordinator, 3, { key: 'etl', keyType: 1 })).errorCode, ErrorCode.NONE);
    assert.equal((await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'orders', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 })).topics[0]!.errorCode, ErrorCode.NONE);
  });

  after(async () => {
    markers.release();
    c?.close();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers CONCURRENT_TRANSACTIONS to every EndTxn (an abort at the bumped epoch too), then the abort of nothing at that epoch', async () => {
    const init = await c.request(ApiKey.InitProducerId, 5, { transactionalId: 'etl', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    assert.equal(init.errorCode, ErrorCode.NONE);
    const pid = init.producerId;
    const e0 = init.producerEpoch;
    // A partition leader adds the partition for the version-2 client (AddPartitionsToTxn v5, not verifyOnly).
    const added = await c.request(ApiKey.AddPartitionsToTxn, 5, { transactions: [{ transactionalId: 'etl', producerId: pid, producerEpoch: e0, verifyOnly: false, topics: [{ name: 'orders', partitions: [0] }] }] });
    assert.equal(added.resultsByTransaction[0]!.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);

    const held = markers.whenHeld();
    assert.deepEqual(await endTxn('etl', pid, e0, true), [ErrorCode.NONE, pid, e0 + 1], 'the commit answers the bumped epoch');
    await held;
    assert.deepEqual(await describeTxn('etl'), { state: 'PrepareCommit', epoch: e0 + 1 });

    // The client's next end, at the epoch it was answered: Tidelog answered PRODUCER_FENCED here.
    assert.deepEqual(await endTxn('etl', pid, e0 + 1, false), CONCURRENT, 'abort at the bumped epoch');
    assert.deepEqual(await endTxn('etl', pid, e0 + 1, true), CONCURRENT, 'commit at the bumped epoch');
    // Retries of the end being completed (the epoch below), either way.
    assert.deepEqual(await endTxn('etl', pid, e0, true), CONCURRENT, 'retried commit');
    assert.deepEqual(await endTxn('etl', pid, e0, false), CONCURRENT, 'abort at the epoch below');
    // The pending transition is checked before the epoch and the producer id too.
    assert.deepEqual(await endTxn('etl', pid, e0 + 5, false), CONCURRENT, 'a future epoch');
    assert.deepEqual(await endTxn('etl', pid + 1000, e0 + 1, false), CONCURRENT, 'another producer id');
    assert.deepEqual(await describeTxn('etl'), { state: 'PrepareCommit', epoch: e0 + 1 });

    markers.release();
    for (let d = await describeTxn('etl'); d.state !== 'CompleteCommit'; d = await describeTxn('etl')) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(markers.written.map((m) => [m.producerId, m.producerEpoch, m.commit]), [[pid, e0 + 1, true]]);

    // Once complete: what was refused meanwhile is answered as Kafka answers it.
    assert.deepEqual(await endTxn('etl', pid + 1000, e0 + 1, false), [ErrorCode.INVALID_PRODUCER_ID_MAPPING, -1, -1]);
    assert.deepEqual(await endTxn('etl', pid, e0 + 5, false), [ErrorCode.PRODUCER_FENCED, -1, -1]);
    assert.deepEqual(await endTxn('etl', pid, e0, true), [ErrorCode.NONE, pid, e0 + 1], 'a retried commit gets the epoch to continue with');
    assert.deepEqual(await endTxn('etl', pid, e0, false), [ErrorCode.INVALID_TXN_STATE, -1, -1], 'an abort retried after a commit');
    // The client's retried abort: a transaction without partitions, aborted at the next epoch, no marker.
    assert.deepEqual(await endTxn('etl', pid, e0 + 1, false), [ErrorCode.NONE, pid, e0 + 2]);
    for (let d = await describeTxn('etl'); d.state !== 'CompleteAbort'; d = await describeTxn('etl')) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await describeTxn('etl'), { state: 'CompleteAbort', epoch: e0 + 2 });
    assert.equal(markers.written.length, 1, 'no marker for the abort of nothing');
  });
});
