// BrokerServices: what the request handlers and the HTTP admin API may use of a broker,
// built once at start (Broker.open) and handed to both front ends. Only services and
// read-only facts: nothing here starts, stops or rewires the broker, and neither front end
// sees the Broker object, its socket server or its lifecycle.
import type { Logger } from 'pino';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { DynamicBrokerConfig } from '../config/dynamic-broker-config.js';
import type { Listener } from '../config/listeners.js';
import type { GroupCoordinator } from '../groups/group-coordinator.js';
import type { LogManager } from '../partition/log-manager.js';
import type { ProducerIdManager } from '../txn/producer-id-manager.js';
import type { TransactionCoordinator } from '../txn/transaction-coordinator.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { FetchSessionCache } from '../partition/fetch-sessions.js';
import type { TopicResult, TopicService } from '../partition/topic-service.js';
import type { ShareService } from '../share/share-service.js';
import type { AclAuthorizer } from '../security/acl/authorizer.js';
import type { SaslAuthenticator } from '../security/sasl/sasl-authenticator.js';

export interface BrokerServices {
  readonly config: BrokerConfig;
  /** Dynamic broker configs (AlterConfigs/DescribeConfigs on BROKER resources); they update `config` in place. */
  readonly dynamicConfig: DynamicBrokerConfig;
  readonly logger: Logger;
  readonly brokerId: number;
  readonly clusterId: string;
  readonly startedAtMs: number;
  /** Controller, live brokers, partition leadership, elections: single node or ZooKeeper alike. */
  readonly cluster: ClusterView;
  readonly metadata: MetadataStore;
  readonly logs: LogManager;
  /** Topic metadata: create, delete, partitions, configs. */
  readonly topics: TopicService;
  /** Reads and writes of the partitions this broker holds. */
  readonly replicas: ReplicaManager;
  /** Incremental fetch sessions (KIP-227) of consumers and followers. */
  readonly fetchSessions: FetchSessionCache;
  readonly groups: GroupCoordinator;
  /** Share groups (KIP-932): membership, share-partitions this broker leads, __share_group_state. */
  readonly share: ShareService;
  readonly producerIds: ProducerIdManager;
  /** The transaction coordinator: transactional ids whose __transaction_state partition this broker leads. */
  readonly transactions: TransactionCoordinator;
  readonly metrics: BrokerMetrics;
  /**
   * The ACL authorizer (authorizer.class.name), or null: no authorization, every request
   * allowed. Handlers ask it through broker/handlers/authorize.ts; the admin API may call
   * authorizer.authorize(principal, host, operation, resourceType, name) directly.
   */
  readonly authorizer: AclAuthorizer | null;
  /** SASL on the SASL listeners (sessions, the authentication gate) and the SCRAM credentials. */
  readonly sasl: SaslAuthenticator;
  /** The listeners clients are told about, with ephemeral ports resolved to the bound ones. */
  advertisedListeners(): Listener[];
  /** The advertised endpoint of the listener a request arrived on. */
  endpointFor(listenerName: string): Listener;
  /** True while the Kafka listeners are bound (readiness). */
  isListening(): boolean;
  /** Deletes a topic: its logs, then its committed offsets in every group. */
  deleteTopic(name: string): Promise<TopicResult>;
}
