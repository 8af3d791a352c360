// ShareService: share groups (KIP-932) on this broker, one object for the handlers and the
// admin API. It owns the share-group coordinator (membership, assignment), holds the group
// configs (config/group-configs.ts, served through the share and config handlers),
// the share-partition leader's manager (in-flight records, sessions, locks) and the share
// coordinator's store of __share_group_state.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { InternalTopicCluster } from '../partition/internal-topic-store.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { TopicService } from '../partition/topic-service.js';
import { ShareGroupCoordinator, type ShareGroupRecordLog } from './share-group-coordinator.js';
import { SharePartitionManager } from './share-partition-manager.js';
import { ShareStateStore } from './share-state-store.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import type { GroupConfigs } from '../config/group-configs.js';
import { InterBrokerConnections } from '../txn/inter-broker-connections.js';

export interface ShareServiceDeps {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly topics: TopicService;
  readonly replicas: ReplicaManager;
  readonly metadata: MetadataStore;
  readonly cluster: InternalTopicCluster;
  /** The cluster, to reach share coordinators on other brokers. */
  readonly clusterView: ClusterView;
  /** Every group's configs, the same on every broker. */
  readonly groupConfigs: GroupConfigs;
  /** The group coordinator's __consumer_offsets, where share-group membership is written. */
  readonly groupLog: ShareGroupRecordLog | null;
}

export class ShareService {
  readonly store: ShareStateStore;
  readonly coordinator: ShareGroupCoordinator;
  readonly partitions: SharePartitionManager;
  readonly groupConfigs: GroupConfigs;
  private readonly connections: InterBrokerConnections | null;

  constructor(private readonly deps: ShareServiceDeps) {
    const logger = deps.logger.child({ component: 'share' });
    this.connections = deps.clusterView.clustered ? new InterBrokerConnections(deps.config, deps.clusterView, 'share-state') : null;
    this.store = new ShareStateStore(deps.config, deps.topics, deps.replicas, deps.metadata, deps.cluster, logger, this.connections);
    this.groupConfigs = deps.groupConfigs;
    this.coordinator = new ShareGroupCoordinator(deps.config, deps.topics, logger, deps.groupConfigs, (groupId, memberId) => this.partitions.memberLeft(groupId, memberId), deps.groupLog);
    this.partitions = new SharePartitionManager(deps.config, deps.topics, this.store, (groupId) => this.coordinator.settings(groupId), logger);
  }

  /** Reads the share-partition state this broker coordinates (start-up). */
  async startup(): Promise<void> {
    await this.store.load();
  }

  /** Whether the id names a share group: one with members, or with share-partition state. */
  isShareGroup(groupId: string): boolean {
    return this.coordinator.group(groupId) !== undefined || this.store.entries(groupId).length > 0;
  }

  /** Every share group this broker knows (members or state). */
  groupIds(): string[] {
    const ids = new Set(this.coordinator.allGroups().map((g) => g.groupId));
    for (const e of this.store.entries()) ids.add(e.key.groupId);
    return [...ids].sort();
  }

  /** "Empty" or "Stable", as Kafka's ShareGroupState; "Dead" for an unknown group. */
  groupState(groupId: string): 'Empty' | 'Stable' | 'Dead' {
    const g = this.coordinator.group(groupId);
    if (g) return g.members.size > 0 ? 'Stable' : 'Empty';
    return this.store.entries(groupId).length > 0 ? 'Empty' : 'Dead';
  }

  /** Deletes an empty share group and its share-partition state (DeleteGroups). */
  async deleteGroup(groupId: string): Promise<number> {
    const errorCode = await this.coordinator.deleteGroup(groupId);
    if (errorCode !== 0) return errorCode;
    for (const e of this.store.entries(groupId)) {
      const r = await this.store.delete(e.key);
      if (r !== 0) return r;
    }
    this.partitions.forgetGroup(groupId);
    await this.groupConfigs.deleteGroup(groupId);
    return 0;
  }

  /**
   * The start offset of each share-partition of the group (DescribeShareGroupOffsets), from the
   * leader's live state when this broker serves it, else the share coordinator's (this broker's
   * cache, or ReadShareGroupStateSummary to the share coordinator on another broker), with
   * Kafka's lag (KIP-1226: high watermark - start offset - records already delivered past the
   * start). `topics` null: every topic the group has state for: in a cluster, every topic is
   * asked about (the share coordinators hold the state; Kafka keeps the list of initialized
   * topics in ShareGroupStatePartitionMetadata, which Tidelog does not write). -1 for
   * partitions never initialized.
   */
  async describeOffsets(groupId: string, topics: readonly { topicName: string; partitions: readonly number[] }[] | null): Promise<{ topicName: string; topicId: string; partitions: { partitionIndex: number; startOffset: number; leaderEpoch: number; lag: number; errorCode: number }[] }[]> {
    const live = new Map(this.partitions.servedPartitions(groupId).map((sp) => [`${sp.topicId}:${sp.partition}`, sp]));
    const everyTopic = topics === null && this.deps.clusterView.clustered;
    const wanted =
      topics ??
      (everyTopic
        ? this.deps.topics
            .listTopics()
            .filter((t) => !t.name.startsWith('__'))
            .map((t) => ({ topicName: t.name, partitions: t.partitions.map((p) => p.partition) }))
        : this.topicsOf(groupId).map((t) => ({ topicName: t.name, partitions: t.partitions })));
    const asked: { topicId: string; partition: number }[] = [];
    for (const t of wanted) {
      const meta = this.deps.topics.getTopic(t.topicName);
      if (meta) for (const partition of t.partitions) if (!live.has(`${meta.topicId}:${partition}`)) asked.push({ topicId: meta.topicId, partition });
    }
    const summaries = await this.store.readSummaries(groupId, asked);
    const described = wanted.map((t) => {
      const meta = this.deps.topics.getTopic(t.topicName);
      const topicId = meta?.topicId ?? '00000000-0000-0000-0000-000000000000';
      return {
        topicName: t.topicName,
        topicId,
        partitions: t.partitions.map((partitionIndex) => {
          if (!meta) return { partitionIndex, startOffset: -1, leaderEpoch: -1, lag: -1, errorCode: 3 };
          const sp = live.get(`${topicId}:${partitionIndex}`);
          const stored = summaries.get(`${topicId}:${partitionIndex}`);
          if (typeof stored === 'number') return { partitionIndex, startOffset: -1, leaderEpoch: -1, lag: -1, errorCode: stored };
          if (!sp && !stored) return { partitionIndex, startOffset: -1, leaderEpoch: -1, lag: -1, errorCode: 0 };
          const startOffset = sp ? sp.startOffset : stored!.startOffset;
          const complete = sp ? sp.deliveryCompleteCount() : Math.max(0, stored!.deliveryCompleteCount);
          const hw = this.highWatermark(t.topicName, partitionIndex);
          const lag = hw === undefined ? -1 : Math.max(0, hw - startOffset - complete);
          return { partitionIndex, startOffset, leaderEpoch: stored?.leaderEpoch ?? 0, lag, errorCode: 0 };
        }),
      };
    });
    // Every topic asked about: only those the group has state for.
    return everyTopic ? described.filter((t) => t.partitions.some((p) => p.startOffset >= 0)).map((t) => ({ ...t, partitions: t.partitions.filter((p) => p.startOffset >= 0) })) : described;
  }

  /** A partition's high watermark as this broker knows it (a follower's trails its leader's by a fetch). */
  private highWatermark(topic: string, partition: number): number | undefined {
    return this.deps.topics.partition(topic, partition)?.highWatermark;
  }

  /** The topics (by name) the group has share-partition state for, with their partitions. */
  topicsOf(groupId: string): { name: string; topicId: string; partitions: number[] }[] {
    const byId = new Map<string, Set<number>>();
    for (const e of this.store.entries(groupId)) {
      let set = byId.get(e.key.topicId);
      if (!set) byId.set(e.key.topicId, (set = new Set()));
      set.add(e.key.partition);
    }
    const out: { name: string; topicId: string; partitions: number[] }[] = [];
    for (const [topicId, set] of byId) {
      const name = this.deps.topics.getTopicById(topicId)?.name;
      if (name) out.push({ name, topicId, partitions: [...set].sort((a, b) => a - b) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Sets the start offset of share-partitions of an empty group (AlterShareGroupOffsets):
   * a new state epoch, nothing in flight. NON_EMPTY_GROUP while the group has members.
   */
  async alterOffsets(groupId: string, topics: readonly { topicName: string; partitions: readonly { partitionIndex: number; startOffset: number }[] }[]): Promise<{ errorCode: number; errorMessage: string | null; responses: { topicName: string; topicId: string; partitions: { partitionIndex: number; errorCode: number; errorMessage: string | null }[] }[] }> {
    if (this.groupState(groupId) === 'Stable') return { errorCode: 68, errorMessage: `The group ${groupId} is not empty.`, responses: [] };
    // The group exists at its coordinator from now on (listed and described there even when its
    // share-partition state lives with share coordinators on other brokers).
    const created = await this.coordinator.createEmptyGroup(groupId);
    if (created !== 0) return { errorCode: created, errorMessage: null, responses: [] };
    const responses = [];
    for (const t of topics) {
      const meta = this.deps.topics.getTopic(t.topicName);
      const partitions = [];
      for (const p of t.partitions) {
        if (!meta || !meta.partitions.some((a) => a.partition === p.partitionIndex)) {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: 3, errorMessage: 'This server does not host this topic-partition.' });
          continue;
        }
        const key = { groupId, topicId: meta.topicId, partition: p.partitionIndex };
        // The state as its share coordinator has it (here or on another broker): the new state
        // epoch follows it, and its leader epoch is kept (a lower one would be fenced).
        const old = (await this.store.readSummaries(groupId, [{ topicId: meta.topicId, partition: p.partitionIndex }])).get(`${meta.topicId}:${p.partitionIndex}`) ?? null;
        if (typeof old === 'number') {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: old, errorMessage: null });
          continue;
        }
        const errorCode = await this.store.write(key, { stateEpoch: (old?.stateEpoch ?? -1) + 1, startOffset: p.startOffset, stateBatches: [] }, old?.leaderEpoch ?? 0, 0);
        partitions.push({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null });
      }
      if (meta) this.partitions.forgetGroup(groupId, meta.topicId);
      responses.push({ topicName: t.topicName, topicId: meta?.topicId ?? '00000000-0000-0000-0000-000000000000', partitions });
    }
    return { errorCode: 0, errorMessage: null, responses };
  }

  /** Deletes the share-partition state of topics of an empty group (DeleteShareGroupOffsets). */
  async deleteOffsets(groupId: string, topicNames: readonly string[]): Promise<{ errorCode: number; errorMessage: string | null; responses: { topicName: string; topicId: string; errorCode: number; errorMessage: string | null }[] }> {
    if (this.groupState(groupId) === 'Stable') return { errorCode: 68, errorMessage: `The group ${groupId} is not empty.`, responses: [] };
    // The group exists at its coordinator from now on (listed and described there even when its
    // share-partition state lives with share coordinators on other brokers).
    const created = await this.coordinator.createEmptyGroup(groupId);
    if (created !== 0) return { errorCode: created, errorMessage: null, responses: [] };
    const responses = [];
    for (const name of topicNames) {
      const meta = this.deps.topics.getTopic(name);
      if (!meta) {
        responses.push({ topicName: name, topicId: '00000000-0000-0000-0000-000000000000', errorCode: 3, errorMessage: 'This server does not host this topic-partition.' });
        continue;
      }
      let errorCode = 0;
      for (const e of this.store.entries(groupId)) {
        if (e.key.topicId !== meta.topicId) continue;
        const r = await this.store.delete(e.key);
        if (r !== 0) errorCode = r;
      }
      this.partitions.forgetGroup(groupId, meta.topicId);
      responses.push({ topicName: name, topicId: meta.topicId, errorCode, errorMessage: null });
    }
    return { errorCode: 0, errorMessage: null, responses };
  }

  shutdown(): void {
    this.coordinator.shutdown();
    this.partitions.shutdown();
    this.connections?.close();
  }
}
