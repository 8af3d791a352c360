// One client connection: 4-byte size framing with socket.request.max.bytes enforced before
// any buffering, pipelined requests answered strictly in arrival order, back-pressure
// (reading pauses while too many requests or response bytes are pending), the idle timeout
// (connections.max.idle.ms), and responses whose record bytes go out with sendfile.
// A bad frame closes this connection only.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Listener } from '../config/listeners.js';
import type { Answer, ConnectionInfo, FileRange, RequestHandler, ResponsePart } from './types.js';

export interface ConnectionLimits {
  /** socket.request.max.bytes: the largest frame accepted. */
  readonly requestMaxBytes: number;
  /** queued.max.requests: requests in flight before reading pauses. */
  readonly queuedMaxRequests: number;
  /** Response bytes waiting in the socket's buffer before reading pauses. */
  readonly pendingResponseMaxBytes: number;
  /** connections.max.idle.ms. */
  readonly idleMs: number;
}

const SIZE_PREFIX_BYTES = 4;
/** apiKey (2) + apiVersion (2) + correlationId (4): no request is shorter. */
const MIN_FRAME_BYTES = 8;

interface Slot {
  answer: Answer | undefined;
  done: boolean;
  /** The pooled buffer holding the request frame, returned to the pool when the handler is done. */
  frameBuffer: Buffer | null;
}

/**
 * Buffers for request frames that arrive in several socket chunks (large produce requests),
 * reused across requests and connections. Allocating a fresh 1 MiB buffer per request made
 * V8 run a full mark-compact every ~30 MiB of produce traffic (external memory pressure).
 * Safe because handlers keep no view of a request once they are done: decoders copy every
 * field but `records`, and produce appends the records before it answers.
 */
class FrameBufferPool {
  private readonly free: Buffer[] = [];
  private freeBytes = 0;

  constructor(
    private readonly maxPooledBytes: number,
    private readonly maxBufferBytes: number,
  ) {}

  take(n: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= n);
    if (i >= 0) {
      const b = this.free.splice(i, 1)[0]!;
      this.freeBytes -= b.length;
      return b;
    }
    return Buffer.allocUnsafeSlow(n);
  }

  give(b: Buffer): void {
    if (b.length > this.maxBufferBytes || this.freeBytes + b.length > this.maxPooledBytes) return;
    this.free.push(b);
    this.freeBytes += b.length;
  }
}

const framePool = new FrameBufferPool(32 * 1024 * 1024, 8 * 1024 * 1024);

export class Connection implements ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private expectedFrameBytes = -1;
  /** The pooled buffer behind the frame consume() just returned, if any. */
  private consumedFrameBuffer: Buffer | null = null;
  private readonly slots: Slot[] = [];
  private writing = false;
  private closed = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    readonly listener: Listener,
    private readonly handler: RequestHandler,
    private readonly limits: ConnectionLimits,
    private readonly logger: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    if (limits.idleMs > 0) {
      socket.setTimeout(limits.idleMs, () => this.close('idle for connections.max.idle.ms'));
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.logger.debug({ err, connection: id }, 'socket error'));
    socket.on('close', () => this.onSocketClosed());
  }

  get inFlight(): number {
    return this.slots.length;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    while (!this.closed) {
      if (this.expectedFrameBytes < 0) {
        if (this.bufferedBytes < SIZE_PREFIX_BYTES) return;
        const size = this.peekSize();
        if (size < MIN_FRAME_BYTES || size > this.limits.requestMaxBytes) {
          this.close(`invalid frame size ${size} (socket.request.max.bytes=${this.limits.requestMaxBytes})`);
          return;
        }
        this.consume(SIZE_PREFIX_BYTES);
        this.expectedFrameBytes = size;
      }
      if (this.bufferedBytes < this.expectedFrameBytes) return;
      const frame = this.consume(this.expectedFrameBytes, true);
      this.expectedFrameBytes = -1;
      this.dispatch(frame);
    }
  }

  private peekSize(): number {
    let head = this.chunks[0]!;
    if (head.length < SIZE_PREFIX_BYTES) {
      head = Buffer.concat(this.chunks);
      this.chunks = [head];
    }
    return head.readInt32BE(0);
  }

  /** Takes n bytes off the front of the buffered chunks; zero-copy when they lie in one chunk. */
  private consume(n: number, frame = false): Buffer {
    const head = this.chunks[0]!;
    let out: Buffer;
    if (head.length >= n) {
      out = head.subarray(0, n);
      if (head.length === n) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
    } else {
      if (frame) {
        const pooled = framePool.take(n);
        this.consumedFrameBuffer = pooled;
        out = pooled.subarray(0, n);
      } else {
        out = Buffer.allocUnsafe(n);
      }
      let copied = 0;
      while (copied < n) {
        const c = this.chunks[0]!;
        const take = Math.min(c.length, n - copied);
        c.copy(out, copied, 0, take);
        copied += take;
        if (take === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(take);
      }
    }
    this.bufferedBytes -= n;
    return out;
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { answer: undefined, done: false, frameBuffer: this.consumedFrameBuffer };
    this.consumedFrameBuffer = null;
    this.slots.push(slot);
    if (this.slots.length >= this.limits.queuedMaxRequests) this.socket.pause();
    let result: Promise<Answer> | Answer;
    try {
      result = this.handler.handle(frame, this);
    } catch (err) {
      this.logger.error({ err, connection: this.id }, 'request handler threw');
      result = { close: 'internal error' };
    }
    if (result instanceof Promise) {
      result.then(
        (answer) => this.complete(slot, answer),
        (err: unknown) => {
          this.logger.error({ err, connection: this.id }, 'request handler failed');
          this.complete(slot, { close: 'internal error' });
        },
      );
    } else {
      this.complete(slot, result);
    }
  }

  private complete(slot: Slot, answer: Answer): void {
    slot.answer = answer;
    slot.done = true;
    if (slot.frameBuffer) {
      framePool.give(slot.frameBuffer);
      slot.frameBuffer = null;
    }
    if (!this.writing) void this.writeReady();
  }

  /** Writes completed answers in request order; stops at the first one still pending. */
  private async writeReady(): Promise<void> {
    this.writing = true;
    try {
      while (!this.closed && this.slots.length > 0 && this.slots[0]!.done) {
        const answer = this.slots.shift()!.answer!;
        if (answer === null) continue;
        if ('close' in answer) {
          this.close(answer.close);
          return;
        }
        await this.writeParts(answer.parts);
        this.maybeResume();
      }
    } catch (err) {
      this.close(`write failed: ${(err as Error).message}`);
    } finally {
      this.writing = false;
    }
  }

  private async writeParts(parts: readonly ResponsePart[]): Promise<void> {
    let lastWrite: Promise<void> | null = null;
    for (const part of parts) {
      if (Buffer.isBuffer(part)) {
        if (part.length > 0) {
          lastWrite = this.write(part);
          // Buffer writes are not awaited (the next response may follow at once); a failure
          // (the peer reset the connection) closes the socket, reported by its 'error' and
          // 'close' events, and must not become an unhandled rejection that ends the process.
          lastWrite.catch(() => {});
        }
        continue;
      }
      // sendfile writes to the fd directly, so everything written before must have reached the kernel.
      if (lastWrite) await lastWrite;
      lastWrite = null;
      await this.sendRange(part);
    }
  }

  private write(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(buf, (err) => (err ? reject(err) : resolve()));
    });
  }

  private async sendRange(range: FileRange): Promise<void> {
    if (range.byteLength === 0) return;
    const fd = socketFd(this.socket);
    if (fd >= 0 && this.socket.writableLength === 0) {
      const sent = await range.sendTo(fd);
      if (sent !== range.byteLength) throw new Error(`sendfile sent ${sent} of ${range.byteLength} bytes`);
      return;
    }
    await this.write(await range.toBuffer());
  }

  private maybeResume(): void {
    if (this.closed) return;
    if (this.slots.length < this.limits.queuedMaxRequests && this.socket.writableLength < this.limits.pendingResponseMaxBytes) {
      this.socket.resume();
    } else if (this.socket.writableLength >= this.limits.pendingResponseMaxBytes) {
      this.socket.pause();
    }
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.logger.debug({ connection: this.id, remote: `${this.remoteAddress}:${this.remotePort}`, reason }, 'closing connection');
    this.socket.destroy();
  }

  /** Stops reading new requests; resolves when every accepted request has been answered. */
  async drain(timeoutMs: number): Promise<void> {
    this.socket.pause();
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && (this.slots.length > 0 || this.writing) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private onSocketClosed(): void {
    this.closed = true;
    this.chunks = [];
    this.onClose(this);
  }
}

/** The OS file descriptor of a TCP socket, or -1 where Node does not expose one. */
function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}

export type { Listener };
