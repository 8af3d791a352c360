// MetadataStore: where the cluster's metadata lives (topics, their ids, partition
// assignments and config overrides). Single node: a file in the data directory
// (LocalMetadataStore). With zookeeper.connect: ZooKeeper, in Kafka's znode layout
// (ZkMetadataStore). Reads are synchronous, from memory (ZooKeeper's copy is kept current by
// watches); writes may be asynchronous: the local store answers at once, ZooKeeper after the
// write is acknowledged. Callers that need the local effect at once rely on the former.
export interface PartitionAssignment {
  readonly partition: number;
  /** During a reassignment (KIP-455) the full replica set RS = target + original. */
  readonly replicas: readonly number[];
  /** Replicas an ongoing reassignment adds (absent: no reassignment). */
  readonly addingReplicas?: readonly number[];
  /** Replicas an ongoing reassignment removes (absent: no reassignment). */
  readonly removingReplicas?: readonly number[];
}

export interface TopicMetadata {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: readonly PartitionAssignment[];
  readonly configs: Readonly<Record<string, string>>;
}

/** A partition's leadership as the controller decided it (/brokers/topics/<t>/partitions/<p>/state). */
export interface PartitionLeadership {
  /** -1: no leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
}

/** A live broker (/brokers/ids/<id>) with its endpoints by listener name. */
export interface LiveBroker {
  readonly id: number;
  readonly rack: string | null;
  readonly endpoints: readonly { readonly listenerName: string; readonly host: string; readonly port: number }[];
  /** The ZooKeeper session (hex) that owns the registration; a restarted broker has a new one. Cluster only. */
  readonly session?: string;
}

/** What changed in the store when someone else (another broker, the controller) wrote it. */
export type MetadataChange =
  | { readonly kind: 'topic'; readonly name: string }
  | { readonly kind: 'topicDeleted'; readonly name: string }
  | { readonly kind: 'partitionState'; readonly topic: string; readonly partition: number }
  | { readonly kind: 'brokers' };

export type MaybePromise<T> = T | Promise<T>;

export interface MetadataStore {
  readonly clusterId: string;
  listTopics(): readonly TopicMetadata[];
  getTopic(name: string): TopicMetadata | undefined;
  getTopicById(topicId: string): TopicMetadata | undefined;
  createTopic(name: string, partitions: readonly PartitionAssignment[], configs: Readonly<Record<string, string>>): MaybePromise<TopicMetadata>;
  deleteTopic(name: string): MaybePromise<void>;
  addPartitions(name: string, added: readonly PartitionAssignment[]): MaybePromise<TopicMetadata>;
  setTopicConfigs(name: string, configs: Readonly<Record<string, string>>): MaybePromise<TopicMetadata>;
  /** Reserves `size` producer ids no other broker or earlier run will hand out; returns the first. */
  allocateProducerIdBlock(size: number): number;
  /** The partition's leadership in a cluster; undefined on a single node, where this broker leads every partition. */
  partitionState?(topic: string, partition: number): PartitionLeadership | undefined;
  /** Live brokers in a cluster (sorted by id); undefined on a single node. */
  liveBrokers?(): readonly LiveBroker[];
  /** Registers a listener for changes made elsewhere in the cluster. */
  onChange?(listener: (change: MetadataChange) => void): void;
}

/** Runs `then` on a value or a promise of it: synchronously for a value. */
export function settle<T, R>(value: MaybePromise<T>, then: (v: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(then) : then(value);
}
