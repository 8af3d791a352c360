// Replication throttles (Kafka's KIP-73, as kafka-reassign-partitions.sh --throttle sets them):
// - broker configs leader.replication.throttled.rate and follower.replication.throttled.rate
//   (bytes per second; unset: no limit), dynamic broker configs (src/config/dynamic-broker-config.ts:
//   /config/brokers/<id> over /config/brokers/<default>), read from the live configuration;
// - topic configs leader.replication.throttled.replicas and
//   follower.replication.throttled.replicas: "*" or "partition:broker,..." naming the replicas
//   the rates apply to.
// Tidelog enforces the follower side (Kafka's ReplicaFetcherThread.shouldFollowerThrottle): a
// follower leaves a throttled partition that is not in the ISR out of its fetch while its
// follower quota is used up, so only catching-up replicas (a reassignment's new ones) wait,
// never the ISR an acks=all produce waits for. And the leader side (Kafka's
// ReplicaManager.shouldLeaderThrottle, in the Fetch handler): a leader answers a follower's fetch
// with no records for a partition whose leader.replication.throttled.replicas names the leader's
// own replica while the follower is out of the ISR and the leader quota is used up; the bytes it
// does send for such partitions are recorded against leader.replication.throttled.rate.
import type { BrokerConfig } from '../config/broker-config.js';

export const LEADER_THROTTLED_RATE = 'leader.replication.throttled.rate';
export const FOLLOWER_THROTTLED_RATE = 'follower.replication.throttled.rate';
export const ALTER_LOG_DIRS_RATE = 'replica.alter.log.dirs.io.max.bytes.per.second';
/** Kafka's default for the rates: Long.MAX_VALUE, no limit. */
export const UNLIMITED_BYTES_PER_SEC = Number.MAX_SAFE_INTEGER;

/** Whether a throttled-replicas list ("*" or "p:b,...") names the replica of `partition` on `brokerId`. */
export function isThrottledReplica(list: readonly string[], partition: number, brokerId: number): boolean {
  return list.some((e) => e.trim() === '*' || e.trim() === `${partition}:${brokerId}`);
}

/**
 * A byte rate limit, as a token bucket refilled at `rate()` bytes per second holding at most one
 * second's worth: exceeded while in debt. A fetch is never cut; the bytes it brought are paid
 * back by waiting, so the rate holds on average. One JS thread: no locking.
 */
export class ReplicationQuota {
  private tokens = 0;
  private lastMs = Date.now();

  constructor(private readonly rate: () => number) {}

  private refill(nowMs: number): number {
    const rate = this.rate();
    if (rate >= UNLIMITED_BYTES_PER_SEC) {
      this.tokens = 0;
    } else {
      this.tokens = Math.min(rate, this.tokens + ((nowMs - this.lastMs) / 1000) * rate);
    }
    this.lastMs = nowMs;
    return rate;
  }

  isExceeded(nowMs: number): boolean {
    const rate = this.refill(nowMs);
    return rate < UNLIMITED_BYTES_PER_SEC && this.tokens < 0;
  }

  /** How long until the debt is paid (0 when not exceeded). */
  waitMs(nowMs: number): number {
    const rate = this.refill(nowMs);
    if (rate >= UNLIMITED_BYTES_PER_SEC || this.tokens >= 0) return 0;
    return rate <= 0 ? 1000 : Math.ceil((-this.tokens / rate) * 1000);
  }

  record(bytes: number, nowMs: number): void {
    this.refill(nowMs);
    this.tokens -= bytes;
  }
}

/** The broker's replication throttle rates: the live configuration, dynamic configs included. */
export interface BrokerThrottles {
  /** The configured rate of `key` for this broker; UNLIMITED_BYTES_PER_SEC when unset. */
  rate(key: string): number;
  /** The leader quota (leader.replication.throttled.rate) over every follower's fetches from this broker. */
  readonly leaderQuota: ReplicationQuota;
}

/** Reads the rates from the broker configuration, which dynamic-broker-config.ts keeps current. */
export class ConfigThrottles implements BrokerThrottles {
  readonly leaderQuota: ReplicationQuota;

  constructor(private readonly config: BrokerConfig) {
    this.leaderQuota = new ReplicationQuota(() => this.rate(LEADER_THROTTLED_RATE));
  }

  rate(key: string): number {
    const v = (this.config.values as unknown as Record<string, unknown>)[key];
    return typeof v === 'number' ? Math.min(v, UNLIMITED_BYTES_PER_SEC) : UNLIMITED_BYTES_PER_SEC;
  }
}
