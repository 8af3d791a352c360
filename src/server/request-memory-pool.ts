// RequestMemoryPool (after Kafka's SimpleMemoryPool behind queued.max.request.bytes): the
// broker-wide budget of bytes of request frames read and not yet handled. A connection
// charges a frame's whole size when it starts assembling it and gives it back when the
// handler has answered; when the budget is spent, the connection stops reading (Kafka's
// MUTED_AND_OUT_OF_MEMORY) and waits here until another request gives memory back.
//
// Strict, with one exception: a frame is refused when it does not fit the bytes left,
// unless nothing at all is charged (so a frame larger than the budget still gets through,
// alone, instead of waiting for ever). With queued.max.request.bytes >= socket.request.max.bytes
// (checked at start-up, as Kafka does) the charged bytes never exceed the budget.
// Kafka's pool is lenient instead (any frame while a byte is left), which can overshoot by one
// request. -1 means no budget, Kafka's default.
// One event loop owns it: no locking. Costs one comparison per request.

/** Woken when memory may be available again; returns false to keep waiting. */
export type MemoryWaiter = () => boolean;

export class RequestMemoryPool {
  private used = 0;
  /** Times a frame was refused for lack of memory (each refusal stops one connection reading). */
  depletedCount = 0;
  private readonly waiters = new Set<MemoryWaiter>();
  private waking = false;

  /** @param maxBytes queued.max.request.bytes; -1 (or 0) for no limit */
  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Connections waiting for memory. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** Charges n bytes if they fit; false (counted) when they do not. */
  tryAllocate(n: number): boolean {
    if (this.maxBytes <= 0 || this.used === 0 || this.used + n <= this.maxBytes) {
      this.used += n;
      return true;
    }
    this.depletedCount++;
    return false;
  }

  release(n: number): void {
    this.used -= n;
    if (this.waiters.size > 0) this.wake();
  }

  /** Calls `waiter` (in arrival order with the others) each time memory is given back, until it returns true. */
  waitForMemory(waiter: MemoryWaiter): void {
    this.waiters.add(waiter);
  }

  cancelWait(waiter: MemoryWaiter): void {
    this.waiters.delete(waiter);
  }

  private wake(): void {
    // A waiter's requests may be answered at once and give memory back from inside the loop.
    if (this.waking) return;
    this.waking = true;
    try {
      this.wakeAll();
    } finally {
      this.waking = false;
    }
  }

  private wakeAll(): void {
    for (const waiter of this.waiters) {
      // A woken waiter charges what it needs at once, so stop when the budget is spent again.
      if (this.maxBytes > 0 && this.used >= this.maxBytes) return;
      // Still refused: it keeps its place, and a later, smaller frame may fit.
      if (waiter()) this.waiters.delete(waiter);
    }
  }
}
