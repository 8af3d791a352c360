// KafkaConnection: one TCP connection to a Kafka-protocol broker, speaking the generated
// codecs. Requests are pipelined; responses are matched by correlation id (they arrive in
// order). Used by the tests, KafkaClient (the CLI tools), replication and the broker's own
// clients. SSL and SASL_SSL connections run the TLS handshake before the first request
// (client-tls.ts).
import net from 'node:net';
import tls from 'node:tls';
import { Writer } from '../protocol/primitives/index.js';
import { getApi, type ApiKey, type ApiTypes } from '../protocol/generated/index.js';
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

export class KafkaConnection {
  private readonly writer = new Writer();
  private readonly pending: Pending[] = [];
  private nextCorrelationId = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly clientId: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
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
      try {
        socket = secured
          ? tls.connect({ host, port, ...(localAddress === undefined ? {} : { localAddress }), ...clientTlsOptions(security, host) })
          : net.connect({ host, port, noDelay: true, ...(localAddress === undefined ? {} : { localAddress }) });
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
        resolve(new KafkaConnection(socket, clientId));
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

  /** Sends a request; resolves with the decoded response body (or undefined for Produce acks=0 when `expectResponse` is false). */
  request<K extends ApiKey>(apiKey: K, apiVersion: number, body: ApiTypes[K]['requestInput'], expectResponse = true): Promise<ApiTypes[K]['response']> {
    const api = getApi(apiKey);
    if (!api) return Promise.reject(new Error(`unknown api key ${apiKey}`));
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

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < 4) return;
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [head];
      const size = head.readInt32BE(0);
      if (this.buffered < 4 + size) return;
      const frame = head.subarray(4, 4 + size);
      const rest = head.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.onFrame(frame);
    }
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
