// ConnectionQuotas (after Kafka's ConnectionQuotas): how many client connections the broker
// holds, in all and per remote address, against max.connections, max.connections.per.ip and
// max.connections.per.ip.overrides. A connection over a limit is closed as soon as it is
// accepted, before a byte is read, and counted per limit for /metrics.
// Kafka closes a connection over max.connections.per.ip (TooManyConnectionsException) the same
// way; over the broker-wide max.connections its acceptor stops accepting instead (KIP-402),
// leaving clients in the listen backlog: here they are closed too, so a client learns at once.
// As in Kafka, the inter-broker listener is exempt from max.connections when there is another
// listener (Kafka then closes the least recently used connection of another listener; here it
// is simply admitted), so that clients cannot lock replication out.
// Overrides name literal addresses (Kafka also resolves host names; we do not, to keep DNS off
// the accept path). One event loop owns it.

export interface ConnectionQuotaConfig {
  /** max.connections */
  readonly maxConnections: number;
  /** max.connections.per.ip */
  readonly maxConnectionsPerIp: number;
  /** max.connections.per.ip.overrides, as address -> limit */
  readonly perIpOverrides: ReadonlyMap<string, number>;
  /** The listener max.connections does not apply to: the inter-broker one when there are several, else null. */
  readonly protectedListener: string | null;
}

export type ConnectionLimitName = 'max.connections' | 'max.connections.per.ip';

/** An IPv4 address reached through an IPv6 socket (::ffff:a.b.c.d) counts as a.b.c.d. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class ConnectionQuotas {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  /** Connections closed at accept, per limit. */
  readonly refused: Record<ConnectionLimitName, number> = { 'max.connections': 0, 'max.connections.per.ip': 0 };

  private readonly overrides = new Map<string, number>();

  constructor(private config: ConnectionQuotaConfig) {
    for (const [address, limit] of config.perIpOverrides) this.overrides.set(normalizeAddress(address), limit);
  }

  /**
   * New limits from a dynamic broker config change (Kafka's ConnectionQuotas.updateMaxConnections
   * and updateIpConnectionRateQuota): they apply to the next connection accepted; connections
   * already open stay, as in Kafka.
   */
  reconfigure(limits: Pick<ConnectionQuotaConfig, 'maxConnections' | 'maxConnectionsPerIp' | 'perIpOverrides'>): void {
    this.config = { ...this.config, ...limits };
    this.overrides.clear();
    for (const [address, limit] of limits.perIpOverrides) this.overrides.set(normalizeAddress(address), limit);
  }

  get count(): number {
    return this.total;
  }

  /** Takes a slot for a new connection from `address` on `listener`, or names the limit that refuses it. */
  tryAcquire(address: string, listener: string): ConnectionLimitName | null {
    if (this.total >= this.config.maxConnections && listener !== this.config.protectedListener) {
      this.refused['max.connections']++;
      return 'max.connections';
    }
    const n = this.perIp.get(address) ?? 0;
    if (n >= (this.overrides.get(address) ?? this.config.maxConnectionsPerIp)) {
      this.refused['max.connections.per.ip']++;
      return 'max.connections.per.ip';
    }
    this.total++;
    this.perIp.set(address, n + 1);
    return null;
  }

  /** Gives back the slot of a connection tryAcquire admitted. */
  release(address: string): void {
    this.total--;
    const n = (this.perIp.get(address) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(address);
    else this.perIp.set(address, n);
  }
}
