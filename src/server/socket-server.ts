// SocketServer: one TCP listener per entry of `listeners`, accepting connections and
// handing each to a Connection. Knows the ports actually bound (port 0 = ephemeral), and
// shuts down in Kafka's order: stop accepting, let in-flight requests finish, close.
// Every connection reads into one buffer the server owns (shared-read-buffer.ts).
// Owns the broker-wide limits: max.connections and max.connections.per.ip (a connection
// over them is closed at accept, connection-quotas.ts) and queued.max.request.bytes (the
// memory pool every connection charges its request frames to, request-memory-pool.ts);
// `limitStats` is what /metrics shows of them. SSL and SASL_SSL listeners run the TLS
// handshake first (security/tls/listener-tls.ts); their connections read through the TLS
// socket, never the shared buffer, and never send with sendfile.
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Listener } from '../config/listeners.js';
import { ListenerTls, type TlsHandshakeFailures } from '../security/tls/listener-tls.js';
import { ANONYMOUS, type KafkaPrincipal } from '../security/principal.js';
import { Connection, type ConnectionLimits, type ConnectionShared } from './connection.js';
import { ConnectionQuotas, normalizeAddress, type ConnectionLimitName, type ConnectionQuotaConfig } from './connection-quotas.js';
import { RequestMemoryPool } from './request-memory-pool.js';
import { readIntoSharedBuffer } from './shared-read-buffer.js';
import { native } from '../native.js';
import { applySocketBufferSizes } from './connection.js';
import type { RequestHandler } from './types.js';

export interface BoundListener extends Listener {
  /** The port actually bound (differs from `port` when that was 0). */
  readonly boundPort: number;
}

/**
 * Bytes one socket read can take: a 1 MB produce request arrives in four reads. Also the most
 * a muted connection holds of bytes read before the mute (Connection's `held`).
 */
export const READ_BUFFER_BYTES = 256 * 1024;

/** The broker-wide limits, from the configuration. */
export interface ServerLimits extends ConnectionQuotaConfig {
  /** queued.max.request.bytes; -1 for none. */
  readonly queuedMaxRequestBytes: number;
}

/** Counts of limits reached, read when /metrics is scraped. */
export interface LimitStats {
  /** Connections closed at accept, per limit (max.connections, max.connections.per.ip). */
  readonly connectionsRefused: Readonly<Record<ConnectionLimitName, number>>;
  /** Times a connection stopped reading: queued.max.requests in flight, unsent responses over the bound, no room in queued.max.request.bytes. */
  readonly mutes: { readonly queuedMaxRequests: number; readonly responsePending: number; readonly outOfMemory: number };
  /** Connections not reading requests now (muted, for any of those reasons). */
  readonly mutedConnections: number;
  /** Request bytes charged to queued.max.request.bytes now, and the limit (-1: none). */
  readonly requestMemoryUsedBytes: number;
  readonly requestMemoryMaxBytes: number;
  /** TLS handshakes that failed, per SSL / SASL_SSL listener and reason. */
  readonly tlsHandshakeFailures: Readonly<Record<string, Readonly<TlsHandshakeFailures>>>;
}

export class SocketServer {
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private readonly quotas: ConnectionQuotas;
  private readonly shared: ConnectionShared;
  /** The TLS side of each SSL / SASL_SSL listener, by listener name. */
  private readonly tls = new Map<string, ListenerTls>();
  readonly bound: BoundListener[] = [];

  constructor(
    private readonly listeners: readonly Listener[],
    private readonly handler: RequestHandler,
    private readonly limits: ConnectionLimits,
    serverLimits: ServerLimits,
    private readonly logger: Logger,
    /** The broker's configuration, for the ssl.* keys of TLS listeners; unneeded when every listener is plaintext. */
    private readonly config?: BrokerConfig,
  ) {
    this.quotas = new ConnectionQuotas(serverLimits);
    this.shared = { memoryPool: new RequestMemoryPool(serverLimits.queuedMaxRequestBytes), mutes: { queuedMaxRequests: 0, responsePending: 0 } };
  }

  /** A listener's TLS stores changed dynamically: each TLS listener loads its stores again from the configuration. */
  reconfigureTls(): void {
    for (const t of this.tls.values()) t.reconfigure();
  }

  /** max.connections, max.connections.per.ip and its overrides changed dynamically: the next accept uses them. */
  reconfigureConnectionLimits(limits: Parameters<ConnectionQuotas['reconfigure']>[0]): void {
    this.quotas.reconfigure(limits);
  }

  get limitStats(): LimitStats {
    const pool = this.shared.memoryPool;
    let muted = 0;
    for (const c of this.connections) if (c.isMuted) muted++;
    return {
      mutedConnections: muted,
      connectionsRefused: this.quotas.refused,
      mutes: { ...this.shared.mutes, outOfMemory: pool.depletedCount },
      requestMemoryUsedBytes: pool.usedBytes,
      requestMemoryMaxBytes: pool.maxBytes,
      tlsHandshakeFailures: Object.fromEntries([...this.tls].map(([name, t]) => [name, { ...t.failures }])),
    };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    for (const listener of this.listeners) {
      if (listener.securityProtocol === 'SSL' || listener.securityProtocol === 'SASL_SSL') {
        if (!this.config) throw new Error(`listener ${listener.name} uses ${listener.securityProtocol}, and the socket server was given no configuration to read ssl.* from`);
        // Throws ConfigError naming the key when the stores cannot serve TLS: start-up stops.
        this.tls.set(listener.name, ListenerTls.create(this.config, listener, this.logger));
      }
      const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket, listener));
      await new Promise<void>((resolve, reject) => {
        // The start-up error names the key to change (Kafka: "Socket server failed to bind to ...").
        server.once('error', (e: NodeJS.ErrnoException) => {
          const where = `${listener.name}://${listener.host}:${listener.port}`;
          reject(Object.assign(new Error(`listeners: cannot listen on ${where}: ${e.code ?? e.message}`), { code: e.code }));
        });
        server.listen({ host: listener.host === '' ? '0.0.0.0' : listener.host, port: listener.port }, () => {
          server.removeAllListeners('error');
          resolve();
        });
      });
      server.on('error', (err) => this.logger.error({ err, listener: listener.name }, 'listener error'));
      const address = server.address() as net.AddressInfo;
      this.bound.push({ ...listener, boundPort: address.port });
      this.servers.push(server);
      // A TLS listener cannot sendfile: records are read into memory and encrypted by Node.
      // Kernel TLS (kTLS) would keep sendfile; say whether this kernel offers it (it is not used yet).
      const tlsSend = this.tls.has(listener.name) ? { sendfile: false, kernelTls: native.kernelTlsAvailable() ? 'available, not used' : 'unavailable (no tls ULP in this kernel)' } : {};
      this.logger.info({ listener: listener.name, securityProtocol: listener.securityProtocol, host: address.address, port: address.port, ...tlsSend }, 'listening');
    }
  }

  private accept(accepted: net.Socket, listener: Listener): void {
    const address = normalizeAddress(accepted.remoteAddress ?? '');
    const refusedBy = this.quotas.tryAcquire(address, listener.name);
    if (refusedBy !== null) {
      // Not logged at info: a client retrying in a loop would flood the log. /metrics counts it.
      this.logger.debug({ remote: address, limit: refusedBy }, 'connection refused');
      accepted.destroy();
      return;
    }
    const tls = this.tls.get(listener.name);
    if (tls) {
      // The TCP socket's close ends the TLS one too, whether the handshake finished or not:
      // the connection slot is given back there, once.
      accepted.once('close', () => this.quotas.release(address));
      // Set on the TCP socket: the TLS socket exposes no fd of its own.
      applySocketBufferSizes(accepted, this.limits, this.logger);
      tls.handshake(accepted, { secure: (socket, principal) => this.open(socket, listener, principal, null) });
      return;
    }
    let connection: Connection | undefined;
    const socket = readIntoSharedBuffer(accepted, this.readBuffer, (n, buf) => connection!.receive(buf, n));
    if (socket === null) {
      this.open(accepted, listener, ANONYMOUS, address);
      return;
    }
    connection = this.track(new Connection(this.nextConnectionId++, socket, listener, this.handler, this.limits, this.shared, this.logger, this.onConnectionClosed(address)));
  }

  /** A connection reading through the socket's 'data' events (TLS, or where the shared buffer cannot be used). */
  private open(socket: net.Socket | TLSSocket, listener: Listener, principal: KafkaPrincipal, quotaAddress: string | null): void {
    const c = this.track(new Connection(this.nextConnectionId++, socket, listener, this.handler, this.limits, this.shared, this.logger, this.onConnectionClosed(quotaAddress)));
    c.principal = principal;
    socket.on('data', (chunk: Buffer) => c.receive(chunk, chunk.length));
    socket.resume();
  }

  private track(c: Connection): Connection {
    this.connections.add(c);
    return c;
  }

  /** Forgets a closed connection, and gives its slot back unless the TCP socket's close does (TLS: quotaAddress null). */
  private onConnectionClosed(quotaAddress: string | null): (c: Connection) => void {
    return (c) => {
      this.connections.delete(c);
      if (quotaAddress !== null) this.quotas.release(quotaAddress);
    };
  }

  /** Stops accepting, waits up to timeoutMs for in-flight requests, then closes every connection. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    // net.Server.close() stops accepting at once. Its callback no longer waits for the
    // connections (their sockets were moved out of its count, see shared-read-buffer.ts),
    // so wait for each connection's own close.
    const listenersClosed = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const t of this.tls.values()) t.close();
    const connections = [...this.connections];
    await Promise.all(connections.map((c) => c.drain(timeoutMs)));
    for (const c of connections) c.close('broker shutting down');
    await Promise.all(connections.map((c) => c.whenClosed));
    this.connections.clear();
    await listenersClosed;
  }
}
