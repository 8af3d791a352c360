// What admin routes see of the broker: the BrokerServices the Kafka handlers see too, and a
// Kafka client of the cluster (connected to this broker's own listener) for what lives on
// other brokers: groups coordinated elsewhere, offsets at other partitions' leaders.
import type { BrokerServices } from '../services/broker-services.js';
import type { GroupAdmin } from '../client/group-admin.js';
import type { KafkaClient } from '../client/kafka-client.js';

export interface AdminContext {
  readonly services: BrokerServices;
  /** The package version, for /v1/brokers. */
  readonly version: string;
  /** Consumer-group administration across the cluster (connects on first use). */
  groupAdmin(): Promise<GroupAdmin>;
  /** The cluster's Kafka client (connects on first use): transactions and producers. */
  kafkaClient(): Promise<KafkaClient>;
}
