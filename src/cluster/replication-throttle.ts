// Replication throttles (Kafka's KIP-73, as kafka-reassign-partitions.sh --throttle sets them):
// - broker configs leader.replication.throttled.rate and follower.replication.throttled.rate
//   (bytes per second; unset: no limit), set dynamically: in ZooKeeper at
//   /config/brokers/<id> (or /config/brokers/<default> for every broker), {"version":1,
//   "config":{...}}, where Kafka kept dynamic broker configs; each broker watches its own and
//   the default, its own winning;
// - topic configs leader.replication.throttled.replicas and
//   follower.replication.throttled.replicas: "*" or "partition:broker,..." naming the replicas
//   the rates apply to.
// Tidelog enforces the follower side (Kafka's ReplicaFetcherThread.shouldFollowerThrottle): a
// follower leaves a throttled partition that is not in the ISR out of its fetch while its
// follower quota is used up, so only catching-up replicas (a reassignment's new ones) wait,
// never the ISR an acks=all produce waits for. The leader side (leader.replication.throttled.rate
// in the leader's fetch path) is accepted and stored but not enforced.
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import type { Subscription, ZkClient } from './zk-client.js';
import { isZkError } from './zk-error.js';

export const LEADER_THROTTLED_RATE = 'leader.replication.throttled.rate';
export const FOLLOWER_THROTTLED_RATE = 'follower.replication.throttled.rate';
export const ALTER_LOG_DIRS_RATE = 'replica.alter.log.dirs.io.max.bytes.per.second';
/** The dynamic broker configs this broker accepts (IncrementalAlterConfigs on a BROKER resource). */
export const BROKER_THROTTLE_KEYS: readonly string[] = [LEADER_THROTTLED_RATE, FOLLOWER_THROTTLED_RATE, ALTER_LOG_DIRS_RATE];
/** Kafka's default for the rates: Long.MAX_VALUE, no limit. */
export const UNLIMITED_BYTES_PER_SEC = Number.MAX_SAFE_INTEGER;
/** The cluster-wide default entity, as Kafka names it. */
export const DEFAULT_BROKER_ENTITY = '<default>';

export const brokerConfigPath = (entity: string) => `/config/brokers/${entity}`;

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

export interface ThrottleAlterResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** Checks the keys and values of a change to the throttle configs of a broker entity. */
export function invalidThrottleChange(entity: string, set: Readonly<Record<string, string>>, del: readonly string[]): ThrottleAlterResult | null {
  if (entity !== '' && !/^\d+$/.test(entity)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Invalid broker id ${entity}` };
  for (const key of [...Object.keys(set), ...del]) {
    if (!BROKER_THROTTLE_KEYS.includes(key)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Only the replication throttles (${BROKER_THROTTLE_KEYS.join(', ')}) can be altered dynamically; ${key} is read from server.properties` };
  }
  for (const [key, value] of Object.entries(set)) {
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value.trim()))) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Invalid value ${value} for configuration ${key}: Not a number of type LONG` };
  }
  return null;
}

/** The broker's dynamic throttle configs: its own entity and the default, the own winning. */
export interface BrokerThrottles {
  /** The configured rate of `key` for this broker; UNLIMITED_BYTES_PER_SEC when unset. */
  rate(key: string): number;
  /** Sets and deletes throttle keys of a broker entity ("" = the cluster default). */
  alter(entity: string, set: Readonly<Record<string, string>>, del: readonly string[], validateOnly: boolean): Promise<ThrottleAlterResult>;
  close(): void;
}

function applyChange(current: Readonly<Record<string, string>>, set: Readonly<Record<string, string>>, del: readonly string[]): Record<string, string> {
  const next: Record<string, string> = { ...current };
  for (const k of del) delete next[k];
  for (const [k, v] of Object.entries(set)) next[k] = v.trim();
  return next;
}

function rateOf(configs: readonly Readonly<Record<string, string>>[], key: string): number {
  for (const c of configs) {
    const v = c[key];
    if (v !== undefined && /^\d+$/.test(v)) return Math.min(Number(v), UNLIMITED_BYTES_PER_SEC);
  }
  return UNLIMITED_BYTES_PER_SEC;
}

/** A single node: nothing replicates; the values are kept (for the tools) in memory only. */
export class LocalBrokerThrottles implements BrokerThrottles {
  private readonly entities = new Map<string, Record<string, string>>();

  constructor(private readonly brokerId: number) {}

  rate(key: string): number {
    return rateOf([this.entities.get(String(this.brokerId)) ?? {}, this.entities.get('') ?? {}], key);
  }

  async alter(entity: string, set: Readonly<Record<string, string>>, del: readonly string[], validateOnly: boolean): Promise<ThrottleAlterResult> {
    const invalid = invalidThrottleChange(entity, set, del);
    if (invalid) return invalid;
    if (!validateOnly) this.entities.set(entity, applyChange(this.entities.get(entity) ?? {}, set, del));
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  close(): void {}
}

/** In a cluster: /config/brokers/<id> and /config/brokers/<default>, watched. */
export class ZkBrokerThrottles implements BrokerThrottles {
  private own: Record<string, string> = {};
  private defaults: Record<string, string> = {};
  private readonly subscriptions: Subscription[];

  constructor(
    private readonly zk: ZkClient,
    brokerId: number,
    private readonly logger: Logger,
  ) {
    const read = (entity: string, data: Buffer | null): Record<string, string> => {
      if (!data || data.length === 0) return {};
      try {
        const o = JSON.parse(data.toString('utf8')) as { config?: Record<string, unknown> };
        return Object.fromEntries(Object.entries(o.config ?? {}).map(([k, v]) => [k, String(v)]));
      } catch (err) {
        this.logger.warn({ err, path: brokerConfigPath(entity) }, 'unreadable dynamic broker config; ignoring it');
        return {};
      }
    };
    this.subscriptions = [
      zk.watchData(brokerConfigPath(String(brokerId)), (v) => (this.own = read(String(brokerId), v?.data ?? null))),
      zk.watchData(brokerConfigPath(DEFAULT_BROKER_ENTITY), (v) => (this.defaults = read(DEFAULT_BROKER_ENTITY, v?.data ?? null))),
    ];
  }

  get ready(): Promise<void> {
    return Promise.all(this.subscriptions.map((s) => s.ready)).then(() => {});
  }

  rate(key: string): number {
    return rateOf([this.own, this.defaults], key);
  }

  async alter(entity: string, set: Readonly<Record<string, string>>, del: readonly string[], validateOnly: boolean): Promise<ThrottleAlterResult> {
    const invalid = invalidThrottleChange(entity, set, del);
    if (invalid) return invalid;
    if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null };
    const path = brokerConfigPath(entity === '' ? DEFAULT_BROKER_ENTITY : entity);
    try {
      for (let attempt = 0; ; attempt++) {
        const node = await this.zk.getData(path);
        const current = node && node.data.length > 0 ? ((JSON.parse(node.data.toString('utf8')) as { config?: Record<string, string> }).config ?? {}) : {};
        const data = Buffer.from(JSON.stringify({ version: 1, config: applyChange(current, set, del) }));
        try {
          if (node) await this.zk.setData(path, data, node.version);
          else await this.zk.create(path, data);
          break;
        } catch (err) {
          if (attempt >= 10 || !(isZkError(err, 'BAD_VERSION') || isZkError(err, 'NODE_EXISTS') || isZkError(err, 'NO_NODE'))) throw err;
        }
      }
      return { errorCode: ErrorCode.NONE, errorMessage: null };
    } catch (err) {
      this.logger.error({ err, path }, 'could not write a dynamic broker config');
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `ZooKeeper write of ${path} failed: ${(err as Error).message}` };
    }
  }

  close(): void {
    for (const s of this.subscriptions) s.close();
  }
}
