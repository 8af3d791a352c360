// One client connection: 4-byte size framing with socket.request.max.bytes enforced before
// any buffering (frames are assembled in pooled buffers, see frame-buffer-pool.ts), pipelined requests answered strictly in arrival order, back-pressure
// (reading pauses while too many requests or response bytes are pending), the idle timeout
// (connections.max.idle.ms), and responses whose record bytes go out with sendfile.
// A bad frame closes this connection only.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Listener } from '../config/listeners.js';
import { FrameBufferPool } from './frame-buffer-pool.js';
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
const EMPTY = Buffer.alloc(0);
/** apiKey (2) + apiVersion (2) + correlationId (4): no request is shorter. */
const MIN_FRAME_BYTES = 8;

interface Slot {
  answer: Answer | undefined;
  done: boolean;
  /** The pooled buffer holding the request frame, returned to the pool when the handler is done. */
  frameBuffer: Buffer | null;
}

/** Frames of 4 KiB to 8 MiB are assembled in pooled buffers; at most 32 MiB is kept idle. */
const framePool = new FrameBufferPool(32 * 1024 * 1024, 4 * 1024, 8 * 1024 * 1024);

export class Connection implements ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The size prefix of the next frame while it arrives in pieces. */
  private readonly sizePrefix = Buffer.alloc(SIZE_PREFIX_BYTES);
  private sizePrefixBytes = 0;
  /** The frame being received: its bytes so far, and the (possibly pooled) buffer holding it. */
  private frame: Buffer | null = null;
  private frameBytes = 0;
  private frameBuffer: Buffer | null = null;
  private readonly slots: Slot[] = [];
  private writing = false;
  private closed = false;
  /** Set by drain(): reading stays paused until the connection closes. */
  private draining = false;
  private resolveClosed!: () => void;
  /** Resolves once the socket has closed. */
  readonly whenClosed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  /** Reads arrive through receive(): the socket server wires the socket's reads to it. */
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
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.logger.debug({ err, connection: id }, 'socket error'));
    socket.on('close', () => this.onSocketClosed());
  }

  get inFlight(): number {
    return this.slots.length;
  }

  /**
   * Bytes read from the socket, `data[0, length)`. They are valid only during this call (the
   * read buffer is reused for the next read), so every frame is copied out: into a pooled
   * buffer from 4 KiB up, which is the one copy a request's bytes make in the broker.
   */
  receive(data: Buffer, length: number): void {
    let pos = 0;
    while (pos < length && !this.closed) {
      if (this.frame === null) {
        let size: number;
        if (this.sizePrefixBytes === 0 && length - pos >= SIZE_PREFIX_BYTES) {
          size = data.readInt32BE(pos);
          pos += SIZE_PREFIX_BYTES;
        } else {
          const n = Math.min(SIZE_PREFIX_BYTES - this.sizePrefixBytes, length - pos);
          data.copy(this.sizePrefix, this.sizePrefixBytes, pos, pos + n);
          this.sizePrefixBytes += n;
          pos += n;
          if (this.sizePrefixBytes < SIZE_PREFIX_BYTES) return;
          this.sizePrefixBytes = 0;
          size = this.sizePrefix.readInt32BE(0);
        }
        if (size < MIN_FRAME_BYTES || size > this.limits.requestMaxBytes) {
          this.close(`invalid frame size ${size} (socket.request.max.bytes=${this.limits.requestMaxBytes})`);
          return;
        }
        const { buffer, pooled } = framePool.take(size);
        this.frame = buffer.length === size ? buffer : buffer.subarray(0, size);
        this.frameBuffer = pooled ? buffer : null;
        this.frameBytes = 0;
      }
      const frame = this.frame;
      const n = Math.min(frame.length - this.frameBytes, length - pos);
      data.copy(frame, this.frameBytes, pos, pos + n);
      this.frameBytes += n;
      pos += n;
      if (this.frameBytes === frame.length) {
        const frameBuffer = this.frameBuffer;
        this.frame = null;
        this.frameBuffer = null;
        this.dispatch(frame, frameBuffer);
      }
    }
  }

  private dispatch(frame: Buffer, frameBuffer: Buffer | null): void {
    const slot: Slot = { answer: undefined, done: false, frameBuffer };
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
    for (const part of parts) {
      if (Buffer.isBuffer(part)) {
        // Not awaited: the next part or response may follow at once. A failure (the peer
        // reset the connection) is reported by the socket's 'error' and 'close' events.
        if (part.length > 0) this.socket.write(part);
        continue;
      }
      // sendfile writes to the fd directly, so everything written before must have reached
      // the kernel. Node's write usually gets there at once (writableLength is then 0).
      if (this.socket.writableLength > 0) await this.flushed();
      await this.sendRange(part);
    }
  }

  /** Resolves when every byte written so far has been handed to the kernel. */
  private flushed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(EMPTY, (err) => (err ? reject(err) : resolve()));
    });
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
      // On this thread while the bytes are in the page cache and the socket takes them (no
      // thread-pool round trip); the rest, if any, from the pool, which may wait.
      const sentHere = range.trySendTo(fd);
      if (sentHere === range.byteLength) return;
      const sent = sentHere + (await range.sendTo(fd, sentHere));
      if (sent !== range.byteLength) throw new Error(`sendfile sent ${sent} of ${range.byteLength} bytes`);
      return;
    }
    await this.write(await range.toBuffer());
  }

  private maybeResume(): void {
    if (this.closed || this.draining) return;
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
    this.draining = true;
    this.socket.pause();
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && (this.slots.length > 0 || this.writing) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private onSocketClosed(): void {
    this.closed = true;
    if (this.frameBuffer) framePool.give(this.frameBuffer);
    this.frame = null;
    this.frameBuffer = null;
    this.onClose(this);
    this.resolveClosed();
  }
}

/** The OS file descriptor of a TCP socket, or -1 where Node does not expose one. */
function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}

export type { Listener };
