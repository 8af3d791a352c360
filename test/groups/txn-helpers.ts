// Record batches of transactions on __consumer_offsets, built with the client's batch encoder
// (src/client/record-batch.ts) as Kafka writes them: a TxnOffsetCommit's batch is
// transactional and carries the producer's id and epoch (baseSequence 0), with the records of
// a plain OffsetCommit; a transaction marker is a control batch (attributes bits 4 and 5) of
// one record whose key is version int16 (0) + type int16 (0 ABORT, 1 COMMIT) and whose value
// is version int16 (0) + coordinatorEpoch int32 (Kafka's EndTransactionMarker).
import { encodeRecordBatch } from '../../src/client/record-batch.js';
import { offsetCommitKey, offsetCommitValue } from '../../src/groups/offsets-records.js';

export interface OffsetEntry {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** null: a tombstone. */
  readonly offset: number | null;
}

function records(entries: readonly OffsetEntry[]) {
  return entries.map((e) => ({
    key: offsetCommitKey(e.group, e.topic, e.partition),
    value: e.offset === null ? null : offsetCommitValue({ offset: e.offset, leaderEpoch: -1, metadata: '', commitTimestampMs: 1_000, expireTimestampMs: null }),
  }));
}

/** A plain (non-transactional) offset commit batch. */
export function commitBatch(entries: readonly OffsetEntry[]): Buffer {
  return encodeRecordBatch(records(entries), { timestampMs: 1_000 });
}

/** A TxnOffsetCommit's batch: transactional, the producer's id and epoch, baseSequence 0. */
export function txnCommitBatch(producerId: number, producerEpoch: number, entries: readonly OffsetEntry[]): Buffer {
  return encodeRecordBatch(records(entries), { timestampMs: 1_000, producer: { producerId, producerEpoch, baseSequence: 0 }, isTransactional: true });
}

/** A transaction marker: a control batch of the producer (baseSequence -1, as Kafka's). */
export function controlBatch(producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch = 0): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? 1 : 0, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return encodeRecordBatch([{ key, value }], { timestampMs: 1_000, producer: { producerId, producerEpoch, baseSequence: -1 }, isTransactional: true, isControl: true });
}
