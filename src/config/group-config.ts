// Group configs (Kafka 4.4's GroupConfig, KIP-848/KIP-932/KIP-1071): per-group overrides set
// with IncrementalAlterConfigs on a GROUP config resource (ConfigResource.Type.GROUP = 32,
// `kafka-configs.sh --entity-type groups`). This module owns the keys (Kafka's names, types,
// defaults and broker synonyms), their validation with Kafka's messages (GroupConfig.validate:
// the ConfigDef's type and lower bound, then the broker's min/max bounds), and the effective
// value a coordinator uses (GroupConfig.evaluate: the group's value clamped to the broker's
// bounds of now, else the broker's key). Where the configs are kept is a GroupConfigStore
// (src/config/group-config-store.ts).
import type { BrokerConfig } from './broker-config.js';

export type GroupConfigType = 'INT' | 'LONG' | 'BOOLEAN' | 'STRING' | 'LIST';

export interface GroupConfigKey {
  readonly name: string;
  readonly type: GroupConfigType;
  /** Kafka's default when the broker has no synonym for it. */
  readonly defaultValue: string;
  /** The broker key whose value is the default (GroupConfig.ALL_GROUP_CONFIG_SYNONYMS), when Tidelog has it. */
  readonly brokerSynonym: string | null;
  /** The ConfigDef's atLeast. */
  readonly atLeast?: number;
  /** The broker's bounds (validateIntRange / validateIntMax): broker keys, or Kafka's defaults of bounds Tidelog has no key for. */
  readonly min?: string | number;
  readonly max?: string | number;
  readonly oneOf?: readonly string[];
  readonly doc: string;
}

/** Kafka 4.4's GroupConfig.CONFIG_DEF, in its order. */
export const GROUP_CONFIG_KEYS: readonly GroupConfigKey[] = [
  { name: 'consumer.session.timeout.ms', type: 'INT', defaultValue: '45000', brokerSynonym: 'group.consumer.session.timeout.ms', atLeast: 1, min: 'group.consumer.min.session.timeout.ms', max: 'group.consumer.max.session.timeout.ms', doc: 'The timeout to detect client failures when using the consumer group protocol.' },
  { name: 'consumer.heartbeat.interval.ms', type: 'INT', defaultValue: '5000', brokerSynonym: 'group.consumer.heartbeat.interval.ms', atLeast: 1, min: 'group.consumer.min.heartbeat.interval.ms', max: 'group.consumer.max.heartbeat.interval.ms', doc: 'The heartbeat interval given to the members of a consumer group.' },
  { name: 'consumer.assignment.interval.ms', type: 'INT', defaultValue: '1000', brokerSynonym: null, atLeast: 0, min: 0, max: 15000, doc: 'The interval between assignment updates for a consumer group.' },
  { name: 'consumer.assignor.offload.enable', type: 'BOOLEAN', defaultValue: 'true', brokerSynonym: null, doc: 'Whether the consumer group assignor runs off the coordinator thread.' },
  { name: 'share.session.timeout.ms', type: 'INT', defaultValue: '45000', brokerSynonym: 'group.share.session.timeout.ms', atLeast: 1, min: 'group.share.min.session.timeout.ms', max: 'group.share.max.session.timeout.ms', doc: 'The timeout to detect client failures when using the share group protocol.' },
  { name: 'share.heartbeat.interval.ms', type: 'INT', defaultValue: '5000', brokerSynonym: 'group.share.heartbeat.interval.ms', atLeast: 1, min: 'group.share.min.heartbeat.interval.ms', max: 'group.share.max.heartbeat.interval.ms', doc: 'The heartbeat interval given to the members of a share group.' },
  { name: 'share.record.lock.duration.ms', type: 'INT', defaultValue: '30000', brokerSynonym: 'group.share.record.lock.duration.ms', atLeast: 1000, min: 'group.share.min.record.lock.duration.ms', max: 'group.share.max.record.lock.duration.ms', doc: 'The record acquisition lock duration in milliseconds for share groups.' },
  { name: 'share.delivery.count.limit', type: 'INT', defaultValue: '5', brokerSynonym: 'group.share.delivery.count.limit', atLeast: 2, min: 2, max: 10, doc: 'The maximum number of delivery attempts for a record delivered to a share group.' },
  { name: 'share.partition.max.record.locks', type: 'INT', defaultValue: '2000', brokerSynonym: 'group.share.partition.max.record.locks', atLeast: 100, min: 100, max: 4000, doc: 'Share-group record lock limit per share-partition.' },
  { name: 'share.auto.offset.reset', type: 'STRING', defaultValue: 'latest', brokerSynonym: null, doc: 'The strategy to initialize the share-partition start offset: earliest, latest, or by_duration:<ISO 8601 duration>.' },
  { name: 'share.isolation.level', type: 'STRING', defaultValue: 'read_uncommitted', brokerSynonym: null, oneOf: ['read_committed', 'read_uncommitted'], doc: 'Controls how to read records written transactionally. If set to "read_committed", the share group will only deliver transactional records which have been committed. If set to "read_uncommitted", the share group will return all messages, even transactional messages which have been aborted. Non-transactional records will be returned unconditionally in either mode.' },
  { name: 'share.renew.acknowledge.enable', type: 'BOOLEAN', defaultValue: 'true', brokerSynonym: null, doc: 'Whether the renew acknowledge type is enabled for the share group.' },
  { name: 'share.assignment.interval.ms', type: 'INT', defaultValue: '1000', brokerSynonym: null, atLeast: 0, min: 0, max: 15000, doc: 'The interval between assignment updates for a share group.' },
  { name: 'share.assignor.offload.enable', type: 'BOOLEAN', defaultValue: 'true', brokerSynonym: null, doc: 'Whether the share group assignor runs off the coordinator thread.' },
  { name: 'streams.session.timeout.ms', type: 'INT', defaultValue: '45000', brokerSynonym: null, atLeast: 1, min: 45000, max: 60000, doc: 'The timeout to detect client failures when using the streams group protocol.' },
  { name: 'streams.heartbeat.interval.ms', type: 'INT', defaultValue: '5000', brokerSynonym: null, atLeast: 1, min: 5000, max: 15000, doc: 'The heartbeat interval given to the members of a streams group.' },
  { name: 'streams.num.standby.replicas', type: 'INT', defaultValue: '0', brokerSynonym: null, atLeast: 0, max: 2, doc: 'The number of standby replicas for each task.' },
  { name: 'streams.initial.rebalance.delay.ms', type: 'INT', defaultValue: '3000', brokerSynonym: null, atLeast: 0, doc: 'The amount of time the group coordinator will wait for more streams clients to join a new group before performing the first rebalance.' },
  { name: 'streams.assignment.interval.ms', type: 'INT', defaultValue: '1000', brokerSynonym: null, atLeast: 0, min: 0, max: 15000, doc: 'The interval between assignment updates for a streams group.' },
  { name: 'streams.assignor.offload.enable', type: 'BOOLEAN', defaultValue: 'true', brokerSynonym: null, doc: 'Whether the streams group assignor runs off the coordinator thread.' },
  { name: 'streams.task.offset.interval.ms', type: 'INT', defaultValue: '60000', brokerSynonym: null, atLeast: 1, doc: 'The interval in which streams clients report their task offsets.' },
  { name: 'streams.num.warmup.replicas', type: 'INT', defaultValue: '2', brokerSynonym: null, atLeast: 0, max: 20, doc: 'The number of warmup replicas for each task.' },
  { name: 'streams.rack.aware.assignment.tags', type: 'LIST', defaultValue: '', brokerSynonym: null, doc: 'The list of client tag keys used to distribute standby replicas across clients.' },
  { name: 'streams.acceptable.recovery.lag', type: 'LONG', defaultValue: '10000', brokerSynonym: null, atLeast: 0, doc: 'The maximum acceptable lag for a client to be considered caught-up for an active task.' },
  { name: 'streams.assignor.name', type: 'STRING', defaultValue: '', brokerSynonym: null, oneOf: ['sticky'], doc: 'The task assignor to use for this streams group.' },
  { name: 'errors.deadletterqueue.topic.name', type: 'STRING', defaultValue: '', brokerSynonym: null, doc: 'The name of the topic to be used as the dead-letter queue (DLQ) topic for this share group. If blank (the default), the group does not have a DLQ topic.' },
  { name: 'errors.deadletterqueue.copy.record.enable', type: 'BOOLEAN', defaultValue: 'false', brokerSynonym: null, doc: 'When writing onto the dead-letter queue topic, whether to copy the original record onto the DLQ topic, or just write a record containing the context information headers.' },
];

const KEYS = new Map(GROUP_CONFIG_KEYS.map((k) => [k.name, k]));

export function groupConfigKey(name: string): GroupConfigKey | undefined {
  return KEYS.get(name);
}

/** Kafka's ConfigResource.Type.GROUP. */
export const GROUP_CONFIG_RESOURCE = 32;
/** DescribeConfigs' ConfigSource: DYNAMIC_GROUP_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG. */
export const GROUP_CONFIG_SOURCE = { dynamicGroup: 8, staticBroker: 4, defaultConfig: 5 } as const;
/** DescribeConfigs' ConfigType. */
export const GROUP_CONFIG_TYPE_CODE: Record<GroupConfigType, number> = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, LIST: 7 };

const INT_MAX = 2147483647;
const BY_DURATION_RE = /^by_duration:P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/;

function bound(v: Record<string, unknown>, b: string | number | undefined): number | undefined {
  if (b === undefined) return undefined;
  return typeof b === 'number' ? b : Number(v[b]);
}

/** The broker's values as a record (BrokerConfig.values is typed per key). */
function brokerValues(config: BrokerConfig): Record<string, unknown> {
  return config.values as unknown as Record<string, unknown>;
}

/**
 * Checks a group's whole config map after a change (Kafka's GroupConfig.validate): an error
 * message in Kafka's words, or null (Kafka's ConfigException and InvalidConfigurationException
 * both answer INVALID_CONFIG).
 */
export function validateGroupConfigs(props: Readonly<Record<string, string>>, config: BrokerConfig): string | null {
  const v = brokerValues(config);
  for (const name of Object.keys(props)) if (!KEYS.has(name)) return `Unknown group config name: ${name}`;
  for (const [name, value] of Object.entries(props)) {
    const k = KEYS.get(name)!;
    const invalid = (why: string): string => `Invalid value ${value} for configuration ${name}: ${why}`;
    switch (k.type) {
      case 'INT':
      case 'LONG': {
        const trimmed = value.trim();
        const n = Number(trimmed);
        if (trimmed === '' || !Number.isInteger(n) || (k.type === 'INT' && (n > INT_MAX || n < -INT_MAX - 1))) return invalid(`Not a number of type ${k.type}`);
        if (k.atLeast !== undefined && n < k.atLeast) return invalid(`Value must be at least ${k.atLeast}`);
        break;
      }
      case 'BOOLEAN':
        if (!/^(true|false)$/i.test(value.trim())) return invalid('Expected value to be either true or false');
        break;
      case 'STRING':
        if (name === 'share.auto.offset.reset' && value !== 'latest' && value !== 'earliest' && !BY_DURATION_RE.test(value)) {
          return invalid(`Invalid value \`${value}\` for configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.`);
        }
        if (name === 'share.isolation.level' && !k.oneOf!.includes(value)) return invalid(`String must be one of: ${k.oneOf!.join(', ')}`);
        if (name === 'streams.assignor.name' && !k.oneOf!.includes(value)) return `streams.assignor.name '${value}' is not a registered task assignor. Registered assignors are: [${k.oneOf!.join(', ')}].`;
        if (name === 'errors.deadletterqueue.topic.name' && value.startsWith('__')) return "errors.deadletterqueue.topic.name: DLQ topic name must not start with '__'";
        break;
      case 'LIST': {
        const tags = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
        if (new Set(tags).size !== tags.length) return 'streams.rack.aware.assignment.tags must not contain duplicate tag keys.';
        break;
      }
    }
  }
  // The broker's bounds (GroupConfig.validateValues).
  for (const [name, value] of Object.entries(props)) {
    const k = KEYS.get(name)!;
    const n = Number(value);
    const min = bound(v, k.min);
    const max = bound(v, k.max);
    if (min !== undefined && max !== undefined && (n < min || n > max)) return `${name} must be in the range ${min} to ${max} inclusive.`;
    if (min === undefined && max !== undefined && n > max) return `${name} must be less than or equal to ${max}`;
  }
  // A session timeout that does not exceed the heartbeat interval (validateSessionExceedsHeartbeat).
  for (const kind of ['consumer', 'share', 'streams'] as const) {
    const session = effectiveInt(props, `${kind}.session.timeout.ms`, config);
    const heartbeat = effectiveInt(props, `${kind}.heartbeat.interval.ms`, config);
    if ((props[`${kind}.session.timeout.ms`] !== undefined || props[`${kind}.heartbeat.interval.ms`] !== undefined) && session <= heartbeat) {
      return `${kind}.session.timeout.ms must be greater than ${kind}.heartbeat.interval.ms`;
    }
  }
  return null;
}

/** The broker's value of a group config's synonym, or Kafka's default: what applies when the group has none. */
export function groupConfigDefault(name: string, config: BrokerConfig): { value: string; fromBroker: boolean } {
  const k = KEYS.get(name);
  if (!k) throw new Error(`unknown group config ${name}`);
  const v = brokerValues(config);
  if (k.brokerSynonym !== null && v[k.brokerSynonym] !== undefined) return { value: String(v[k.brokerSynonym]), fromBroker: true };
  return { value: k.defaultValue, fromBroker: false };
}

/**
 * An INT group config's effective value (GroupConfig.evaluate): the group's, clamped to the
 * broker's bounds of now (a bound may have changed since it was set), else the broker's.
 */
export function effectiveInt(props: Readonly<Record<string, string>> | ReadonlyMap<string, string>, name: string, config: BrokerConfig): number {
  const raw = props instanceof Map ? props.get(name) : (props as Record<string, string>)[name];
  const fallback = Number(groupConfigDefault(name, config).value);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) return fallback;
  const k = KEYS.get(name)!;
  const v = brokerValues(config);
  const min = bound(v, k.min);
  const max = bound(v, k.max);
  return Math.min(max ?? n, Math.max(min ?? n, n));
}

/** A consumer group's session timeout and heartbeat interval when either is set as a group config (KIP-848), else null: the broker's apply. */
export function consumerGroupSettings(set: ReadonlyMap<string, string>, config: BrokerConfig): { sessionTimeoutMs: number; heartbeatIntervalMs: number } | null {
  if (!set.has('consumer.session.timeout.ms') && !set.has('consumer.heartbeat.interval.ms')) return null;
  return { sessionTimeoutMs: effectiveInt(set, 'consumer.session.timeout.ms', config), heartbeatIntervalMs: effectiveInt(set, 'consumer.heartbeat.interval.ms', config) };
}
