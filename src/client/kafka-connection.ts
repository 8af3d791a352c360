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

/** Default bound on a TCP connect. */
export const CONNECT_TIMEOUT_MS = 10_000;

interface Pending {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (err: Error) => void;
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
  private fill = 0;

  constructor(
    private readonly onFrame: (frame: Buffer) => void,
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
        this.frame = Buffer.allocUnsafe(size);
        this.fill = 0;
      }
      const n = Math.min(this.frame.length - this.fill, length - pos);
      data.copy(this.frame, this.fill, pos, pos + n);
      this.fill += n;
      pos += n;
      if (this.fill === this.frame.length) {
        const frame = this.frame;
        this.frame = null;
        this.onFrame(frame);
      }
    }
  }
}

export class KafkaConnection {
  private readonly writer = new Writer();
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
      (frame) => this.onFrame(frame),
      (err) => {
        this.fail(err);
        socket.destroy();
      },
    );
    const frames = reader.current;
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
    if (loadedApiCodec(apiKey) !== undefined && this.loadingCodecs === null) return this.send(apiKey, apiVersion, body, expectResponse);
    const loaded = (this.loadingCodecs ?? Promise.resolve()).then(() => loadApiCodec(apiKey));
    const settled = loaded.then(
      () => {},
      () => {},
    );
    this.loadingCodecs = settled;
    void settled.then(() => {
      if (this.loadingCodecs === settled) this.loadingCodecs = null;
    });
    return loaded.then(() => this.send(apiKey, apiVersion, body, expectResponse));
  }

  private send<K extends ApiKey>(apiKey: K, apiVersion: number, body: ApiTypes[K]['requestInput'], expectResponse: boolean): Promise<ApiTypes[K]['response']> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequest(apiKey, apiVersion, correlationId, this.clientId, body, this.writer);
    return new Promise((resolve, reject) => {
      if (expectResponse) this.pending.push({ apiKey, apiVersion, correlationId, resolve: resolve as (b: unknown) => void, reject });
      this.socket.write(frame, (err) => {
        if (err) reject(err);
        else if (!expectResponse) resolve(undefined as never);
      });
    });
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

  private onFrame(frame: Buffer): void {
    const p = this.pending.shift();
    if (!p) return this.fail(new Error('response without a request'));
    try {
      const { correlationId, body } = decodeResponse(p.apiKey as ApiKey, p.apiVersion, frame);
      if (correlationId !== p.correlationId) throw new Error(`correlation id ${correlationId}, expected ${p.correlationId}`);
      p.resolve(body);
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
