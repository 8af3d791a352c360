// What the share-group tests share: broker overrides for one node (the share coordinator's
// topic must fit on it, and few partitions keep start-up short).
export const SHARE_BROKER_OVERRIDES = {
  'share.coordinator.state.topic.replication.factor': 1,
  'share.coordinator.state.topic.min.isr': 1,
  'share.coordinator.state.topic.num.partitions': 3,
  'offsets.topic.num.partitions': 3,
};
