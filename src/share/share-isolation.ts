// share.isolation.level=read_committed (KIP-932, Kafka's SharePartition with
// FetchIsolation.TXN_COMMITTED): the share-partition leader acquires records up to the last
// stable offset only, and the records of aborted transactions among what it read are archived
// at once (never delivered), as Kafka's SharePartition.filterAbortedTransactionalAcquiredRecords
// does. Which records are aborted is decided as the consumer's fetcher decides it
// (CompletedFetch.nextFetchedRecord): walking the batches in order, a producer enters the
// aborted set when the read reaches the first offset of one of its aborted transactions
// (Fetch's abortedTransactions list), its transactional batches are aborted while it is in the
// set, and its ABORT marker takes it out.
import { decodeRecordBatches } from '../client/record-batch.js';
import type { AcquiredRange } from './share-partition.js';

/** Kafka's ControlRecordType.ABORT (the control record key: int16 version, int16 type). */
const CONTROL_TYPE_ABORT = 0;

export interface OffsetRange {
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** The offset ranges of the aborted transactional batches in `bytes` (whole batches, in log order). */
export function abortedOffsetRanges(bytes: Buffer, abortedTransactions: readonly { producerId: number; firstOffset: number }[]): OffsetRange[] {
  if (abortedTransactions.length === 0) return [];
  const pending = [...abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
  const aborted = new Set<number>();
  const out: OffsetRange[] = [];
  for (const batch of decodeRecordBatches(bytes).batches) {
    if (batch.producerId < 0) continue;
    while (pending.length > 0 && pending[0]!.firstOffset <= batch.lastOffset) aborted.add(pending.shift()!.producerId);
    if (batch.isControl) {
      const key = batch.records[0]?.key;
      if (key && key.length >= 4 && key.readInt16BE(2) === CONTROL_TYPE_ABORT) aborted.delete(batch.producerId);
      continue;
    }
    if (batch.isTransactional && aborted.has(batch.producerId)) {
      const last = out[out.length - 1];
      if (last && last.lastOffset + 1 === batch.baseOffset) out[out.length - 1] = { firstOffset: last.firstOffset, lastOffset: batch.lastOffset };
      else out.push({ firstOffset: batch.baseOffset, lastOffset: batch.lastOffset });
    }
  }
  return out;
}

/** The parts of the acquired ranges that fall in `remove` (to archive), and what is left to deliver. */
export function splitAcquired(ranges: readonly AcquiredRange[], remove: readonly OffsetRange[]): { kept: AcquiredRange[]; removed: OffsetRange[] } {
  const kept: AcquiredRange[] = [];
  const removed: OffsetRange[] = [];
  for (const r of ranges) {
    let start = r.firstOffset;
    for (const x of remove) {
      if (x.lastOffset < start || x.firstOffset > r.lastOffset) continue;
      if (x.firstOffset > start) kept.push({ ...r, firstOffset: start, lastOffset: x.firstOffset - 1 });
      const cut = { firstOffset: Math.max(start, x.firstOffset), lastOffset: Math.min(r.lastOffset, x.lastOffset) };
      removed.push(cut);
      start = cut.lastOffset + 1;
      if (start > r.lastOffset) break;
    }
    if (start <= r.lastOffset) kept.push({ ...r, firstOffset: start, lastOffset: r.lastOffset });
  }
  return { kept, removed };
}
