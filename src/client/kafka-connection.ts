// KafkaConnection: one TCP connection to a Kafka-protocol broker, speaking the generated
// codecs. Requests are pipelined; responses are matched by correlation id (they arrive in
// order). Used by the tests, KafkaClient (the CLI tools), replication and the broker's own
// clients. SSL and SASL_SSL connections run the TLS handshake before the first request
// (client-tls.ts).
import net from 'node:net';
import tls from 'node:tls';
import { Writer } from '../protocol/primitives/index.js';
import { getApi, loadApiCodec, loadedApiCodec, type ApiKey, type ApiTypes } from '../protocol/generated/index.js';
import { decodeResponse, encodeRequest } from '../protocol/framing.js';
import { PLAINTEXT_SECURITY, type ClientSecurity } from './client-security.js';
import { clientTlsOptions, usesTls } from './client-tls.js';
import { authenticateSasl } from './sasl-client.js';
import type { FrameBufferPool } from '../frame-buffer-pool.js';

/** Default bound on a TCP connect. */
export const CONNECT_TIMEOUT_MS = 10_000;

interface Pending {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (err: Error) => void;
  /** requestHoldingFrame: resolve with the body and the release of its frame. */
  readonly holdsFrame?: boolean;
}

/** A response whose views (e.g. `records`) point into a pooled frame until release(). */
export interface HeldResponse<T> {
  readonly body: T;
  /** Gives the frame back to the pool: no view of the body's buffers may be used after. */
  release(): void;
}

/**
 * Where plaintext connections read from the socket (Node's `onread`): one buffer for every
 * connection of the process, since each read is copied out before the next one starts. A
 * fresh 64 KiB buffer per read (Node's default) is external memory V8 answers with garbage
 * collections when a replica fetcher pulls hundreds of MiB/s (see src/server/shared-read-buffer.ts).
 */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * Cuts a byte stream into size-prefixed frames. Each frame is copied once into a buffer of its
 * own size (a response's records are kept, e.g. appended by a follower, after later reads), so
 * reads may come from a shared buffer; a 1 MiB fetch response is not re-concatenated on every
 * 64 KiB read as it arrives.
 */
export class FrameReader {
  private readonly header = Buffer.alloc(4);
  private headerFill = 0;
  private frame: Buffer | null = null;
  /** The pool buffer `frame` is a view of, when it came from `pool` as a pooled one. */
  private pooled: Buffer | null = null;
  private fill = 0;
  /** Where frames come from when set (KafkaConnection.poolResponseFrames); Buffer.allocUnsafe otherwise. */
  pool: FrameBufferPool | null = null;

  constructor(
    private readonly onFrame: (frame: Buffer, pooled: Buffer | null) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Takes `data[0, length)`; the caller may reuse `data` once this returns. */
  push(data: Buffer, length = data.length): void {
    let pos = 0;
    while (pos < length) {
      if (this.frame === null) {
        let size: number;
        if (this.headerFill === 0 && length - pos >= 4) {
          size = data.readInt32BE(pos);
          pos += 4;
        } else {
          const n = Math.min(4 - this.headerFill, length - pos);
          data.copy(this.header, this.headerFill, pos, pos + n);
          this.headerFill += n;
          pos += n;
          if (this.headerFill < 4) return;
          this.headerFill = 0;
          size = this.header.readInt32BE(0);
        }
        if (size < 0) return this.onError(new Error(`invalid frame size ${size}`));
        if (this.pool) {
          const taken = this.pool.take(size);
          this.frame = taken.buffer.length === size ? taken.buffer : taken.buffer.subarray(0, size);
          this.pooled = taken.pooled ? taken.buffer : null;
        } else {
          this.frame = Buffer.allocUnsafe(size);
        }
        this.fill = 0;
      }
      const n = Math.min(this.frame.length - this.fill, length - pos);
      data.copy(this.frame, this.fill, pos, pos + n);
      this.fill += n;
      pos += n;
      if (this.fill === this.frame.length) {
        const frame = this.frame;
        const pooled = this.pooled;
        this.frame = null;
        this.pooled = null;
        this.onFrame(frame, pooled);
      }
    }
  }
}

export class KafkaConnection {
  private readonly writer = new Writer();
  private readonly frames: FrameReader;
  private readonly pending: Pending[] = [];
  private nextCorrelationId = 1;
  private closedError: Error | null = null;
  /** Settles when the codecs being loaded for requests sent meanwhile are in; null when nothing loads. */
  private loadingCodecs: Promise<void> | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly clientId: string,
    reader: { current: FrameReader | null },
  ) {
    reader.current = new FrameReader(
      (frame, pooled) => this.onFrame(frame, pooled),
      (err) => {
        this.fail(err);
        socket.destroy();
      },
    );
    const frames = reader.current;
    this.frames = frames;
    // Plaintext sockets read into SHARED_READ_BUFFER (onread, no 'data' events); TLS ones emit 'data'.
    socket.on('data', (chunk: Buffer) => frames.push(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by the broker')));
  }

  /**
   * Opens a connection. `timeoutMs` bounds the TCP connect and, over TLS, the handshake (an
   * unreachable host fails with code ETIMEDOUT instead of hanging); refused and unresolvable
   * hosts fail with their code, a failed TLS handshake with OpenSSL's error.
   * `localAddress` picks the address connected from (tests of per-address limits).
   * `security` says how the connection is secured (security.protocol, ssl.*); with SASL
   * (SASL_PLAINTEXT, SASL_SSL) it authenticates right after the connect (and the TLS handshake).
   */
  static async connect(host: string, port: number, clientId = 'tidelog', timeoutMs = CONNECT_TIMEOUT_MS, localAddress?: string, security: ClientSecurity = PLAINTEXT_SECURITY): Promise<KafkaConnection> {
    const connection = await KafkaConnection.openSocket(host, port, clientId, timeoutMs, localAddress, security);
    await KafkaConnection.authenticate(connection, security);
    return connection;
  }

  /** SASL after the connect (SaslHandshake v1 + SaslAuthenticate); a refusal closes the connection and throws. */
  private static async authenticate(connection: KafkaConnection, security: ClientSecurity): Promise<void> {
    if (!security.sasl) return;
    try {
      await authenticateSasl(connection, security.sasl);
    } catch (err) {
      connection.close();
      throw err;
    }
  }

  private static openSocket(host: string, port: number, clientId: string, timeoutMs: number, localAddress: string | undefined, security: ClientSecurity): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      let socket: net.Socket;
      const secured = usesTls(security);
      const reader: { current: FrameReader | null } = { current: null };
      try {
        socket = secured
          ? tls.connect({ host, port, ...(localAddress === undefined ? {} : { localAddress }), ...clientTlsOptions(security, host) })
          : net.connect({
              host,
              port,
              noDelay: true,
              ...(localAddress === undefined ? {} : { localAddress }),
              onread: {
                buffer: SHARED_READ_BUFFER,
                callback: (bytesRead: number, buf: Uint8Array) => {
                  reader.current?.push(buf as Buffer, bytesRead);
                  return true;
                },
              },
            });
      } catch (err) {
        reject(err as Error);
        return;
      }
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      socket.once(secured ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.off('close', onClose);
        resolve(new KafkaConnection(socket, clientId, reader));
      });
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      // A broker that refuses the client's certificate may just close the connection.
      const onClose = () => {
        clearTimeout(timer);
        reject(Object.assign(new Error(`connection to ${host}:${port} closed during the TLS handshake`), { code: 'ECONNRESET' }));
      };
      socket.once('error', onError);
      socket.once('close', onClose);
    });
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.pending.length;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /**
   * Sends a request; resolves with the decoded response body (or undefined for Produce acks=0
   * when `expectResponse` is false). The first request of an API loads its codecs first
   * (loadApiCodec); requests made meanwhile wait behind it, so they go out in call order.
   */
  request<K extends ApiKey>(apiKey: K, apiVersion: number, body: ApiTypes[K]['requestInput'], expectResponse = true): Promise<ApiTypes[K]['response']> {
    if (!getApi(apiKey)) return Promise.reject(new Error(`unknown api key ${apiKey}`));
    const loading = this.codecsLoaded(apiKey);
    if (loading === null) return this.send(apiKey, apiVersion, body, expectResponse, false) as Promise<ApiTypes[K]['response']>;
    return loading.then(() => this.send(apiKey, apiVersion, body, expectResponse, false)) as Promise<ApiTypes[K]['response']>;
  }

  /** null when `apiKey`'s codecs are in and nothing loads; else when they are (after what loads before them). */
  private codecsLoaded(apiKey: ApiKey): Promise<unknown> | null {
    if (loadedApiCodec(apiKey) !== undefined && this.loadingCodecs === null) return null;
    const loaded = (this.loadingCodecs ?? Promise.resolve()).then(() => loadApiCodec(apiKey));
    const settled = loaded.then(
      () => {},
      () => {},
    );
    this.loadingCodecs = settled;
    void settled.then(() => {
      if (this.loadingCodecs === settled) this.loadingCodecs = null;
    });
    return loaded;
  }

  private send<K extends ApiKey>(apiKey: K, apiVersion: number, body: ApiTypes[K]['requestInput'], expectResponse: boolean, holdsFrame: boolean): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequest(apiKey, apiVersion, correlationId, this.clientId, body, this.writer);
    return new Promise((resolve, reject) => {
      if (expectResponse) this.pending.push({ apiKey, apiVersion, correlationId, resolve, reject, holdsFrame });
      this.socket.write(frame, (err) => {
        if (err) reject(err);
        else if (!expectResponse) resolve(undefined as never);
      });
    });
  }

  /**
   * Response frames from now on come from `pool` (a replica fetcher's: a fresh buffer per
   * fetch response is external memory to V8, which answers a few hundred MiB/s of it with
   * major collections). Only responses of requestHoldingFrame go back to it.
   */
  poolResponseFrames(pool: FrameBufferPool): void {
    this.frames.pool = pool;
  }

  /**
   * request(), for a caller that gives the response's frame back with release() once done
   * with every view into it (a pooled frame is reused for a later response).
   */
  async requestHoldingFrame<K extends ApiKey>(apiKey: K, apiVersion: number, body: ApiTypes[K]['requestInput']): Promise<HeldResponse<ApiTypes[K]['response']>> {
    if (!getApi(apiKey)) throw new Error(`unknown api key ${apiKey}`);
    await this.codecsLoaded(apiKey);
    return (await this.send(apiKey, apiVersion, body, true, true)) as HeldResponse<ApiTypes[K]['response']>;
  }

  /** Writes raw bytes (for tests of malformed input). */
  writeRaw(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** Resolves when the broker closes the connection (or after timeoutMs with false). */
  waitClosed(timeoutMs: number): Promise<boolean> {
    if (this.socket.destroyed || this.closedError) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private onFrame(frame: Buffer, pooled: Buffer | null): void {
    const p = this.pending.shift();
    if (!p) return this.fail(new Error('response without a request'));
    try {
      const { correlationId, body } = decodeResponse(p.apiKey as ApiKey, p.apiVersion, frame);
      if (correlationId !== p.correlationId) throw new Error(`correlation id ${correlationId}, expected ${p.correlationId}`);
      if (!p.holdsFrame) return p.resolve(body);
      const pool = this.frames.pool;
      let held = pooled;
      p.resolve({
        body,
        release: () => {
          if (held && pool) pool.give(held);
          held = null;
        },
      } satisfies HeldResponse<unknown>);
    } catch (err) {
      p.reject(err as Error);
    }
  }

  private fail(err: Error): void {
    if (!this.closedError) this.closedError = err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }

  close(): void {
    this.socket.destroy();
  }
}
