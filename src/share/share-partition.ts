// SharePartition (after Kafka's SharePartition.java, KIP-932): the in-flight records of one
// share group on one topic partition, held by the partition's leader.
//
// Offsets below startOffset are done (acknowledged or archived) and forgotten. Offsets in
// [startOffset, endOffset) each have a state: AVAILABLE (may be acquired, possibly again),
// ACQUIRED (by one member until it acknowledges or its lock expires), ACKNOWLEDGED or
// ARCHIVED (terminal), and a delivery count (acquisitions so far). Offsets from endOffset
// on were never acquired. When the records at startOffset reach a terminal state the start
// offset moves past them.
//
// Acquisition counts a delivery. A record released (RELEASE, a lock timing out, its member
// leaving) becomes AVAILABLE again unless its delivery count has reached
// group.share.delivery.count.limit: then it is ARCHIVED and never delivered again. REJECT and
// GAP archive; ACCEPT acknowledges; RENEW (KIP-1222) restarts the lock.
//
// What is persisted (share-state-store.ts): the start offset and the runs of records in
// [startOffset, endOffset) with their state and delivery count, ACQUIRED written as
// AVAILABLE (a lock does not survive its leader: Kafka does the same), so that after a restart
// or a leader change acknowledged records are not delivered again and acquired-but-unanswered
// ones are.
//
// Single-threaded: every method runs on the JS thread; lock timers re-enter through it.

export const RecordState = { AVAILABLE: 0, ACQUIRED: 1, ACKNOWLEDGED: 2, ARCHIVED: 4 } as const;
export type RecordStateCode = (typeof RecordState)[keyof typeof RecordState];

/** ShareFetch/ShareAcknowledge AcknowledgeTypes. */
export const AcknowledgeType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3, RENEW: 4 } as const;

export interface InFlightRecord {
  state: RecordStateCode;
  deliveryCount: number;
  memberId: string | null;
  /** Distinguishes acquisitions, so that an old lock's timer leaves a newer acquisition alone. */
  acquisition: number;
}

/** A run of offsets with one persisted state (ShareSnapshotValue.StateBatches). */
export interface StateBatch {
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly deliveryState: number;
  readonly deliveryCount: number;
}

export interface AcquiredRange {
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly deliveryCount: number;
}

export interface PersistedShareState {
  readonly stateEpoch: number;
  readonly startOffset: number;
  readonly stateBatches: readonly StateBatch[];
}

export class SharePartition {
  startOffset: number;
  endOffset: number;
  stateEpoch: number;
  private readonly records = new Map<number, InFlightRecord>();
  private nextAcquisition = 1;

  constructor(
    readonly groupId: string,
    readonly topicId: string,
    readonly topic: string,
    readonly partition: number,
    state: PersistedShareState,
    private readonly deliveryCountLimit: () => number,
  ) {
    this.stateEpoch = state.stateEpoch;
    this.startOffset = state.startOffset;
    this.endOffset = state.startOffset;
    for (const b of state.stateBatches) {
      for (let o = Math.max(b.firstOffset, state.startOffset); o <= b.lastOffset; o++) {
        const terminal = b.deliveryState === RecordState.ACKNOWLEDGED || b.deliveryState === RecordState.ARCHIVED;
        this.records.set(o, { state: terminal ? (b.deliveryState as RecordStateCode) : RecordState.AVAILABLE, deliveryCount: b.deliveryCount, memberId: null, acquisition: 0 });
        if (o + 1 > this.endOffset) this.endOffset = o + 1;
      }
    }
    // Fill holes (offsets the snapshot did not name are available, never delivered).
    for (let o = this.startOffset; o < this.endOffset; o++) {
      if (!this.records.has(o)) this.records.set(o, { state: RecordState.AVAILABLE, deliveryCount: 0, memberId: null, acquisition: 0 });
    }
    this.advanceStart();
  }

  /** The first offset a fetch must read from: the lowest available in-flight one, else endOffset. */
  nextFetchOffset(): number {
    for (let o = this.startOffset; o < this.endOffset; o++) {
      if (this.records.get(o)?.state === RecordState.AVAILABLE) return o;
    }
    return this.endOffset;
  }

  /** Records acquired now (the count of in-flight locks, bounded by group.share.partition.max.record.locks). */
  acquiredCount(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.state === RecordState.ACQUIRED) n++;
    return n;
  }

  /**
   * Acquires for `memberId` the available offsets from `fromOffset` through `lastOffset` (the
   * last offset of the log bytes read), at most `maxRecords`; returns the ranges acquired and
   * the acquisition id for their lock.
   */
  acquire(memberId: string, fromOffset: number, lastOffset: number, maxRecords: number): { ranges: AcquiredRange[]; acquisition: number } {
    const acquisition = this.nextAcquisition++;
    const ranges: AcquiredRange[] = [];
    let count = 0;
    const take = (o: number, r: InFlightRecord): void => {
      r.state = RecordState.ACQUIRED;
      r.deliveryCount++;
      r.memberId = memberId;
      r.acquisition = acquisition;
      const last = ranges[ranges.length - 1];
      if (last && last.lastOffset === o - 1 && last.deliveryCount === r.deliveryCount) ranges[ranges.length - 1] = { ...last, lastOffset: o };
      else ranges.push({ firstOffset: o, lastOffset: o, deliveryCount: r.deliveryCount });
      count++;
    };
    const start = Math.max(fromOffset, this.startOffset);
    for (let o = start; o <= lastOffset && count < maxRecords; o++) {
      let r = this.records.get(o);
      if (o >= this.endOffset) {
        // Offsets between endOffset and fromOffset cannot exist: fetches read from nextFetchOffset.
        r = { state: RecordState.AVAILABLE, deliveryCount: 0, memberId: null, acquisition: 0 };
        this.records.set(o, r);
        this.endOffset = o + 1;
      }
      if (r && r.state === RecordState.AVAILABLE) take(o, r);
    }
    return { ranges, acquisition };
  }

  /**
   * Applies one acknowledgement batch of `memberId`: every offset in it must be acquired by
   * that member (INVALID_RECORD_STATE otherwise, and nothing changes). `types` has one type
   * for the whole batch or one per offset. Returns whether the batch was valid.
   */
  acknowledge(memberId: string, firstOffset: number, lastOffset: number, types: readonly number[]): boolean {
    if (lastOffset < firstOffset || (types.length !== 1 && types.length !== lastOffset - firstOffset + 1)) return false;
    for (let o = firstOffset; o <= lastOffset; o++) {
      const r = this.records.get(o);
      const type = types.length === 1 ? types[0]! : types[o - firstOffset]!;
      if (type < AcknowledgeType.GAP || type > AcknowledgeType.RENEW) return false;
      if (!r || r.state !== RecordState.ACQUIRED || r.memberId !== memberId) return false;
    }
    for (let o = firstOffset; o <= lastOffset; o++) {
      const r = this.records.get(o)!;
      const type = types.length === 1 ? types[0]! : types[o - firstOffset]!;
      switch (type) {
        case AcknowledgeType.ACCEPT:
          this.finish(r, RecordState.ACKNOWLEDGED);
          break;
        case AcknowledgeType.RELEASE:
          this.release(r);
          break;
        case AcknowledgeType.RENEW:
          break;
        default: // REJECT, GAP
          this.finish(r, RecordState.ARCHIVED);
      }
    }
    this.advanceStart();
    return true;
  }

  /** Releases what one acquisition still holds (its lock expired); returns how many records. */
  releaseAcquisition(acquisition: number): number {
    let n = 0;
    for (const r of this.records.values()) {
      if (r.state === RecordState.ACQUIRED && r.acquisition === acquisition) {
        this.release(r);
        n++;
      }
    }
    if (n > 0) this.advanceStart();
    return n;
  }

  /** Releases every record `memberId` holds (its share session closed, it left the group). */
  releaseMember(memberId: string): number {
    let n = 0;
    for (const r of this.records.values()) {
      if (r.state === RecordState.ACQUIRED && r.memberId === memberId) {
        this.release(r);
        n++;
      }
    }
    if (n > 0) this.advanceStart();
    return n;
  }

  /** Restarts the lock of the records an acquisition holds (RENEW) under a new acquisition id. */
  renew(memberId: string, firstOffset: number, lastOffset: number): number {
    const acquisition = this.nextAcquisition++;
    for (let o = firstOffset; o <= lastOffset; o++) {
      const r = this.records.get(o);
      if (r && r.state === RecordState.ACQUIRED && r.memberId === memberId) r.acquisition = acquisition;
    }
    return acquisition;
  }

  /**
   * Moves the start offset (AlterShareGroupOffsets, or the log start passing it): records
   * below it are forgotten; a new start beyond endOffset empties the in-flight window.
   */
  resetStartOffset(offset: number): void {
    for (const o of [...this.records.keys()]) if (o < offset) this.records.delete(o);
    this.startOffset = offset;
    if (this.endOffset < offset) this.endOffset = offset;
    this.advanceStart();
  }

  /** The state to persist: runs of equal (state, delivery count), ACQUIRED written as AVAILABLE. */
  snapshot(): PersistedShareState {
    const batches: StateBatch[] = [];
    for (let o = this.startOffset; o < this.endOffset; o++) {
      const r = this.records.get(o);
      if (!r) continue;
      const deliveryState = r.state === RecordState.ACQUIRED ? RecordState.AVAILABLE : r.state;
      const last = batches[batches.length - 1];
      if (last && last.lastOffset === o - 1 && last.deliveryState === deliveryState && last.deliveryCount === r.deliveryCount) {
        batches[batches.length - 1] = { ...last, lastOffset: o };
      } else {
        batches.push({ firstOffset: o, lastOffset: o, deliveryState, deliveryCount: r.deliveryCount });
      }
    }
    return { stateEpoch: this.stateEpoch, startOffset: this.startOffset, stateBatches: batches };
  }

  /** Offsets in [startOffset, endOffset) whose delivery is complete (KIP-1226's DeliveryCompleteCount). */
  deliveryCompleteCount(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.state === RecordState.ACKNOWLEDGED || r.state === RecordState.ARCHIVED) n++;
    return n;
  }

  /** Per-state counts, for describe and tests. */
  counts(): Record<'available' | 'acquired' | 'acknowledged' | 'archived', number> {
    const c = { available: 0, acquired: 0, acknowledged: 0, archived: 0 };
    for (const r of this.records.values()) {
      if (r.state === RecordState.AVAILABLE) c.available++;
      else if (r.state === RecordState.ACQUIRED) c.acquired++;
      else if (r.state === RecordState.ACKNOWLEDGED) c.acknowledged++;
      else c.archived++;
    }
    return c;
  }

  private release(r: InFlightRecord): void {
    r.memberId = null;
    r.acquisition = 0;
    r.state = r.deliveryCount >= this.deliveryCountLimit() ? RecordState.ARCHIVED : RecordState.AVAILABLE;
  }

  private finish(r: InFlightRecord, state: RecordStateCode): void {
    r.memberId = null;
    r.acquisition = 0;
    r.state = state;
  }

  private advanceStart(): void {
    while (this.startOffset < this.endOffset) {
      const r = this.records.get(this.startOffset);
      if (r && r.state !== RecordState.ACKNOWLEDGED && r.state !== RecordState.ARCHIVED) break;
      this.records.delete(this.startOffset);
      this.startOffset++;
    }
  }
}
