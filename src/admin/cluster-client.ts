// The admin API's Kafka client of its own cluster: connected on first use to this broker's
// inter-broker listener (the first listener without inter.broker.listener.name), so that
// routes reach group coordinators and partition leaders on other brokers exactly as Kafka's
// AdminClient would. One client per admin server, closed with it.
import type { BrokerServices } from '../services/broker-services.js';
import { GroupAdmin } from '../client/group-admin.js';
import { KafkaClient } from '../client/kafka-client.js';
import { interBrokerSecurity } from '../security/inter-broker.js';
import { interBrokerListener } from '../security/sasl/sasl-settings.js';

/** A route waits this long for another broker's answer before it fails. */
const ADMIN_KAFKA_REQUEST_TIMEOUT_MS = 15_000;

export class ClusterClient {
  private client: Promise<KafkaClient> | null = null;
  private closed = false;

  constructor(private readonly services: BrokerServices) {}

  async groupAdmin(): Promise<GroupAdmin> {
    return new GroupAdmin(await this.connect());
  }

  /** The client itself, for the routes that use client/ functions directly (transactions). */
  kafkaClient(): Promise<KafkaClient> {
    return this.connect();
  }

  private connect(): Promise<KafkaClient> {
    if (this.closed) return Promise.reject(new Error('the admin API is shutting down'));
    if (!this.client) {
      // The inter-broker listener as replication picks it, with its security (SASL credentials).
      const self = this.services.endpointFor(interBrokerListener(this.services.config).name);
      this.client = KafkaClient.connect({
        bootstrap: `${self.host}:${self.port}`,
        clientId: `tidelog-admin-${this.services.brokerId}`,
        requestTimeoutMs: ADMIN_KAFKA_REQUEST_TIMEOUT_MS,
        security: interBrokerSecurity(this.services.config),
      });
      // A failed connection is tried again by the next request.
      this.client.catch(() => (this.client = null));
    }
    return this.client;
  }

  close(): void {
    this.closed = true;
    void this.client?.then((c) => c.close(), () => {});
  }
}
