// FrameBufferPool: the memory frames are assembled in, reused so that traffic does not allocate
// a fresh buffer per frame: request frames of the broker's connections, response frames of a
// replica fetcher's (given back once their batches are appended).
// A fresh buffer per request (and per socket read) is external memory to V8, and every
// ~64 MiB of it made V8 run a full mark-compact: under kcat's 1 MB produce requests, one
// every 70-100 ms (BENCHMARKS.md, "Garbage collection under large produce requests").
// Buffers come in power-of-two size classes; frames below the smallest class come from
// Node's own slab allocator (Buffer.allocUnsafe), frames above the largest are not kept.
// Safe because request handlers keep no view of a frame once they have answered: decoders
// copy every field except `records`, and Produce appends the records before it answers.

export class FrameBufferPool {
  /** Free buffers by size class: free[k] holds buffers of 2^k bytes. */
  private readonly free: Buffer[][] = [];
  private freeBytes = 0;
  private readonly minClass: number;
  private readonly maxClass: number;

  /**
   * @param maxFreeBytes bytes the pool keeps when nothing uses them
   * @param minPooledBytes frames smaller than this are not pooled (rounded up to a power of two)
   * @param maxPooledBytes frames larger than this are not pooled (rounded up to a power of two)
   */
  constructor(
    private readonly maxFreeBytes: number,
    minPooledBytes: number,
    maxPooledBytes: number,
  ) {
    this.minClass = sizeClass(minPooledBytes);
    this.maxClass = sizeClass(maxPooledBytes);
  }

  /**
   * A buffer of at least n bytes. `pooled` says whether it must go back with give() once no
   * view of it is left; a buffer that is not pooled is simply dropped.
   */
  take(n: number): { buffer: Buffer; pooled: boolean } {
    const k = sizeClass(n);
    if (n < 2 ** this.minClass) return { buffer: Buffer.allocUnsafe(n), pooled: false };
    if (k > this.maxClass) return { buffer: Buffer.allocUnsafeSlow(n), pooled: false };
    const buffer = this.free[k]?.pop();
    if (buffer) {
      this.freeBytes -= buffer.length;
      return { buffer, pooled: true };
    }
    return { buffer: Buffer.allocUnsafeSlow(2 ** k), pooled: true };
  }

  /** Returns a buffer take() handed out as pooled; kept unless the pool is full. */
  give(buffer: Buffer): void {
    const k = sizeClass(buffer.length);
    // Only whole class buffers: anything else filed under a class would cut a later frame short.
    if (buffer.length !== 2 ** k || k < this.minClass || k > this.maxClass) return;
    if (this.freeBytes + buffer.length > this.maxFreeBytes) return;
    (this.free[k] ??= []).push(buffer);
    this.freeBytes += buffer.length;
  }

  /** Bytes held in free buffers. */
  get idleBytes(): number {
    return this.freeBytes;
  }
}

/** The smallest k with 2^k >= n (n >= 1). */
function sizeClass(n: number): number {
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1);
}
