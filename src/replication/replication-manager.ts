// ReplicationManager: a broker's part in replication within a ZooKeeper cluster (Kafka's
// ReplicaManager around its fetcher manager and ISR logic):
// - follows: for every local replica the controller made a follower, a ReplicaFetcher to
//   its leader (num.replica.fetchers connections per leader, partitions spread by hash);
// - leads: the ISR is this leader's to change (Kafka's AlterPartition in ZooKeeper mode):
//   followers not caught up for replica.lag.time.max.ms leave it (checked every half of
//   that), followers caught up to the high watermark join it; each change is written to the
//   partition's state znode with its version as compare-and-set, keeping leader and leader
//   epoch, so a concurrent controller decision wins and this write is retried on the new state;
// - a lost ZooKeeper session stops all leading and following until the new session's watches
//   have re-read every partition's state (another broker may lead by then).
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { interBrokerSecurity } from '../security/inter-broker.js';
import type { ReplicaManager } from '../partition/replica-manager.js';
import type { LeadershipRole, TopicService } from '../partition/topic-service.js';
import type { ZkCluster } from '../cluster/zk-cluster.js';
import { isZkError } from '../cluster/zk-client.js';
import { encodeLeaderAndIsr, ZkPaths } from '../cluster/zk-data.js';
import { FOLLOWER_THROTTLED_RATE, isThrottledReplica, ReplicationQuota } from '../cluster/replication-throttle.js';
import type { Partition } from '../partition/partition.js';
import { ReplicaFetcher, type LeaderEndpoint, type ReplicaFetcherConfig } from './replica-fetcher.js';

export class ReplicationManager {
  /** `${leaderId}/${fetcherIndex}` → fetcher. */
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  /** The fetcher each followed partition is on. */
  private readonly following = new Map<Partition, ReplicaFetcher>();
  /** Partitions with an ISR write in flight (one at a time per partition). */
  private readonly isrWrites = new Set<Partition>();
  /** ISR changes written as leader, for the metrics (Kafka IsrShrinksPerSec, IsrExpandsPerSec). */
  readonly isrChanges = { shrinks: 0, expands: 0 };
  private readonly fetcherConfig: ReplicaFetcherConfig;
  private isrTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly topics: TopicService,
    private readonly replicas: ReplicaManager,
    private readonly cluster: ZkCluster,
    private readonly logger: Logger,
  ) {
    const v = config.values;
    this.fetcherConfig = {
      brokerId: config.brokerId,
      clientId: `broker-${config.brokerId}-fetcher`,
      security: interBrokerSecurity(config),
      maxWaitMs: v['replica.fetch.wait.max.ms'],
      minBytes: v['replica.fetch.min.bytes'],
      maxBytes: v['replica.fetch.response.max.bytes'],
      partitionMaxBytes: v['replica.fetch.max.bytes'],
      backoffMs: v['replica.fetch.backoff.ms'],
      socketTimeoutMs: v['replica.socket.timeout.ms'],
      quota: {
        quota: new ReplicationQuota(() => cluster.throttles.rate(FOLLOWER_THROTTLED_RATE)),
        throttled: (p) => isThrottledReplica(p.config.followerThrottledReplicas, p.index, config.brokerId),
      },
    };
  }

  /** Starts following the controller's decisions (local replicas whose leadership is known first). */
  start(): void {
    this.replicas.onFollowerFetch = (p) => this.maybeExpandIsr(p);
    this.topics.onLeadershipChange((p, role) => this.onLeadership(p, role));
    const lagMs = this.config.values['replica.lag.time.max.ms'];
    this.isrTimer = setInterval(() => this.shrinkIsrs(), Math.max(100, Math.floor(lagMs / 2)));
    this.isrTimer.unref();
    this.cluster.zk.on('expired', this.onSessionExpired);
  }

  private readonly onSessionExpired = (): void => {
    this.logger.warn('ZooKeeper session expired: no longer leading or following any partition until the new session has read their state');
    this.topics.stepDownAll();
  };

  private onLeadership(p: Partition, role: LeadershipRole): void {
    if (this.stopped) return;
    this.unfollow(p);
    if (role === 'follower') this.follow(p);
  }

  private follow(p: Partition): void {
    const n = this.config.values['num.replica.fetchers'];
    const index = n === 1 ? 0 : (fnv1a(p.topic) + p.index) % n;
    const key = `${p.leaderId}/${index}`;
    let fetcher = this.fetchers.get(key);
    if (!fetcher) {
      const leaderId = p.leaderId;
      fetcher = new ReplicaFetcher(leaderId, () => this.endpointOf(leaderId), this.fetcherConfig, this.logger.child({ component: 'replica-fetcher', leader: leaderId }));
      this.fetchers.set(key, fetcher);
    }
    fetcher.add(p);
    this.following.set(p, fetcher);
  }

  private unfollow(p: Partition): void {
    const fetcher = this.following.get(p);
    if (!fetcher) return;
    this.following.delete(p);
    fetcher.remove(p);
    if (fetcher.partitionCount === 0) {
      for (const [key, f] of this.fetchers) if (f === fetcher) this.fetchers.delete(key);
      void fetcher.stop();
    }
  }

  /** The leader's endpoint on the inter-broker listener (inter.broker.listener.name, else PLAINTEXT, else its first). */
  private endpointOf(brokerId: number): LeaderEndpoint | null {
    const broker = this.cluster.metadata.liveBrokers().find((b) => b.id === brokerId);
    if (!broker || broker.endpoints.length === 0) return null;
    const name = this.config.values['inter.broker.listener.name'];
    const e = (name ? broker.endpoints.find((x) => x.listenerName === name) : undefined) ?? broker.endpoints.find((x) => x.listenerName === 'PLAINTEXT') ?? broker.endpoints[0]!;
    return { host: e.host, port: e.port };
  }

  /** Followers caught up to the high watermark (and into this leadership) join the ISR. */
  private maybeExpandIsr(p: Partition): void {
    if (!p.isLeader || this.isrWrites.has(p)) return;
    // Only registered brokers join: one that just died stays out (the controller does not re-check ISRs it did not write).
    const live = new Set(this.cluster.metadata.liveBrokers().map((b) => b.id));
    // A replica an ongoing reassignment removes stays out: the controller is taking it out of the ISR (KIP-455).
    const removing = this.cluster.metadata.getTopic(p.topic)?.partitions.find((a) => a.partition === p.index)?.removingReplicas ?? [];
    const joining = p.followers.readyToJoin(p.isr, p.highWatermark, p.leaderEpochStartOffset).filter((id) => live.has(id) && p.replicas.includes(id) && !removing.includes(id));
    if (joining.length === 0) return;
    const isr = [...p.isr, ...joining].sort((a, b) => p.replicas.indexOf(a) - p.replicas.indexOf(b));
    void this.writeIsr(p, isr, 'expand');
  }

  /** Every half replica.lag.time.max.ms: followers not caught up for that long leave the ISR. */
  private shrinkIsrs(): void {
    const now = Date.now();
    const lagMs = this.config.values['replica.lag.time.max.ms'];
    for (const t of this.topics.listTopics()) {
      for (const p of this.topics.partitionsOf(t.name)) {
        if (!p || !p.isLeader || p.isr.length <= 1 || this.isrWrites.has(p)) continue;
        const out = p.followers.outOfSync(p.isr, p.brokerId, now, lagMs);
        if (out.length === 0) continue;
        this.logger.info({ topic: p.topic, partition: p.index, outOfSync: out, highWatermark: p.highWatermark, logEndOffset: p.logEndOffset, followers: out.map((id) => p.followers.logEndOffsetOf(id)) }, 'shrinking the ISR');
        void this.writeIsr(p, p.isr.filter((id) => !out.includes(id)), 'shrink');
      }
    }
  }

  /**
   * Writes a new ISR to the state znode, keeping leader and leader epoch, with the znode
   * version read with that state as compare-and-set. Applied locally once ZooKeeper accepted
   * it (the watch confirms); on BAD_VERSION the newer state arrives by the watch and the
   * next fetch or check tries again from there.
   */
  private async writeIsr(p: Partition, isr: number[], why: 'expand' | 'shrink'): Promise<void> {
    const state = this.cluster.metadata.partitionState(p.topic, p.index);
    if (!state || state.leader !== p.brokerId || state.leaderEpoch !== p.leaderEpoch) return;
    this.isrWrites.add(p);
    try {
      const next = { leader: state.leader, leaderEpoch: state.leaderEpoch, isr, controllerEpoch: state.controllerEpoch };
      await this.cluster.zk.setData(ZkPaths.partitionState(p.topic, p.index), encodeLeaderAndIsr(next), state.zkVersion);
      if (p.isLeader && p.leaderEpoch === state.leaderEpoch) p.updateIsr(isr);
      if (why === 'shrink') this.isrChanges.shrinks++;
      else this.isrChanges.expands++;
      this.logger.info({ topic: p.topic, partition: p.index, isr, previous: state.isr, why }, 'ISR updated');
    } catch (err) {
      if (isZkError(err, 'BAD_VERSION') || isZkError(err, 'NO_NODE')) {
        this.logger.info({ topic: p.topic, partition: p.index, why }, 'partition state changed under the ISR update; retrying from the new state');
      } else {
        this.logger.warn({ err, topic: p.topic, partition: p.index, why }, 'ISR update failed');
      }
    } finally {
      this.isrWrites.delete(p);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.isrTimer) clearInterval(this.isrTimer);
    this.isrTimer = null;
    this.cluster.zk.off('expired', this.onSessionExpired);
    this.replicas.onFollowerFetch = null;
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.following.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}

/** A stable hash of a topic name, to spread partitions over num.replica.fetchers. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
