// Per-topic configuration (Kafka's LogConfig): topic key names, their broker-level synonyms
// (the defaults a topic inherits), validation, and the effective values with their sources
// for DescribeConfigs.
import { z } from 'zod/v3';
import type { BrokerConfig } from './broker-config.js';
import { boolKey, ConfigError, configValueText, type ConfigKey, type ConfigValue, doubleKey, intKey, listKey, longKey, parseConfigValue, stringKey } from './config-def.js';

/** DescribeConfigs ConfigSource values, as in Kafka's DescribeConfigsResponse. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

interface TopicKeyDef {
  readonly key: ConfigKey;
  /** The broker key whose value is this topic key's default, and how to convert it. */
  readonly synonym?: string;
  readonly fromBroker: (b: BrokerConfig) => ConfigValue;
}

const policy = z.enum(['delete', 'compact']);
const throttledReplica = z.string().regex(/^(\*|\d+:\d+)$/);
const THROTTLED_REPLICAS_EXPECTED = 'Value must be a list of replicas in the form [PartitionId]:[BrokerId] or the single wildcard character *';

function def(key: ConfigKey, synonym: string | undefined, fromBroker: (b: BrokerConfig) => ConfigValue): TopicKeyDef {
  return synonym === undefined ? { key, fromBroker } : { key, synonym, fromBroker };
}

const defs: TopicKeyDef[] = [
  def(listKey('cleanup.policy', ['delete'], { item: policy, describe: 'Value must be a list of [delete, compact]', nonEmpty: true }), 'log.cleanup.policy', (b) => b.values['log.cleanup.policy']),
  def(stringKey('compression.type', 'producer', { oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] }), 'compression.type', (b) => b.values['compression.type']),
  def(longKey('delete.retention.ms', 86400000, { min: 0 }), 'log.cleaner.delete.retention.ms', (b) => b.values['log.cleaner.delete.retention.ms']),
  def(longKey('file.delete.delay.ms', 60000, { min: 0 }), 'log.segment.delete.delay.ms', () => 60000),
  def(longKey('flush.messages', Number.MAX_SAFE_INTEGER, { min: 1 }), 'log.flush.interval.messages', (b) => b.values['log.flush.interval.messages']),
  def(longKey('flush.ms', Number.MAX_SAFE_INTEGER, { min: 0 }), 'log.flush.interval.ms', (b) => b.logFlushIntervalMs),
  def(intKey('index.interval.bytes', 4096, { min: 0 }), 'log.index.interval.bytes', (b) => b.values['log.index.interval.bytes']),
  def(longKey('max.compaction.lag.ms', Number.MAX_SAFE_INTEGER, { min: 1 }), 'log.cleaner.max.compaction.lag.ms', () => Number.MAX_SAFE_INTEGER),
  def(intKey('max.message.bytes', 1048588, { min: 0 }), 'message.max.bytes', (b) => b.values['message.max.bytes']),
  def(stringKey('message.timestamp.type', 'CreateTime', { oneOf: ['CreateTime', 'LogAppendTime'] }), 'log.message.timestamp.type', (b) => b.values['log.message.timestamp.type']),
  def(longKey('message.timestamp.before.max.ms', Number.MAX_SAFE_INTEGER, { min: 0 }), 'log.message.timestamp.before.max.ms', (b) => b.values['log.message.timestamp.before.max.ms']),
  def(longKey('message.timestamp.after.max.ms', Number.MAX_SAFE_INTEGER, { min: 0 }), 'log.message.timestamp.after.max.ms', (b) => b.values['log.message.timestamp.after.max.ms']),
  def(doubleKey('min.cleanable.dirty.ratio', 0.5, { min: 0, max: 1 }), 'log.cleaner.min.cleanable.ratio', (b) => b.values['log.cleaner.min.cleanable.ratio']),
  def(longKey('min.compaction.lag.ms', 0, { min: 0 }), 'log.cleaner.min.compaction.lag.ms', (b) => b.values['log.cleaner.min.compaction.lag.ms']),
  def(intKey('min.insync.replicas', 1, { min: 1 }), 'min.insync.replicas', (b) => b.values['min.insync.replicas']),
  def(boolKey('preallocate', false), 'log.preallocate', (b) => b.values['log.preallocate']),
  def(longKey('retention.bytes', -1), 'log.retention.bytes', (b) => b.values['log.retention.bytes']),
  def(longKey('retention.ms', 604800000, { min: -1 }), 'log.retention.ms', (b) => b.logRetentionMs),
  def(intKey('segment.bytes', 1073741824, { min: 14 }), 'log.segment.bytes', (b) => b.values['log.segment.bytes']),
  def(intKey('segment.index.bytes', 10485760, { min: 4 }), 'log.index.size.max.bytes', (b) => b.values['log.index.size.max.bytes']),
  def(longKey('segment.jitter.ms', 0, { min: 0 }), 'log.roll.jitter.ms', () => 0),
  def(longKey('segment.ms', 604800000, { min: 1 }), 'log.roll.ms', (b) => b.logRollMs),
  def(boolKey('unclean.leader.election.enable', false), 'unclean.leader.election.enable', (b) => b.values['unclean.leader.election.enable']),
  def(boolKey('message.downconversion.enable', true), undefined, () => true),
  // KIP-73: the replicas the replication throttle rates apply to ("*" or partition:broker,...).
  def(listKey('leader.replication.throttled.replicas', [], { item: throttledReplica, describe: THROTTLED_REPLICAS_EXPECTED }), undefined, () => []),
  def(listKey('follower.replication.throttled.replicas', [], { item: throttledReplica, describe: THROTTLED_REPLICAS_EXPECTED }), undefined, () => []),
];

const defsByName = new Map(defs.map((d) => [d.key.name, d]));

export const topicConfigNames: readonly string[] = defs.map((d) => d.key.name);

export function isTopicConfig(name: string): boolean {
  return defsByName.has(name);
}

/** Validates one topic config value; throws ConfigError naming the key. */
export function validateTopicConfig(name: string, value: string): ConfigValue {
  const d = defsByName.get(name);
  if (!d) throw new ConfigError(name, value, `Unknown topic config name: ${name}`);
  return parseConfigValue(d.key, value);
}

/** Validates a set of overrides, returning them normalised as strings (as they are persisted). */
export function validateTopicConfigs(overrides: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(overrides)) {
    validateTopicConfig(name, value);
    out[name] = value;
  }
  return out;
}

export interface TopicConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
  readonly isDefault: boolean;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
  readonly synonyms: { name: string; value: string | null; source: number }[];
  readonly type: string;
  readonly doc: string;
}

function show(v: ConfigValue): string | null {
  return configValueText(v);
}

/**
 * The broker's dynamic configs, as a topic's DescribeConfigs shows them (dynamic-broker-config.ts):
 * the dynamic synonyms of a broker key (per broker, then the cluster default), and the
 * configuration without them (for the static and default synonyms).
 */
export interface DynamicBrokerSynonyms {
  dynamicSynonyms(brokerKey: string): { name: string; value: string | null; source: number }[];
  readonly staticConfig: BrokerConfig;
}

/** The effective topic config, each key with its value and where it came from. */
export function describeTopicConfig(broker: BrokerConfig, overrides: Readonly<Record<string, string>>, dynamic?: DynamicBrokerSynonyms): TopicConfigEntry[] {
  return defs.map((d) => {
    const name = d.key.name;
    const synonyms: { name: string; value: string | null; source: number }[] = [];
    const override = overrides[name];
    if (override !== undefined) synonyms.push({ name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    if (d.synonym && dynamic) synonyms.push(...dynamic.dynamicSynonyms(d.synonym));
    const brokerValue = show(d.fromBroker(dynamic?.staticConfig ?? broker));
    if (d.synonym && broker.explicit.has(d.synonym)) synonyms.push({ name: d.synonym, value: brokerValue, source: ConfigSource.STATIC_BROKER_CONFIG });
    synonyms.push({ name: d.synonym ?? name, value: brokerValue, source: ConfigSource.DEFAULT_CONFIG });
    const top = synonyms[0]!;
    return {
      name,
      value: top.value,
      source: top.source,
      isDefault: top.source === ConfigSource.DEFAULT_CONFIG,
      readOnly: false,
      sensitive: false,
      synonyms,
      type: d.key.type,
      doc: d.key.doc,
    };
  });
}

/** The typed effective values of a topic: broker defaults with the topic's overrides on top. */
export interface EffectiveTopicConfig {
  readonly cleanupPolicy: string[];
  readonly compressionType: string;
  readonly deleteRetentionMs: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly indexIntervalBytes: number;
  readonly maxCompactionLagMs: number;
  readonly maxMessageBytes: number;
  readonly messageTimestampType: 'CreateTime' | 'LogAppendTime';
  readonly messageTimestampBeforeMaxMs: number;
  readonly messageTimestampAfterMaxMs: number;
  readonly minCleanableDirtyRatio: number;
  readonly minCompactionLagMs: number;
  readonly minInsyncReplicas: number;
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly segmentBytes: number;
  readonly segmentIndexBytes: number;
  readonly segmentMs: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly leaderThrottledReplicas: string[];
  readonly followerThrottledReplicas: string[];
}

export function effectiveTopicConfig(broker: BrokerConfig, overrides: Readonly<Record<string, string>>): EffectiveTopicConfig {
  const get = (name: string): ConfigValue => {
    const d = defsByName.get(name)!;
    const o = overrides[name];
    return o !== undefined ? parseConfigValue(d.key, o) : d.fromBroker(broker);
  };
  return {
    cleanupPolicy: get('cleanup.policy') as string[],
    compressionType: get('compression.type') as string,
    deleteRetentionMs: get('delete.retention.ms') as number,
    flushMessages: get('flush.messages') as number,
    flushMs: get('flush.ms') as number,
    indexIntervalBytes: get('index.interval.bytes') as number,
    maxCompactionLagMs: get('max.compaction.lag.ms') as number,
    maxMessageBytes: get('max.message.bytes') as number,
    messageTimestampType: get('message.timestamp.type') as 'CreateTime' | 'LogAppendTime',
    messageTimestampBeforeMaxMs: get('message.timestamp.before.max.ms') as number,
    messageTimestampAfterMaxMs: get('message.timestamp.after.max.ms') as number,
    minCleanableDirtyRatio: get('min.cleanable.dirty.ratio') as number,
    minCompactionLagMs: get('min.compaction.lag.ms') as number,
    minInsyncReplicas: get('min.insync.replicas') as number,
    retentionBytes: get('retention.bytes') as number,
    retentionMs: get('retention.ms') as number,
    segmentBytes: get('segment.bytes') as number,
    segmentIndexBytes: get('segment.index.bytes') as number,
    segmentMs: get('segment.ms') as number,
    uncleanLeaderElectionEnable: get('unclean.leader.election.enable') as boolean,
    leaderThrottledReplicas: get('leader.replication.throttled.replicas') as string[],
    followerThrottledReplicas: get('follower.replication.throttled.replicas') as string[],
  };
}
