// The broker's share-group keys (KIP-932): Kafka 4.4's group.share.* (GroupConfig /
// ShareGroupConfig) and share.coordinator.* (ShareCoordinatorConfig) names and defaults.
// Spread into brokerConfigKeys; src/share reads them.
import { intKey, listKey, stringKey, type ConfigKey } from './config-def.js';

export const shareConfigKeys = [
  intKey('group.share.record.lock.duration.ms', 30000, { min: 1000, max: 3600000, doc: 'How long a share consumer holds the records it acquired before they become available again.' }),
  intKey('group.share.min.record.lock.duration.ms', 15000, { min: 1000, max: 30000 }),
  intKey('group.share.max.record.lock.duration.ms', 60000, { min: 30000, max: 3600000 }),
  intKey('group.share.delivery.count.limit', 5, { min: 2, max: 10, doc: 'Deliveries of a record before it is archived instead of made available again.' }),
  intKey('group.share.partition.max.record.locks', 2000, { min: 100, max: 10000, doc: 'Records of one share-partition that may be acquired at once.' }),
  intKey('group.share.session.timeout.ms', 45000, { min: 1 }),
  intKey('group.share.min.session.timeout.ms', 45000, { min: 1 }),
  intKey('group.share.max.session.timeout.ms', 60000, { min: 1 }),
  intKey('group.share.heartbeat.interval.ms', 5000, { min: 1 }),
  intKey('group.share.min.heartbeat.interval.ms', 5000, { min: 1 }),
  intKey('group.share.max.heartbeat.interval.ms', 15000, { min: 1 }),
  intKey('group.share.max.size', 200, { min: 1, max: 1000 }),
  intKey('group.share.max.share.sessions', 2000, { min: 1 }),
  listKey('group.share.assignors', ['simple'], { doc: 'Only the simple assignor exists (several members may share a partition).' }),
  stringKey('group.share.persister.class.name', 'org.apache.kafka.server.share.persister.DefaultStatePersister'),
  intKey('share.coordinator.state.topic.num.partitions', 50, { min: 1 }),
  intKey('share.coordinator.state.topic.replication.factor', 3, { min: 1 }),
  intKey('share.coordinator.state.topic.min.isr', 2, { min: 1 }),
  intKey('share.coordinator.state.topic.segment.bytes', 104857600, { min: 1 }),
  intKey('share.coordinator.snapshot.update.records.per.snapshot', 500, { min: 0 }),
  intKey('share.coordinator.write.timeout.ms', 5000, { min: 1 }),
] as const satisfies readonly ConfigKey[];
