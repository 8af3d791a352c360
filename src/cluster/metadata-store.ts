// MetadataStore: where the cluster's metadata lives (topics, their ids, partition
// assignments and config overrides). Single node: a file in the data directory
// (LocalMetadataStore). With zookeeper.connect: ZooKeeper, in Kafka's znode layout.
export interface PartitionAssignment {
  readonly partition: number;
  readonly replicas: readonly number[];
}

export interface TopicMetadata {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: readonly PartitionAssignment[];
  readonly configs: Readonly<Record<string, string>>;
}

export interface MetadataStore {
  readonly clusterId: string;
  listTopics(): readonly TopicMetadata[];
  getTopic(name: string): TopicMetadata | undefined;
  getTopicById(topicId: string): TopicMetadata | undefined;
  createTopic(name: string, partitions: readonly PartitionAssignment[], configs: Readonly<Record<string, string>>): TopicMetadata;
  deleteTopic(name: string): void;
  addPartitions(name: string, added: readonly PartitionAssignment[]): TopicMetadata;
  setTopicConfigs(name: string, configs: Readonly<Record<string, string>>): TopicMetadata;
  /** Reserves `size` producer ids no other broker or earlier run will hand out; returns the first. */
  allocateProducerIdBlock(size: number): number;
}
