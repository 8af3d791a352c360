// FollowerTracker: a partition leader's view of its followers (Kafka's Replica state in
// Partition): each follower's log end offset, learnt from the fetch offset of its Fetch
// requests, and the last time it was caught up. From these the leader decides the high
// watermark (the smallest log end offset in the ISR), which followers have fallen out of sync
// (not caught up for replica.lag.time.max.ms) and which may rejoin the ISR (caught up to the
// high watermark and into the current leader epoch). Pure bookkeeping: no I/O, no timers.

interface FollowerState {
  logEndOffset: number;
  /** The last time the follower had everything the leader had (Kafka's lastCaughtUpTimeMs). */
  lastCaughtUpTimeMs: number;
  /** The leader's log end offset and the time at the follower's previous fetch. */
  lastFetchLeaderLogEndOffset: number;
  lastFetchTimeMs: number;
}

export class FollowerTracker {
  private readonly followers = new Map<number, FollowerState>();

  /**
   * A new leadership: every other replica starts unknown (log end offset -1). Those in the
   * ISR are treated as caught up now, so they get replica.lag.time.max.ms to fetch before
   * they are dropped (Kafka does the same on becoming leader).
   */
  reset(replicas: readonly number[], isr: readonly number[], selfId: number, nowMs: number): void {
    this.followers.clear();
    for (const id of replicas) {
      if (id === selfId) continue;
      const caughtUp = isr.includes(id) ? nowMs : 0;
      this.followers.set(id, { logEndOffset: -1, lastCaughtUpTimeMs: caughtUp, lastFetchLeaderLogEndOffset: -1, lastFetchTimeMs: caughtUp });
    }
  }

  /**
   * The replica set changed under the same leadership (a reassignment): added followers start
   * unknown and out of sync, removed ones are forgotten; the rest keep their state.
   */
  track(replicas: readonly number[], selfId: number): void {
    for (const id of [...this.followers.keys()]) if (!replicas.includes(id)) this.followers.delete(id);
    for (const id of replicas) {
      if (id === selfId || this.followers.has(id)) continue;
      this.followers.set(id, { logEndOffset: -1, lastCaughtUpTimeMs: 0, lastFetchLeaderLogEndOffset: -1, lastFetchTimeMs: 0 });
    }
  }

  clear(): void {
    this.followers.clear();
  }

  has(replicaId: number): boolean {
    return this.followers.has(replicaId);
  }

  logEndOffsetOf(replicaId: number): number {
    return this.followers.get(replicaId)?.logEndOffset ?? -1;
  }

  /**
   * A Fetch from a follower at `fetchOffset`: it holds everything below it. Caught up when it
   * asks from the leader's log end offset, or from where the leader's log ended at its previous
   * fetch (then it was caught up as of that fetch: Kafka's updateFetchState).
   */
  recordFetch(replicaId: number, fetchOffset: number, leaderLogEndOffset: number, nowMs: number): void {
    const f = this.followers.get(replicaId);
    if (!f) return;
    if (fetchOffset >= leaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
    f.logEndOffset = fetchOffset;
    f.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    f.lastFetchTimeMs = nowMs;
  }

  /** The high watermark the ISR allows: the smallest log end offset among its members (the leader's own included). */
  committedOffset(isr: readonly number[], selfId: number, leaderLogEndOffset: number): number {
    let min = leaderLogEndOffset;
    for (const id of isr) {
      if (id === selfId) continue;
      const leo = this.followers.get(id)?.logEndOffset ?? -1;
      if (leo < min) min = leo;
    }
    return min;
  }

  /** ISR members (not the leader) that have not been caught up for `maxLagMs` (Kafka's getOutOfSyncReplicas). */
  outOfSync(isr: readonly number[], selfId: number, nowMs: number, maxLagMs: number): number[] {
    return isr.filter((id) => {
      if (id === selfId) return false;
      const f = this.followers.get(id);
      return !f || nowMs - f.lastCaughtUpTimeMs > maxLagMs;
    });
  }

  /**
   * Followers outside the ISR that may join it (Kafka's isFollowerInSync): caught up to the
   * high watermark and past the offset where this leader's epoch began, so they hold nothing
   * from an older, divergent leadership.
   */
  readyToJoin(isr: readonly number[], highWatermark: number, leaderEpochStartOffset: number): number[] {
    const out: number[] = [];
    for (const [id, f] of this.followers) {
      if (isr.includes(id)) continue;
      if (f.logEndOffset >= highWatermark && f.logEndOffset >= leaderEpochStartOffset) out.push(id);
    }
    return out;
  }
}
