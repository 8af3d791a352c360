// The admin API's Kafka client of its own cluster: connected on first use to this broker's
// inter-broker listener (the first listener without inter.broker.listener.name), so that
// routes reach group coordinators and partition leaders on other brokers exactly as Kafka's
// AdminClient would. One client per admin server, closed with it.
import type { BrokerServices } from '../services/broker-services.js';
import { GroupAdmin } from '../client/group-admin.js';
import { KafkaClient } from '../client/kafka-client.js';
import { interBrokerListenerName, interBrokerSecurityFor } from '../security/inter-broker.js';

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
      const listenerName = interBrokerListenerName(this.services.config);
      const self = this.services.endpointFor(listenerName);
      // With the broker's own credentials for that listener (its certificate over TLS, its SASL user).
      const security = interBrokerSecurityFor(this.services.config, listenerName);
      this.client = KafkaClient.connect({ bootstrap: `${self.host}:${self.port}`, clientId: `tidelog-admin-${this.services.brokerId}`, requestTimeoutMs: ADMIN_KAFKA_REQUEST_TIMEOUT_MS, security });
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
