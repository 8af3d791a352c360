// One Kafka connection per other broker, over the inter-broker listener with this broker's own
// security (TLS settings, SASL credentials): what the transaction coordinator's marker sender
// and the partition leader's transaction verifier use to reach other brokers. A connection
// that closed or failed is opened again on the next use. The client's modules load with the
// first connection (a single node never opens one), off the broker's start-up.
import type { ClientSecurity } from '../client/client-security.js';
import type { BrokerConnection } from '../client/kafka-client.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { interBrokerListenerName, interBrokerSecurity } from '../security/inter-broker.js';

export class InterBrokerConnections {
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private readonly security: ClientSecurity;
  private closed = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly cluster: ClusterView,
    /** Names the connections in the other broker's logs (client.id): broker-<id>-<purpose>. */
    private readonly purpose: string,
  ) {
    this.security = interBrokerSecurity(config);
  }

  /** The open connection to `brokerId`, opened if needed; rejects when it is not live or this is closed. */
  get(brokerId: number): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new Error(`the ${this.purpose} connections are closed`));
    const existing = this.connections.get(brokerId);
    if (existing) {
      return existing.then((c) => {
        if (!c.closed) return c;
        this.connections.delete(brokerId);
        return this.get(brokerId);
      });
    }
    const broker = this.cluster.liveBrokers().find((b) => b.id === brokerId);
    if (!broker || broker.endpoints.length === 0) return Promise.reject(new Error(`broker ${brokerId} is not alive`));
    const name = interBrokerListenerName(this.config);
    const e = broker.endpoints.find((x) => x.listenerName === name) ?? broker.endpoints.find((x) => x.listenerName === 'PLAINTEXT') ?? broker.endpoints[0]!;
    const clientId = `broker-${this.config.brokerId}-${this.purpose}`;
    const conn = Promise.all([import('../client/kafka-client.js'), import('../client/kafka-connection.js')]).then(([{ BrokerConnection }, { CONNECT_TIMEOUT_MS }]) =>
      BrokerConnection.open(e.host, e.port, clientId, CONNECT_TIMEOUT_MS, this.config.values['request.timeout.ms'], this.security),
    );
    this.connections.set(brokerId, conn);
    conn.catch(() => this.connections.delete(brokerId));
    return conn;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const c of this.connections.values()) c.then((x) => x.close(), () => {});
    this.connections.clear();
  }
}
