// One client connection: 4-byte size framing with socket.request.max.bytes enforced before
// any buffering (frames are assembled in pooled buffers, see frame-buffer-pool.ts), pipelined
// requests answered strictly in arrival order, back-pressure (the channel is muted, as Kafka
// mutes it, while queued.max.requests requests are in flight, while more than
// pendingResponseMaxBytes of responses wait for the peer to read them, or while the broker's
// queued.max.request.bytes budget has no room for the next frame), the idle timeout
// (connections.max.idle.ms), and responses whose record bytes go out with sendfile (on this
// thread while they are in the page cache, corked with the response bytes around them).
// Sets the socket's buffer sizes (socket.send/receive.buffer.bytes), and shuts it down on
// close so a send still running on the thread pool ends too. A bad frame closes this
// connection only. Over TLS the record bytes are read into a reused buffer and written
// through the TLS socket in full chunks (tls-response-writer.ts; Kafka too gives up zero-copy
// on SSL listeners): sendfile would put plaintext on an encrypted connection.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Listener } from '../config/listeners.js';
import { native } from '../native.js';
import { FrameBufferPool } from '../frame-buffer-pool.js';
import { writeTlsResponse } from './tls-response-writer.js';
import type { RequestMemoryPool } from './request-memory-pool.js';
import type { Answer, ConnectionInfo, FileRange, RequestHandler, ResponsePart } from './types.js';
import { ANONYMOUS, type KafkaPrincipal } from '../security/principal.js';

export interface ConnectionLimits {
  /** socket.request.max.bytes: the largest frame accepted. */
  readonly requestMaxBytes: number;
  /** queued.max.requests: requests in flight before reading pauses. */
  readonly queuedMaxRequests: number;
  /**
   * Response bytes waiting in the socket's buffer (the peer does not read them) before the
   * connection stops reading requests: small, so that a client that never reads its
   * responses holds little memory and stalls only itself.
   */
  readonly pendingResponseMaxBytes: number;
  /** connections.max.idle.ms. */
  readonly idleMs: number;
  /** sasl.server.max.receive.size: the largest frame before SASL authentication completes (SASL listeners). */
  readonly saslMaxReceiveBytes?: number;
  /** socket.send.buffer.bytes: the socket's SO_SNDBUF, or -1 for the OS's own sizing. */
  readonly sendBufferBytes: number;
  /** socket.receive.buffer.bytes: the socket's SO_RCVBUF, or -1 for the OS's own sizing. */
  readonly receiveBufferBytes: number;
}

/** What every connection of a socket server shares: the request memory budget and the counts of mutes. */
export interface ConnectionShared {
  /** queued.max.request.bytes: frames are charged here from their first byte until answered. */
  readonly memoryPool: RequestMemoryPool;
  /** Times a connection stopped reading, per reason (the out-of-memory ones are the pool's depletedCount). */
  readonly mutes: { queuedMaxRequests: number; responsePending: number };
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
  /** Bytes charged to the request memory pool for the frame, given back when the handler is done. */
  chargedBytes: number;
  /** The request's API key (the frame's first two bytes), for the time split. */
  readonly apiKey: number;
  /** performance.now() when the frame's last bytes were read, when its handler started, and when its answer was ready. */
  readonly readMs: number;
  readonly startedMs: number;
  doneMs: number;
}

/** Frames of 4 KiB to 8 MiB are assembled in pooled buffers; at most 32 MiB is kept idle. */
const framePool = new FrameBufferPool(32 * 1024 * 1024, 4 * 1024, 8 * 1024 * 1024);

export class Connection implements ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  principal: KafkaPrincipal = ANONYMOUS;
  authenticating: boolean;
  /** The size prefix of the next frame while it arrives in pieces. */
  private readonly sizePrefix = Buffer.alloc(SIZE_PREFIX_BYTES);
  private sizePrefixBytes = 0;
  /** The frame being received: its bytes so far, and the (possibly pooled) buffer holding it. */
  private frame: Buffer | null = null;
  private frameBytes = 0;
  private frameBuffer: Buffer | null = null;
  private readonly slots: Slot[] = [];
  /**
   * Muted (Kafka's word): no request is taken from the socket, which is paused. Bytes already
   * read when the mute began wait in `held` (at most one socket read) and are taken first
   * when it ends.
   */
  private muted = false;
  private held: Buffer | null = null;
  /** True while receive() is taking `held` (then a view of it is kept, not a copy). */
  private receivingHeld = false;
  private replayScheduled = false;
  /** performance.now() when the bytes being taken now were read from the socket (held bytes: their first read). */
  private bytesReadMs = 0;
  private heldReadMs = 0;
  /** Whether unsent responses were over pendingResponseMaxBytes when last looked at. */
  private overResponseBound = false;
  private readonly replayHeldCallback = (): void => this.replayHeld();
  /** The size of the next frame while the request memory pool has no room for it; else -1. */
  private waitingFrameBytes = -1;
  private readonly memoryWaiter = (): boolean => this.onMemoryAvailable();
  private writing = false;
  private closed = false;
  /** Sends running on the thread pool, each through its own copy of the socket's fd. */
  private poolSends = 0;
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
    private readonly shared: ConnectionShared,
    private readonly logger: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.authenticating = listener.securityProtocol === 'SASL_PLAINTEXT' || listener.securityProtocol === 'SASL_SSL';
    socket.setNoDelay(true);
    this.setBufferSizes(socket, limits);
    if (limits.idleMs > 0) this.armIdleTimeout();
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.logger.debug({ err, connection: id }, 'socket error'));
    socket.on('close', () => this.onSocketClosed());
  }

  get inFlight(): number {
    return this.slots.length;
  }

  /** Whether the connection reads no requests now (see `muted`). */
  get isMuted(): boolean {
    return this.muted;
  }

  /**
   * Bytes read from the socket, `data[0, length)`. They are valid only during this call (the
   * read buffer is reused for the next read), so every frame is copied out: into a pooled
   * buffer from 4 KiB up, which is the one copy a request's bytes make in the broker.
   */
  receive(data: Buffer, length: number): void {
    this.bytesReadMs = this.receivingHeld ? this.heldReadMs : performance.now();
    try {
      this.takeBytes(data, length);
    } catch (err) {
      // The guard of last resort for this connection (Kafka's Processor catches the same):
      // a frame whose buffer cannot be allocated, or a bug on the read path, ends this
      // connection only; the broker goes on serving everyone else.
      this.logger.warn({ err, remote: `${this.remoteAddress}:${this.remotePort}` }, 'request could not be read: closing the connection');
      this.close(`request could not be read: ${(err as Error).message}`);
    }
  }

  private takeBytes(data: Buffer, length: number): void {
    let pos = 0;
    while (pos < length && !this.closed) {
      if (this.frame === null) {
        if (this.muted) {
          this.hold(data, pos, length);
          return;
        }
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
        if (this.authenticating) {
          // Kafka's SaslServerAuthenticator reads with sasl.server.max.receive.size; a raw
          // SASL token (after SaslHandshake v0) may be shorter than a request header.
          const max = Math.min(this.limits.requestMaxBytes, this.limits.saslMaxReceiveBytes ?? this.limits.requestMaxBytes);
          if (size < 1 || size > max) {
            this.close(`invalid SASL frame size ${size} during authentication (sasl.server.max.receive.size=${max})`);
            return;
          }
        } else if (size < MIN_FRAME_BYTES || size > this.limits.requestMaxBytes) {
          this.close(`invalid frame size ${size} (socket.request.max.bytes=${this.limits.requestMaxBytes})`);
          return;
        }
        if (!this.startFrame(size)) {
          this.waitingFrameBytes = size;
          this.mute();
          this.shared.memoryPool.waitForMemory(this.memoryWaiter);
          this.hold(data, pos, length);
          return;
        }
      }
      const frame = this.frame!;
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

  /** Charges a frame of `size` bytes to the request memory pool and takes its buffer; false when the pool has no room. */
  private startFrame(size: number): boolean {
    if (!this.shared.memoryPool.tryAllocate(size)) return false;
    const { buffer, pooled } = framePool.take(size);
    this.frame = buffer.length === size ? buffer : buffer.subarray(0, size);
    this.frameBuffer = pooled ? buffer : null;
    this.frameBytes = 0;
    return true;
  }

  /** Keeps `data[pos, length)` (read while muted) to be taken when the mute ends. */
  private hold(data: Buffer, pos: number, length: number): void {
    if (pos >= length) return;
    if (this.held === null) this.heldReadMs = this.bytesReadMs;
    // The socket's read buffer is reused by the next read: copy. `held` itself is ours.
    const rest = this.receivingHeld ? data.subarray(pos, length) : Buffer.from(data.subarray(pos, length));
    this.held = this.held === null ? rest : Buffer.concat([this.held, rest]);
  }

  private mute(): void {
    this.muted = true;
    this.socket.pause();
  }

  /** The pool's callback: the frame waiting for memory is charged now (true), or not yet (false). */
  private onMemoryAvailable(): boolean {
    if (this.closed) return true;
    if (!this.startFrame(this.waitingFrameBytes)) return false;
    this.waitingFrameBytes = -1;
    this.maybeResume();
    return true;
  }

  private dispatch(frame: Buffer, frameBuffer: Buffer | null): void {
    const startedMs = performance.now();
    const slot: Slot = { answer: undefined, done: false, frameBuffer, chargedBytes: frame.length, apiKey: frame.length >= 2 ? frame.readInt16BE(0) : -1, readMs: this.bytesReadMs, startedMs, doneMs: startedMs };
    this.slots.push(slot);
    if (this.slots.length >= this.limits.queuedMaxRequests && !this.muted) {
      this.shared.mutes.queuedMaxRequests++;
      this.mute();
    }
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
    slot.doneMs = performance.now();
    if (slot.frameBuffer) {
      framePool.give(slot.frameBuffer);
      slot.frameBuffer = null;
    }
    if (slot.chargedBytes > 0) {
      this.shared.memoryPool.release(slot.chargedBytes);
      slot.chargedBytes = 0;
    }
    if (!this.writing) void this.writeReady();
  }

  /** Writes completed answers in request order; stops at the first one still pending. */
  private async writeReady(): Promise<void> {
    this.writing = true;
    try {
      while (!this.closed && this.slots.length > 0 && this.slots[0]!.done) {
        const slot = this.slots.shift()!;
        const answer = slot.answer!;
        const writeMs = performance.now();
        if (answer !== null && 'close' in answer) {
          this.close(answer.close);
          return;
        }
        if (answer !== null) {
          await this.writeParts(answer.parts);
          if (answer.closeAfter !== undefined) {
            await this.flushed();
            this.close(answer.closeAfter);
            return;
          }
          this.maybeResume();
        }
        this.handler.requestDone?.(slot.apiKey, { queueMs: slot.startedMs - slot.readMs, handlerMs: slot.doneMs - slot.startedMs, responseQueueMs: writeMs - slot.doneMs, sendMs: performance.now() - writeMs });
      }
      // Requests without a response (Produce acks=0) free their slots without a write: a
      // connection muted at queued.max.requests must read again after them too.
      this.maybeResume();
    } catch (err) {
      this.close(`write failed: ${(err as Error).message}`);
    } finally {
      this.writing = false;
    }
  }

  /**
   * Writes a response's parts in order. A file range goes out with the bytes just before it
   * (and after it, when they end the response) in one native call where it can: see
   * sendAround.
   */
  private async writeParts(parts: readonly ResponsePart[]): Promise<void> {
    if (this.socket instanceof TLSSocket && parts.some((p) => !Buffer.isBuffer(p))) {
      // No sendfile over TLS: the records are read into a reused buffer and encrypted by
      // Node, in full chunks (tls-response-writer.ts).
      await writeTlsResponse(this.socket, parts);
      return;
    }
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const next = parts[i + 1];
      if (Buffer.isBuffer(part) && next !== undefined && !Buffer.isBuffer(next)) {
        const last = parts[i + 2];
        const tail = i + 2 === parts.length - 1 && Buffer.isBuffer(last) ? last : EMPTY;
        await this.sendAround(part, next, tail);
        i += tail === EMPTY ? 1 : 2;
      } else if (Buffer.isBuffer(part)) {
        // Not awaited: the next part or response may follow at once. A failure (the peer
        // reset the connection) is reported by the socket's 'error' and 'close' events.
        if (part.length > 0) this.socket.write(part);
      } else {
        await this.sendAround(EMPTY, part, EMPTY);
      }
    }
  }

  /**
   * Sends `head`, the range's bytes and `tail`. While the range is in the page cache and the
   * socket takes the bytes, all three go out on this thread in one native call, corked into
   * full segments: no thread-pool round trip, no small packets around the records. What is
   * left follows in order: the head through the socket, the range from the thread pool
   * (sendfile, which may wait for the disk or the peer), the tail through the socket.
   */
  private async sendAround(head: Buffer, range: FileRange, tail: Buffer): Promise<void> {
    const fd = socketFd(this.socket);
    const sent = fd >= 0 && range.byteLength > 0 && this.socket.writableLength === 0 ? range.trySendTo(fd, head, tail) : 0;
    if (sent < head.length && head.length > 0) this.socket.write(sent === 0 ? head : head.subarray(sent));
    const rangeSent = Math.min(Math.max(sent - head.length, 0), range.byteLength);
    if (rangeSent < range.byteLength) {
      if (fd >= 0) {
        // sendfile writes to the fd directly, so everything written before must have reached
        // the kernel. Node's write usually gets there at once (writableLength is then 0).
        if (this.socket.writableLength > 0) await this.flushed();
        // The socket may have closed meanwhile, and its number gone to another connection.
        if (this.closed || socketFd(this.socket) !== fd) throw new Error('connection closed while sending a response');
        let rest: number;
        this.poolSends++;
        try {
          rest = await range.sendTo(fd, rangeSent);
        } finally {
          this.poolSends--;
        }
        if (rangeSent + rest !== range.byteLength) throw new Error(`sendfile sent ${rangeSent + rest} of ${range.byteLength} bytes`);
      } else {
        this.socket.write(await range.toBuffer());
      }
    }
    const tailSent = Math.max(sent - head.length - range.byteLength, 0);
    if (tailSent < tail.length) this.socket.write(tailSent === 0 ? tail : tail.subarray(tailSent));
  }

  /** Resolves when every byte written so far has been handed to the kernel. */
  private flushed(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(EMPTY, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Mutes the connection while its unsent responses exceed pendingResponseMaxBytes; ends a mute
   * once requests in flight, unsent responses and the memory pool allow, taking the bytes held
   * meanwhile first. Called after each response written and on the socket's 'drain'.
   */
  private maybeResume(): void {
    if (this.closed || this.draining) return;
    if (this.socket.writableLength >= this.limits.pendingResponseMaxBytes) {
      // Counted when the bound is reached, also when the connection was muted already (for
      // queued.max.requests): from now on it is the unread responses that keep it muted.
      if (!this.overResponseBound) {
        this.overResponseBound = true;
        this.shared.mutes.responsePending++;
      }
      if (!this.muted) this.mute();
      return;
    }
    this.overResponseBound = false;
    if (!this.muted || this.slots.length >= this.limits.queuedMaxRequests || this.waitingFrameBytes >= 0) return;
    if (this.held !== null) {
      // Taken on a later turn of the event loop, not from inside this one's chain of
      // responses: a connection with many requests held must not keep the others waiting.
      if (!this.replayScheduled) {
        this.replayScheduled = true;
        setImmediate(this.replayHeldCallback);
      }
      return;
    }
    this.muted = false;
    this.socket.resume();
  }

  /** Takes the requests held during a mute (until the next mute), then reads the socket again. */
  private replayHeld(): void {
    this.replayScheduled = false;
    if (this.closed || this.draining || !this.muted || this.held === null) return;
    if (this.slots.length >= this.limits.queuedMaxRequests || this.waitingFrameBytes >= 0 || this.socket.writableLength >= this.limits.pendingResponseMaxBytes) return;
    const held = this.held;
    this.held = null;
    this.muted = false;
    this.receivingHeld = true;
    try {
      this.receive(held, held.length);
    } finally {
      this.receivingHeld = false;
    }
    if (!this.muted && !this.closed) this.socket.resume();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.logger.debug({ connection: this.id, remote: `${this.remoteAddress}:${this.remotePort}`, reason }, 'closing connection');
    // A pool send holds a copy of the fd, which keeps the connection open after Node closes
    // its own until that send ends: up to its stall timeout when the peer stopped reading.
    // Shutting the socket down ends both now.
    const fd = this.poolSends > 0 ? socketFd(this.socket) : -1;
    if (fd >= 0) {
      try {
        native.shutDownSocket(fd);
      } catch (err) {
        this.logger.debug({ err, connection: this.id }, 'socket shutdown failed');
      }
    }
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

  /**
   * connections.max.idle.ms. Node counts only the bytes it reads and writes itself, so a send
   * running on the thread pool would look idle: that is activity (Kafka closes only
   * connections that neither read nor write), and the send's own stall timeout ends a peer
   * that stopped reading. Node's timeout callback fires once, so it re-arms itself.
   */
  private armIdleTimeout(): void {
    this.socket.setTimeout(this.limits.idleMs, () => {
      if (this.poolSends > 0) this.armIdleTimeout();
      else this.close('idle for connections.max.idle.ms');
    });
  }

  private setBufferSizes(socket: Socket, limits: ConnectionLimits): void {
    // A TLS connection's sizes were set on its TCP socket before the handshake (socket-server.ts).
    if (socket instanceof TLSSocket) return;
    applySocketBufferSizes(socket, limits, this.logger.child({ connection: this.id }));
  }

  private onSocketClosed(): void {
    this.closed = true;
    if (this.frame !== null) this.shared.memoryPool.release(this.frame.length);
    if (this.waitingFrameBytes >= 0) this.shared.memoryPool.cancelWait(this.memoryWaiter);
    this.held = null;
    if (this.frameBuffer) framePool.give(this.frameBuffer);
    this.frame = null;
    this.frameBuffer = null;
    this.onClose(this);
    this.resolveClosed();
  }
}

/** socket.send/receive.buffer.bytes on a TCP socket (not a TLS one: it has no fd of its own). */
export function applySocketBufferSizes(socket: Socket, limits: ConnectionLimits, logger: Logger): void {
  if (limits.sendBufferBytes === -1 && limits.receiveBufferBytes === -1) return;
  const fd = socketFd(socket);
  if (fd < 0) {
    logger.debug('no socket fd here: socket.send/receive.buffer.bytes not applied');
    return;
  }
  try {
    native.setSocketBufferSizes(fd, limits.sendBufferBytes, limits.receiveBufferBytes);
  } catch (err) {
    // The error names the option (SO_SNDBUF or SO_RCVBUF) that failed; the other may be set.
    logger.warn({ err }, 'cannot set a socket buffer size; the OS sizes that buffer');
  }
}

/**
 * The OS file descriptor of a plaintext TCP socket, or -1 where Node does not expose one and
 * always for a TLS socket: bytes written to its fd would bypass the encryption, so responses
 * there go through writeTlsResponse.
 */
function socketFd(socket: Socket): number {
  if (socket instanceof TLSSocket) return -1;
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  return typeof handle?.fd === 'number' ? handle.fd : -1;
}

export type { Listener };
