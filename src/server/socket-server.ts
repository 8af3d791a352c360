// SocketServer: one TCP listener per entry of `listeners`, accepting connections and
// handing each to a Connection. Knows the ports actually bound (port 0 = ephemeral), and
// shuts down in Kafka's order: stop accepting, let in-flight requests finish, close.
// Every connection reads into one buffer the server owns (shared-read-buffer.ts).
// Owns the broker-wide limits: max.connections and max.connections.per.ip (a connection
// over them is closed at accept, connection-quotas.ts) and queued.max.request.bytes (the
// memory pool every connection charges its request frames to, request-memory-pool.ts);
// `limitStats` is what /metrics shows of them.
import net from 'node:net';
import type { Logger } from 'pino';
import type { Listener } from '../config/listeners.js';
import { Connection, type ConnectionLimits, type ConnectionShared } from './connection.js';
import { ConnectionQuotas, normalizeAddress, type ConnectionLimitName, type ConnectionQuotaConfig } from './connection-quotas.js';
import { RequestMemoryPool } from './request-memory-pool.js';
import { readIntoSharedBuffer } from './shared-read-buffer.js';
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
}

export class SocketServer {
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private readonly quotas: ConnectionQuotas;
  private readonly shared: ConnectionShared;
  readonly bound: BoundListener[] = [];

  constructor(
    private readonly listeners: readonly Listener[],
    private readonly handler: RequestHandler,
    private readonly limits: ConnectionLimits,
    serverLimits: ServerLimits,
    private readonly logger: Logger,
  ) {
    this.quotas = new ConnectionQuotas(serverLimits);
    this.shared = { memoryPool: new RequestMemoryPool(serverLimits.queuedMaxRequestBytes), mutes: { queuedMaxRequests: 0, responsePending: 0 } };
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
    };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    for (const listener of this.listeners) {
      if (listener.securityProtocol !== 'PLAINTEXT' && listener.securityProtocol !== 'SASL_PLAINTEXT') {
        throw new Error(`listener ${listener.name} uses ${listener.securityProtocol}, which this version does not serve yet (only PLAINTEXT and SASL_PLAINTEXT)`);
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
      this.logger.info({ listener: listener.name, host: address.address, port: address.port }, 'listening');
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
    let connection: Connection | undefined;
    const socket = readIntoSharedBuffer(accepted, this.readBuffer, (n, buf) => connection!.receive(buf, n)) ?? accepted;
    connection = new Connection(this.nextConnectionId++, socket, listener, this.handler, this.limits, this.shared, this.logger, (c) => {
      this.connections.delete(c);
      this.quotas.release(address);
    });
    this.connections.add(connection);
    if (socket === accepted) {
      const c = connection;
      socket.on('data', (chunk: Buffer) => c.receive(chunk, chunk.length));
      socket.resume();
    }
  }

  /** Stops accepting, waits up to timeoutMs for in-flight requests, then closes every connection. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    // net.Server.close() stops accepting at once. Its callback no longer waits for the
    // connections (their sockets were moved out of its count, see shared-read-buffer.ts),
    // so wait for each connection's own close.
    const listenersClosed = Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    const connections = [...this.connections];
    await Promise.all(connections.map((c) => c.drain(timeoutMs)));
    for (const c of connections) c.close('broker shutting down');
    await Promise.all(connections.map((c) => c.whenClosed));
    this.connections.clear();
    await listenersClosed;
  }
}
