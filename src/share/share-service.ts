// ShareService: share groups (KIP-932) on this broker, one object for the handlers and the
// admin API. It owns the share-group coordinator (membership, assignment, group configs),
// the share-partition leader's manager (in-flight records, sessions, locks) and the share
// coordinator's store of __share_group_state.
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { InternalTopicCluster } from '../partition/internal-topic-store.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { TopicService } from '../partition/topic-service.js';
import { ShareGroupCoordinator } from './share-group-coordinator.js';
import { SharePartitionManager } from './share-partition-manager.js';
import { ShareStateStore } from './share-state-store.js';

export interface ShareServiceDeps {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly topics: TopicService;
  readonly replicas: ReplicaManager;
  readonly metadata: MetadataStore;
  readonly cluster: InternalTopicCluster;
}

export class ShareService {
  readonly store: ShareStateStore;
  readonly coordinator: ShareGroupCoordinator;
  readonly partitions: SharePartitionManager;

  constructor(deps: ShareServiceDeps) {
    const logger = deps.logger.child({ component: 'share' });
    this.store = new ShareStateStore(deps.config, deps.topics, deps.replicas, deps.metadata, deps.cluster, logger);
    this.coordinator = new ShareGroupCoordinator(deps.config, deps.topics, logger, (groupId, memberId) => this.partitions.memberLeft(groupId, memberId));
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
    const errorCode = this.coordinator.deleteGroup(groupId);
    if (errorCode !== 0) return errorCode;
    for (const e of this.store.entries(groupId)) {
      const r = await this.store.delete(e.key);
      if (r !== 0) return r;
    }
    this.partitions.forgetGroup(groupId);
    return 0;
  }

  shutdown(): void {
    this.coordinator.shutdown();
    this.partitions.shutdown();
  }
}
