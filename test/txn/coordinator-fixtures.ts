// Shared by the transaction coordinator's unit tests: a small __transaction_state
// configuration, a marker writer that records what it writes, and the log of one
// transactional id decoded from the in-memory store.
import { ErrorCode } from '../../src/protocol/errors.js';
import type { TxnMarkerEntry, TxnMarkerResult } from '../../src/partition/txn-markers.js';
import type { LocalTxnMarkerWriter } from '../../src/txn/transaction-marker-channel.js';
import { decodeTransactionLogKey, decodeTransactionLogValue, type TransactionLogEntry } from '../../src/txn/transaction-log.js';
import type { TransactionConfig } from '../../src/txn/transaction-state-manager.js';
import { partitionForTransactionalId } from '../../src/txn/transaction-state-topic.js';
import type { MemoryTransactionStateStore } from './memory-transaction-state-store.js';

export const CONFIG: TransactionConfig = {
  transactionalIdExpirationMs: 60_000,
  transactionMaxTimeoutMs: 900_000,
  transactionLogNumPartitions: 3,
  transactionLogLoadBufferBytes: 1024 * 1024,
  abortTimedOutTransactionsIntervalMs: 3_600_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
};

/** Records every marker; answers with `answer` (NONE by default); `hold` parks calls until release(). */
export class RecordingMarkerWriter implements LocalTxnMarkerWriter {
  readonly written: TxnMarkerEntry[] = [];
  answer: (topic: string, partition: number) => number = () => ErrorCode.NONE;
  hold = false;
  private held: (() => void)[] = [];
  calls = 0;

  async writeTxnMarkers(markers: TxnMarkerEntry[]): Promise<TxnMarkerResult[]> {
    this.calls++;
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    return markers.map((m) => {
      const partitions = m.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: this.answer(p.topic, p.partition) }));
      const ok = partitions.filter((p) => p.errorCode === ErrorCode.NONE).map((p) => ({ topic: p.topic, partition: p.partition }));
      if (ok.length > 0) this.written.push({ ...m, partitions: ok });
      return { producerId: m.producerId, partitions };
    });
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }
}

/** Every record of `transactionalId` in its __transaction_state partition, in order; null for a tombstone. */
export function logOf(store: MemoryTransactionStateStore, transactionalId: string): (TransactionLogEntry | null)[] {
  const partition = partitionForTransactionalId(transactionalId, store.numPartitions);
  return store
    .records(partition)
    .filter((r) => decodeTransactionLogKey(r.key!) === transactionalId)
    .map((r) => (r.value === null ? null : decodeTransactionLogValue(r.value)));
}
