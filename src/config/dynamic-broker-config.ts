// Dynamic broker configs (Kafka's DynamicBrokerConfig, KIP-226): broker keys changed at run
// time with AlterConfigs / IncrementalAlterConfigs on a BROKER resource, named by the broker id
// (DYNAMIC_BROKER_CONFIG) or "" for every broker (DYNAMIC_DEFAULT_BROKER_CONFIG), and described
// with their synonyms in Kafka's order. This module owns:
// - which keys are dynamic: Kafka's dynamic keys that Tidelog has an equivalent for and applies
//   at once (DYNAMIC_BROKER_KEYS, and the listener's key and trust stores DYNAMIC_SSL_KEYS, per
//   listener and per broker only); any other key is refused as Kafka refuses a non-dynamic one
//   (INVALID_REQUEST, "Cannot update these configs dynamically: Set(...)");
// - precedence: per-broker over cluster default over server.properties over Kafka's default,
//   synonyms of an overridden key dropped (DynamicBrokerConfig.overrideProps), then the whole
//   configuration rebuilt and validated like a static one, so a bad value names its key;
// - applying it: the one BrokerConfig object every subsystem holds is updated in place and the
//   reconfigure callbacks (topic defaults, connection limits, ...) run, so no restart is needed.
// Where the entity configs are kept (ZooKeeper's /config/brokers/<id> and /config/brokers/<default>
// with /config/changes notifications, or the data directory on a single node) is a
// BrokerConfigStore, in src/cluster/broker-config-store.ts. One event loop: no locking.
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import { brokerConfigKey, brokerConfigKeys, buildBrokerConfig, staticBrokerProps, type BrokerConfig } from './broker-config.js';
import { ConfigError, configValueText, parseConfigValue, type ConfigValue } from './config-def.js';
import { ConfigSource } from './topic-config.js';

/** The cluster-wide default entity: "" in the Kafka protocol, `<default>` in ZooKeeper (ConfigEntityName.Default). */
export const DEFAULT_BROKER_ENTITY = '<default>';

/**
 * Kafka's dynamic broker keys (DynamicBrokerConfig.AllDynamicConfigs) that Tidelog applies at
 * once. Each group names the Kafka reconfigurable it comes from.
 */
export const DYNAMIC_BROKER_KEYS: ReadonlySet<string> = new Set([
  // DynamicLogConfig: the broker defaults of topic configs (ServerTopicConfigSynonyms, the primary
  // synonym only: log.retention.hours and log.roll.hours are not dynamic in Kafka either), for
  // every topic without its own override.
  'log.segment.bytes',
  'log.roll.ms',
  'log.retention.ms',
  'log.retention.bytes',
  'log.cleanup.policy',
  'log.cleaner.delete.retention.ms',
  'log.cleaner.min.compaction.lag.ms',
  'log.cleaner.min.cleanable.ratio',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.index.interval.bytes',
  'log.index.size.max.bytes',
  'log.preallocate',
  'log.message.timestamp.type',
  'log.message.timestamp.before.max.ms',
  'log.message.timestamp.after.max.ms',
  'message.max.bytes',
  'min.insync.replicas',
  'compression.type',
  'unclean.leader.election.enable',
  // SocketServer / DynamicListenerConfig: the connection limits.
  'max.connections',
  'max.connections.per.ip',
  'max.connections.per.ip.overrides',
  // DynamicProducerStateManagerConfig.
  'producer.id.expiration.ms',
  'transaction.partition.verification.enable',
  // DynamicReplicationConfig (KIP-73 throttles).
  'leader.replication.throttled.rate',
  'follower.replication.throttled.rate',
  'replica.alter.log.dirs.io.max.bytes.per.second',
]);

/**
 * Kafka's SslConfigs.RECONFIGURABLE_CONFIGS: the key and trust stores, dynamic per listener only
 * (`listener.name.<listener>.ssl.keystore.location`, ...) and per broker only: new connections of
 * that listener use the new stores at once (security/tls/listener-tls.ts).
 */
export const DYNAMIC_SSL_KEYS: ReadonlySet<string> = new Set([
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates',
]);

/** Kafka's ListenerConfigRegex: `listener.name.<listener>.<base key>`. */
const LISTENER_KEY_RE = /^listener\.name\.([^.]*)\.(.*)$/;

/** The base key of a per-listener key (`ssl.keystore.location` of `listener.name.ssl.ssl.keystore.location`), or null. */
export function listenerBaseKey(name: string): string | null {
  return LISTENER_KEY_RE.exec(name)?.[2] ?? null;
}

/** Whether `name` may be set dynamically (Kafka's dynamic keys Tidelog applies). */
export function isDynamicBrokerKey(name: string): boolean {
  if (DYNAMIC_BROKER_KEYS.has(name)) return brokerConfigKey(name) !== undefined;
  const base = listenerBaseKey(name);
  return base !== null && DYNAMIC_SSL_KEYS.has(base);
}

/** The definition that types a key: its own, or the base key's for a per-listener key. */
function keyDef(name: string) {
  return brokerConfigKey(name) ?? brokerConfigKey(listenerBaseKey(name) ?? '');
}

/** Kafka's DynamicBrokerConfig.brokerConfigSynonyms (matchListenerOverride): the keys that set the same thing, highest precedence first. */
export function brokerConfigSynonyms(name: string): string[] {
  const base = listenerBaseKey(name);
  if (base !== null) return [name, base];
  switch (name) {
    case 'log.roll.ms':
    case 'log.roll.hours':
      return ['log.roll.ms', 'log.roll.hours'];
    case 'log.roll.jitter.ms':
    case 'log.roll.jitter.hours':
      return ['log.roll.jitter.ms', 'log.roll.jitter.hours'];
    case 'log.flush.interval.ms':
      return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'];
    case 'log.retention.ms':
    case 'log.retention.minutes':
    case 'log.retention.hours':
      return ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'];
    default:
      return [name];
  }
}

/** Where entity configs are kept: `<default>` or a broker id, each a map of key -> value string. */
export interface BrokerConfigStore {
  read(entity: string): Promise<Record<string, string>>;
  /** Replaces an entity's configs (an empty map: none), durably, and tells every broker. */
  write(entity: string, configs: Readonly<Record<string, string>>): Promise<void>;
  /** Calls back when an entity's configs change (written by any broker, this one included). */
  watch(onChange: (entity: string, configs: Record<string, string>) => void): Promise<void>;
  /** Set when password keys cannot be kept here: the reason, as Kafka words it. */
  readonly refusesPasswords?: string;
  close(): void;
}

/** Runs after a change with the configuration already updated and the keys whose value changed. */
export type Reconfigurable = (config: BrokerConfig, changed: ReadonlySet<string>) => void;

export interface AlterResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** One IncrementalAlterConfigs operation (KIP-339). */
export interface AlterConfigOp {
  readonly name: string;
  /** 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT */
  readonly op: number;
  readonly value: string | null;
}

export interface DynamicConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
}

export interface DynamicConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
  readonly synonyms: DynamicConfigSynonym[];
  readonly type: string;
  readonly doc: string;
}

const OP_SET = 0;
const OP_DELETE = 1;
const OP_APPEND = 2;
const OP_SUBTRACT = 3;

/** A Scala Set's toString, as Kafka's messages show key sets. */
function scalaSet(keys: readonly string[]): string {
  return `Set(${keys.join(', ')})`;
}

class InvalidDynamicConfig extends Error {}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The dynamic broker configs of this broker, applied to its live configuration. */
export class DynamicBrokerConfig {
  private perBroker: Record<string, string> = {};
  private defaults: Record<string, string> = {};
  private readonly staticProps: ReadonlyMap<string, string>;
  /** The configuration of server.properties and --override alone. */
  readonly staticConfig: BrokerConfig;
  private readonly reconfigurables: Reconfigurable[] = [];
  private readonly validators: ((candidate: BrokerConfig) => void)[] = [];
  /** The alter in progress (alters are serialized so that none is lost to a concurrent one). */
  private changes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly live: BrokerConfig,
    private readonly store: BrokerConfigStore,
    private readonly logger: Logger,
  ) {
    this.staticProps = staticBrokerProps(live);
    this.staticConfig = buildBrokerConfig(this.staticProps);
  }

  /** The dynamic synonyms of a broker key (per broker, then the default), for a topic config's description. */
  dynamicSynonyms(brokerKey: string): DynamicConfigSynonym[] {
    const key = keyDef(brokerKey);
    return this.synonyms(brokerKey, key?.type === 'password', true).filter((s) => s.source === ConfigSource.DYNAMIC_BROKER_CONFIG || s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  }

  /** Reads this broker's and the default entity, applies them, then follows changes. */
  static async load(config: BrokerConfig, store: BrokerConfigStore, logger: Logger): Promise<DynamicBrokerConfig> {
    const dynamic = new DynamicBrokerConfig(config, store, logger);
    const own = String(config.brokerId);
    dynamic.perBroker = dynamic.fromPersistent(own, await store.read(own));
    dynamic.defaults = dynamic.fromPersistent(DEFAULT_BROKER_ENTITY, await store.read(DEFAULT_BROKER_ENTITY));
    dynamic.apply();
    await store.watch((entity, configs) => dynamic.entityChanged(entity, configs));
    return dynamic;
  }

  /** Registers what to do when values change (Kafka's BrokerReconfigurable.reconfigure). */
  onReconfigure(reconfigurable: Reconfigurable): void {
    this.reconfigurables.push(reconfigurable);
  }

  /**
   * Registers a check of a candidate configuration before a change is stored (Kafka's
   * Reconfigurable.validateReconfiguration): throws ConfigError to refuse it, naming the key.
   */
  addValidator(validate: (candidate: BrokerConfig) => void): void {
    this.validators.push(validate);
  }

  /** The live configuration (the same object the rest of the broker holds). */
  get config(): BrokerConfig {
    return this.live;
  }

  close(): void {
    this.store.close();
  }

  private entityChanged(entity: string, configs: Record<string, string>): void {
    if (entity === DEFAULT_BROKER_ENTITY) this.defaults = this.fromPersistent(entity, configs);
    else if (entity === String(this.live.brokerId)) this.perBroker = this.fromPersistent(entity, configs);
    else return;
    this.apply();
  }

  /** Kafka's fromPersistentProps: what was stored but is not (or no longer) dynamic or valid is ignored, loudly. */
  private fromPersistent(entity: string, stored: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(stored)) {
      const key = keyDef(k);
      if (!isDynamicBrokerKey(k) || !key) {
        this.logger.error({ entity, key: k }, 'Non-dynamic configs will be ignored');
        continue;
      }
      if (entity === DEFAULT_BROKER_ENTITY && listenerBaseKey(k) !== null) {
        this.logger.error({ entity, key: k }, 'Per-broker configs defined at default cluster level will be ignored');
        continue;
      }
      try {
        parseConfigValue(key, v);
        out[k] = v;
      } catch (err) {
        this.logger.error({ entity, key: k, err: (err as Error).message }, 'Dynamic broker config contains an invalid value; it will be ignored');
      }
    }
    return out;
  }

  /** static < default < per-broker, a key's synonyms removed when it is overridden (Kafka's overrideProps). */
  private merged(defaults: Readonly<Record<string, string>>, perBroker: Readonly<Record<string, string>>): Map<string, string> {
    const props = new Map(this.staticProps);
    for (const layer of [defaults, perBroker]) {
      for (const [k, v] of Object.entries(layer)) {
        // Kafka's overrideProps: matchListenerOverride off, so a base key used by other listeners stays.
        for (const s of listenerBaseKey(k) !== null ? [k] : brokerConfigSynonyms(k)) props.delete(s);
        props.set(k, v);
      }
    }
    return props;
  }

  /** Rebuilds the configuration from the layers and updates the live one in place; runs the reconfigurables. */
  private apply(): void {
    let next: BrokerConfig;
    try {
      next = buildBrokerConfig(this.merged(this.defaults, this.perBroker));
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'the dynamic broker configs could not be applied; keeping the previous configuration');
      return;
    }
    const live = this.live as Mutable<BrokerConfig>;
    const values = live.values as unknown as Record<string, ConfigValue>;
    const nextValues = next.values as unknown as Record<string, ConfigValue>;
    const changed = new Set<string>();
    for (const k of Object.keys(nextValues)) {
      if (JSON.stringify(values[k]) !== JSON.stringify(nextValues[k])) changed.add(k);
      values[k] = nextValues[k]!;
    }
    live.logRollMs = next.logRollMs;
    live.logRetentionMs = next.logRetentionMs;
    live.logFlushIntervalMs = next.logFlushIntervalMs;
    const overrides = live.perIpOverrides as Map<string, number>;
    overrides.clear();
    for (const [a, n] of next.perIpOverrides) overrides.set(a, n);
    // Per-listener keys (the TLS stores): the names of those that changed, then the new map.
    const listenerKeys = (c: BrokerConfig) => new Map([...c.listenerOverrides].flatMap(([l, m]) => [...m].map(([k, v]) => [`listener.name.${l.toLowerCase()}.${k}`, v] as const)));
    const before = listenerKeys(live);
    const after = listenerKeys(next);
    for (const k of new Set([...before.keys(), ...after.keys()])) if (before.get(k) !== after.get(k)) changed.add(k);
    const perListener = live.listenerOverrides as Map<string, ReadonlyMap<string, string>>;
    perListener.clear();
    for (const [l, m] of next.listenerOverrides) perListener.set(l, m);
    if (changed.size === 0) return;
    this.logger.info({ changed: [...changed] }, 'applied dynamic broker configs');
    for (const r of this.reconfigurables) {
      try {
        r(this.live, changed);
      } catch (err) {
        this.logger.error({ err }, 'a dynamic broker config change could not be applied everywhere');
      }
    }
  }

  /** Checks a resource name: "" (the default) or this broker's id, as Kafka's ZkAdminManager.getBrokerId. */
  private entityOf(resourceName: string): { entity: string } | AlterResult {
    if (resourceName === '') return { entity: DEFAULT_BROKER_ENTITY };
    if (!/^-?\d+$/.test(resourceName)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Broker id must be an integer, but it is: ${resourceName}` };
    if (Number(resourceName) !== this.live.brokerId) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${this.live.brokerId}, but received ${resourceName}` };
    return { entity: String(this.live.brokerId) };
  }

  private current(entity: string): Record<string, string> {
    return { ...(entity === DEFAULT_BROKER_ENTITY ? this.defaults : this.perBroker) };
  }

  /** One change at a time on this broker: each starts from what the previous one stored. */
  private serialized(change: () => Promise<AlterResult>): Promise<AlterResult> {
    const result = this.changes.then(change);
    this.changes = result.catch(() => undefined);
    return result;
  }

  /** IncrementalAlterConfigs on a BROKER resource (KIP-339 operations on the stored entity). */
  incrementalAlter(resourceName: string, ops: readonly AlterConfigOp[], validateOnly: boolean): Promise<AlterResult> {
    return this.serialized(() => this.incrementalAlterNow(resourceName, ops, validateOnly));
  }

  private async incrementalAlterNow(resourceName: string, ops: readonly AlterConfigOp[], validateOnly: boolean): Promise<AlterResult> {
    const target = this.entityOf(resourceName);
    if ('errorCode' in target) return target;
    const next = this.current(target.entity);
    for (const o of ops) {
      const key = brokerConfigKey(o.name);
      switch (o.op) {
        case OP_SET:
          if (o.value === null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${o.name}` };
          next[o.name] = o.value;
          break;
        case OP_DELETE:
          delete next[o.name];
          break;
        case OP_APPEND:
        case OP_SUBTRACT: {
          // Kafka's ConfigAdminManager.prepareIncrementalConfigs: only LIST keys.
          const verb = o.op === OP_APPEND ? 'append' : 'subtract';
          if (key?.type !== 'list') return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Config value ${verb} is not allowed for config key: ${o.name}` };
          const have = next[o.name] ?? this.staticProps.get(o.name) ?? configValueText(key.defaultValue) ?? '';
          const current = have.split(',').map((s) => s.trim()).filter((s) => s !== '');
          const items = (o.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
          next[o.name] = (o.op === OP_APPEND ? [...current, ...items.filter((v) => !current.includes(v))] : current.filter((v) => !items.includes(v))).join(',');
          break;
        }
        default:
          return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown alter config operation type ${o.op}` };
      }
    }
    return this.commit(resourceName, target.entity, next, validateOnly);
  }

  /** AlterConfigs on a BROKER resource: the entity's dynamic configs become exactly `configs`. */
  replace(resourceName: string, configs: Readonly<Record<string, string | null>>, validateOnly: boolean): Promise<AlterResult> {
    return this.serialized(async () => {
      const target = this.entityOf(resourceName);
      if ('errorCode' in target) return target;
      const next: Record<string, string> = {};
      for (const [k, v] of Object.entries(configs)) if (v !== null) next[k] = v;
      return this.commit(resourceName, target.entity, next, validateOnly);
    });
  }

  /** Kafka's DynamicBrokerConfig.validateConfigs and validate, then the store, then the live config. */
  private async commit(resourceName: string, entity: string, next: Record<string, string>, validateOnly: boolean): Promise<AlterResult> {
    const perBroker = entity !== DEFAULT_BROKER_ENTITY;
    try {
      // Kafka's validateConfigs, in its order.
      const keys = Object.keys(next);
      const withoutPrefix = keys.filter((k) => DYNAMIC_SSL_KEYS.has(k));
      const nonDynamic = keys.filter((k) => !isDynamicBrokerKey(k) && !DYNAMIC_SSL_KEYS.has(k));
      if (nonDynamic.length > 0) throw new InvalidDynamicConfig(`Cannot update these configs dynamically: ${scalaSet(nonDynamic)}`);
      if (withoutPrefix.length > 0) throw new InvalidDynamicConfig(`These security configs can be dynamically updated only per-listener using the listener prefix: ${scalaSet(withoutPrefix)}`);
      for (const [k, v] of Object.entries(next)) {
        try {
          parseConfigValue(keyDef(k)!, v);
        } catch (err) {
          // A per-listener key's error names the whole key.
          if (err instanceof ConfigError && err.key !== k) throw new ConfigError(k, err.value, err.reason);
          throw err;
        }
      }
      const perBrokerOnly = keys.filter((k) => listenerBaseKey(k) !== null);
      if (!perBroker && perBrokerOnly.length > 0) throw new InvalidDynamicConfig(`Cannot update these configs at default cluster level, broker id must be specified: ${scalaSet(perBrokerOnly)}`);
      const passwords = keys.filter((k) => keyDef(k)?.type === 'password');
      if (passwords.length > 0 && this.store.refusesPasswords) throw new InvalidDynamicConfig(this.store.refusesPasswords);
      const candidate = buildBrokerConfig(perBroker ? this.merged(this.defaults, next) : this.merged(next, this.perBroker));
      for (const validate of this.validators) validate(candidate);
    } catch (err) {
      if (!(err instanceof ConfigError) && !(err instanceof InvalidDynamicConfig)) throw err;
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Invalid config value for resource ConfigResource(type=BROKER, name='${resourceName}'): ${err.message}` };
    }
    if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null };
    try {
      await this.store.write(entity, next);
    } catch (err) {
      this.logger.error({ err, entity }, 'could not store dynamic broker configs');
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `Could not store the dynamic configs of ${entity}: ${(err as Error).message}` };
    }
    // Applied here at once (the store's notification, when it comes, finds nothing new).
    this.entityChanged(entity, next);
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  /** Kafka's ConfigHelper.configSynonyms: by source (per-broker, default, static, Kafka's default), then synonym order. */
  private synonyms(name: string, sensitive: boolean, perBrokerView: boolean): DynamicConfigSynonym[] {
    const names = brokerConfigSynonyms(name);
    const all: DynamicConfigSynonym[] = [];
    const add = (lookup: (n: string) => string | undefined, source: number) => {
      for (const n of names) {
        const v = lookup(n);
        if (v !== undefined) all.push({ name: n, value: sensitive ? null : v, source });
      }
    };
    if (perBrokerView) add((n) => this.perBroker[n], ConfigSource.DYNAMIC_BROKER_CONFIG);
    add((n) => this.defaults[n], ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    add((n) => this.staticProps.get(n), ConfigSource.STATIC_BROKER_CONFIG);
    add((n) => {
      const key = brokerConfigKey(n);
      return key ? (configValueText(key.defaultValue) ?? undefined) : undefined;
    }, ConfigSource.DEFAULT_CONFIG);
    // Synonyms of higher precedence than the key itself are dropped (Kafka's dropWhile).
    const first = all.findIndex((s) => s.name === name);
    return first < 0 ? [] : all.slice(first);
  }

  private entry(name: string, value: string | null, perBrokerView: boolean): DynamicConfigEntry {
    const key = keyDef(name);
    const type = key?.type ?? 'string';
    const sensitive = type === 'password';
    const synonyms = this.synonyms(name, sensitive, perBrokerView);
    return {
      name,
      value: sensitive ? null : value,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: !brokerConfigSynonyms(name).some((n) => isDynamicBrokerKey(n)),
      sensitive,
      synonyms,
      type,
      doc: key?.doc ?? '',
    };
  }

  /**
   * DescribeConfigs of a BROKER resource, as Kafka's ConfigHelper: this broker's id lists every
   * key with its current value; "" lists the cluster defaults that are set.
   */
  describe(resourceName: string): { errorCode: number; errorMessage: string | null; entries: DynamicConfigEntry[] } {
    const target = this.entityOf(resourceName);
    if ('errorCode' in target) return { ...target, entries: [] };
    if (target.entity === DEFAULT_BROKER_ENTITY) {
      return { errorCode: ErrorCode.NONE, errorMessage: null, entries: Object.entries(this.defaults).map(([k, v]) => this.entry(k, v, false)) };
    }
    const values = this.live.values as unknown as Record<string, ConfigValue>;
    const entries = brokerConfigKeys.map((k) => this.entry(k.name, configValueText(values[k.name] as ConfigValue), true));
    // Per-listener keys set anywhere (Kafka lists the originals too), with their current value.
    const perListener = new Set([...this.staticProps.keys(), ...Object.keys(this.defaults), ...Object.keys(this.perBroker)].filter((k) => listenerBaseKey(k) !== null));
    const effective = this.merged(this.defaults, this.perBroker);
    for (const k of [...perListener].sort()) entries.push(this.entry(k, effective.get(k) ?? null, true));
    return { errorCode: ErrorCode.NONE, errorMessage: null, entries };
  }
}
