// The broker's configuration: Kafka's key names and defaults, validated with zod through
// ConfigDef keys. Loading order (as Kafka's kafka-server-start.sh): the properties file, then
// --override key=value. A bad value stops start-up naming the key; an unknown key warns.
import { readFileSync } from 'node:fs';
import { z } from 'zod/v3';
import {
  boolKey,
  ConfigError,
  configValueText,
  doubleKey,
  intKey,
  socketBufferKey,
  type ConfigKey,
  type ConfigValue,
  listKey,
  LONG_MAX,
  longKey,
  nullableLongKey,
  parseConfigValue,
  stringKey,
} from './config-def.js';
import { parseProperties } from './properties.js';
import { nearestKey } from './nearest-key.js';
import { parseListeners, type Listener } from './listeners.js';
import { sslConfigKeys } from './ssl-keys.js';
import { saslConfigKeys } from './sasl-keys.js';
import { shareConfigKeys } from './share-keys.js';
import { authorizerConfigKeys } from './authorizer-keys.js';

const HOUR_MS = 3_600_000;
const INT_MAX = 2147483647;
/**
 * queued.max.request.bytes when not set. Kafka's default is -1 (no bound); ours is finite so
 * that clients sending faster than the broker answers (or never reading) cannot grow the
 * process without limit: 512 MiB is five of the largest requests (socket.request.max.bytes)
 * and far above what pipelined produce traffic keeps in flight (BENCHMARKS.md runs stay
 * under 64 MiB). -1 restores Kafka's behaviour.
 */
const QUEUED_MAX_REQUEST_BYTES_DEFAULT = 512 * 1024 * 1024;
/** One max.connections.per.ip.overrides item: host (an IPv6 address has colons) and a count. */
const perIpOverrideItem = z.string().regex(/^.+:\d+$/);
const cleanupPolicyItem = z.enum(['delete', 'compact']);

/** Every broker key Tidelog understands, with Kafka's name and default. */
export const brokerConfigKeys = [
  intKey('broker.id', 0, { min: -1, doc: 'The broker id of this server.' }),
  intKey('node.id', -1, { min: -1, doc: 'Alias of broker.id (KRaft name); broker.id wins when both are set.' }),
  listKey('listeners', ['PLAINTEXT://:9092'], { nonEmpty: true, describe: 'Value must be a comma-separated list of listeners like PLAINTEXT://host:port', doc: 'Listener URIs the broker binds.' }),
  listKey('advertised.listeners', [], { doc: 'Listener URIs published to clients; defaults to listeners.' }),
  listKey('listener.security.protocol.map', ['PLAINTEXT:PLAINTEXT', 'SSL:SSL', 'SASL_PLAINTEXT:SASL_PLAINTEXT', 'SASL_SSL:SASL_SSL'], { doc: 'Listener name to security protocol.' }),
  stringKey('inter.broker.listener.name', null, { doc: 'Listener used between brokers.' }),
  listKey('log.dirs', [], { doc: 'Directories holding the partition logs.' }),
  stringKey('log.dir', '/tmp/kafka-logs', { doc: 'The log directory when log.dirs is not set.' }),
  intKey('num.partitions', 1, { min: 1, doc: 'Default partition count of auto-created topics.' }),
  intKey('default.replication.factor', 1, { min: 1, doc: 'Default replication factor of auto-created topics.' }),
  boolKey('auto.create.topics.enable', true, { doc: 'Create a topic when a client asks for metadata of an unknown one.' }),
  boolKey('delete.topic.enable', true, { doc: 'Allow topics to be deleted.' }),
  intKey('log.segment.bytes', 1073741824, { min: 14, doc: 'Maximum size of a segment file.' }),
  nullableLongKey('log.roll.ms', { min: 1, doc: 'Maximum age of a segment before it rolls; defaults to log.roll.hours.' }),
  intKey('log.roll.hours', 168, { min: 1 }),
  nullableLongKey('log.retention.ms', { min: -1, doc: 'How long a segment is kept; -1 for ever. Overrides minutes and hours.' }),
  nullableLongKey('log.retention.minutes', { min: -1 }),
  intKey('log.retention.hours', 168, { min: -1 }),
  longKey('log.retention.bytes', -1, { doc: 'Maximum size of a partition log before old segments are deleted; -1 for no limit.' }),
  longKey('log.retention.check.interval.ms', 300000, { min: 1 }),
  longKey('log.flush.interval.messages', LONG_MAX, { min: 1, doc: 'Messages accumulated on a partition before they are fsynced.' }),
  nullableLongKey('log.flush.interval.ms', { min: 0, doc: 'Maximum time a message stays unflushed; defaults to log.flush.scheduler.interval.ms.' }),
  longKey('log.flush.scheduler.interval.ms', LONG_MAX, { min: 0 }),
  longKey('log.flush.offset.checkpoint.interval.ms', 60000, { min: 0 }),
  intKey('producer.id.expiration.ms', 86400000, { min: 1, doc: 'An idempotent producer idle this long is forgotten.' }),
  intKey('producer.id.expiration.check.interval.ms', 600000, { min: 1 }),
  intKey('log.index.interval.bytes', 4096, { min: 0 }),
  intKey('log.index.size.max.bytes', 10485760, { min: 4 }),
  stringKey('log.message.timestamp.type', 'CreateTime', { oneOf: ['CreateTime', 'LogAppendTime'] }),
  longKey('log.message.timestamp.before.max.ms', LONG_MAX, { min: 0, doc: 'With CreateTime, how far before the broker clock a record timestamp may be (KIP-937); older is INVALID_TIMESTAMP.' }),
  longKey('log.message.timestamp.after.max.ms', LONG_MAX, { min: 0, doc: 'With CreateTime, how far after the broker clock a record timestamp may be (KIP-937); later is INVALID_TIMESTAMP.' }),
  listKey('log.cleanup.policy', ['delete'], { item: cleanupPolicyItem, describe: '[delete, compact]' }),
  boolKey('log.cleaner.enable', true),
  longKey('log.cleaner.delete.retention.ms', 86400000, { min: 0 }),
  longKey('log.cleaner.min.compaction.lag.ms', 0, { min: 0 }),
  doubleKey('log.cleaner.min.cleanable.ratio', 0.5, { min: 0, max: 1 }),
  longKey('log.cleaner.backoff.ms', 15000, { min: 0 }),
  longKey('log.cleaner.dedupe.buffer.size', 134217728, { min: 1024 * 1024, doc: "Memory of the cleaner's key -> offset map (Kafka's default, 128 MiB); a pass cleans as many dirty segments as fit." }),
  boolKey('log.preallocate', false),
  intKey('message.max.bytes', 1048588, { min: 0, doc: 'Largest record batch size allowed.' }),
  stringKey('compression.type', 'producer', { oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] }),
  intKey('socket.request.max.bytes', 104857600, { min: 1, doc: 'Largest request the broker accepts.' }),
  // Kafka's default for both is 102400; Tidelog's is -1, the OS's autotuned buffer (same-run
  // A/Bs, medians, in BENCHMARKS.md). Send: a fetch is sent on the event loop only as far as
  // the socket takes it and the rest hops to the thread pool, which a 200 KiB buffer made the
  // common case (ConsumerPerformance: 4.26 M records/s and 0.53 s CPU/GiB with 102400 against
  // 5.06 M and 0.38 with -1). Receive: a 1 MB produce request then arrives in a few large
  // reads instead of many small ones (kcat's producer: 0.99 s CPU/GiB with 102400 against
  // 0.75 with -1; Kafka's ProducerPerformance as fast or faster with -1).
  socketBufferKey('socket.send.buffer.bytes', -1, { doc: 'SO_SNDBUF of each client connection; -1 (the default here) leaves it to the OS.' }),
  socketBufferKey('socket.receive.buffer.bytes', -1, { doc: 'SO_RCVBUF of each client connection; -1 (the default here) leaves it to the OS.' }),
  longKey('connections.max.idle.ms', 600000, { doc: 'Idle connections are closed after this long.' }),
  intKey('queued.max.requests', 500, { min: 1, doc: 'Requests in flight per connection before it stops reading (Kafka: the broker-wide request queue). 1 reads the next request only once the previous one is answered, as Kafka mutes a channel.' }),
  longKey('queued.max.request.bytes', QUEUED_MAX_REQUEST_BYTES_DEFAULT, {
    min: -1,
    doc: 'Bytes of requests read and not yet answered, over all connections, before the broker stops reading more; -1 (Kafka\'s default) for no bound. Tidelog defaults to 512 MiB.',
  }),
  intKey('produce.purgatory.max.appends', 100000, {
    min: 1,
    doc: 'Tidelog\'s own key (Kafka has no such bound): partition appends in flight (queued for the log, being written, or waiting for acks=-1) over the whole broker; one more is answered REQUEST_TIMED_OUT, which clients retry.',
  }),
  intKey('fetch.purgatory.max.requests', 100000, {
    min: 0,
    doc: 'Tidelog\'s own key (Kafka has no such bound): consumers\' long-poll fetches parked waiting for data over the whole broker; one more is answered at once with what there is. Followers\' fetches are not counted.',
  }),
  intKey('max.connections', INT_MAX, { min: 0, doc: 'Client connections the broker holds at once; one more is closed as soon as it is accepted.' }),
  intKey('max.connections.per.ip', INT_MAX, { min: 0, doc: 'Connections from one address; one more is closed as soon as it is accepted.' }),
  listKey('max.connections.per.ip.overrides', [], {
    item: perIpOverrideItem,
    describe: 'Value must be a comma-separated list of address:count, like 127.0.0.1:200,10.0.0.7:5',
    doc: 'Per-address exceptions to max.connections.per.ip, as address:count (literal addresses, not host names).',
  }),
  intKey('num.network.threads', 3, { min: 1, doc: 'Accepted for compatibility; Node.js does network I/O on one event loop.' }),
  intKey('num.io.threads', 8, { min: 1, doc: 'Accepted for compatibility; disk work runs on the libuv thread pool.' }),
  intKey('num.recovery.threads.per.data.dir', 1, { min: 1 }),
  intKey('fetch.max.bytes', 57671680, { min: 1024 }),
  intKey('max.incremental.fetch.session.cache.slots', 1000, { min: 0, doc: 'Fetch sessions (KIP-227) kept at most; 0 turns incremental fetches off.' }),
  intKey('min.insync.replicas', 1, { min: 1 }),
  boolKey('unclean.leader.election.enable', false),
  intKey('offsets.topic.num.partitions', 50, { min: 1 }),
  intKey('offsets.topic.replication.factor', 3, { min: 1 }),
  intKey('offsets.topic.segment.bytes', 104857600, { min: 1 }),
  intKey('offsets.retention.minutes', 10080, { min: 1 }),
  longKey('offsets.retention.check.interval.ms', 600000, { min: 1 }),
  intKey('offsets.commit.timeout.ms', 5000, { min: 1 }),
  intKey('group.initial.rebalance.delay.ms', 3000, { min: 0 }),
  intKey('group.min.session.timeout.ms', 6000),
  intKey('group.max.session.timeout.ms', 1800000),
  intKey('group.max.size', 2147483647, { min: 1 }),
  // KIP-848, the consumer group protocol (src/groups/consumer-*.ts): Kafka 4.4's keys and defaults.
  listKey('group.coordinator.rebalance.protocols', ['classic', 'consumer'], { item: z.enum(['classic', 'consumer', 'share', 'streams']), doc: 'The group protocols served; without consumer, ConsumerGroupHeartbeat is not advertised.' }),
  intKey('group.consumer.session.timeout.ms', 45000, { min: 1 }),
  intKey('group.consumer.min.session.timeout.ms', 45000, { min: 1 }),
  intKey('group.consumer.max.session.timeout.ms', 60000, { min: 1 }),
  intKey('group.consumer.heartbeat.interval.ms', 5000, { min: 1 }),
  intKey('group.consumer.min.heartbeat.interval.ms', 5000, { min: 1 }),
  intKey('group.consumer.max.heartbeat.interval.ms', 15000, { min: 1 }),
  intKey('group.consumer.max.size', 2147483647, { min: 1 }),
  listKey('group.consumer.assignors', ['uniform', 'range'], { nonEmpty: true, doc: 'Server-side assignors (uniform, range, or Kafka class names); the first is the default.' }),
  stringKey('group.consumer.migration.policy', 'bidirectional', { oneOf: ['disabled', 'upgrade', 'downgrade', 'bidirectional'], doc: 'Online conversions of a group with members between the classic and consumer protocols (KIP-848): upgrade, downgrade, both (bidirectional) or none (disabled).' }),
  intKey('transaction.state.log.replication.factor', 3, { min: 1 }),
  intKey('transaction.state.log.min.isr', 2, { min: 1 }),
  intKey('transaction.state.log.num.partitions', 50, { min: 1 }),
  intKey('transaction.state.log.segment.bytes', 104857600, { min: 1 }),
  intKey('transaction.state.log.load.buffer.size', 5242880, { min: 1 }),
  intKey('transaction.max.timeout.ms', 900000, { min: 1, doc: 'The longest transaction.timeout.ms a producer may ask for; InitProducerId with a longer one answers INVALID_TRANSACTION_TIMEOUT.' }),
  intKey('transaction.abort.timed.out.transaction.cleanup.interval.ms', 10000, { min: 1, doc: 'How often the transaction coordinator aborts transactions that outlived their timeout.' }),
  intKey('transactional.id.expiration.ms', 604800000, { min: 1, doc: 'A transactional id with no transaction for this long is removed from __transaction_state.' }),
  intKey('transaction.remove.expired.transaction.cleanup.interval.ms', 3600000, { min: 1, doc: 'How often the transaction coordinator removes expired transactional ids.' }),
  intKey('transaction.version', 2, {
    min: 1,
    max: 2,
    doc: "The finalized level of the transaction.version feature this broker advertises in ApiVersions (Kafka sets it with kafka-storage.sh format --feature transaction.version=N or kafka-features.sh): 2 (Kafka 4.x's default for new clusters) lets clients use transaction version 2 (KIP-890 part 2: the epoch bumped at every commit and abort, partitions added by the broker); 1 keeps them on version 1 (AddPartitionsToTxn and AddOffsetsToTxn from the client). Give every broker of a cluster the same value.",
  }),
  boolKey('transaction.partition.verification.enable', true, {
    doc: 'KIP-890 part 1: before the first transactional batch of a producer lands on a partition (and before a TxnOffsetCommit), the leader checks with the transaction coordinator that the partition is in the ongoing transaction (INVALID_TXN_STATE otherwise). Kafka 4.x key and default.',
  }),
  intKey('request.timeout.ms', 30000, { min: 0, doc: 'How long the transaction coordinator waits for an append to __transaction_state (acks=all) before it answers COORDINATOR_NOT_AVAILABLE.' }),
  stringKey('zookeeper.connect', null, { doc: 'ZooKeeper connection string (host:port[,host:port][/chroot]); unset for a single node with embedded metadata.' }),
  intKey('zookeeper.session.timeout.ms', 18000, { min: 1 }),
  intKey('zookeeper.connection.timeout.ms', 18000, { min: 1 }),
  boolKey('controlled.shutdown.enable', true),
  // Tidelog's own (src/cluster/broker-fencing.ts): Kafka's ZooKeeper mode waited for the session timeout.
  boolKey('broker.fencing.enable', true, {
    doc: "Each broker keeps an idle connection to every other registered broker's inter-broker listener; when it closes and connecting is refused twice in a row (no process listens there any more), the broker removes that broker's /brokers/ids registration (and its /controller) so that new leaders are elected at once instead of after zookeeper.session.timeout.ms. A broker that is frozen or unreachable is not refused and still waits for the session timeout.",
  }),
  intKey('controlled.shutdown.max.retries', 3, { min: 0, doc: 'With controlled.shutdown.retry.backoff.ms, bounds how long a stopping broker waits for its leadership to move.' }),
  longKey('controlled.shutdown.retry.backoff.ms', 5000, { min: 0 }),
  // Tidelog's own (Kafka has no bound): the process ends this long after the first SIGTERM or
  // SIGINT even if shutdown has not finished (a hung disk, a log sink that blocks).
  intKey('shutdown.timeout.ms', 120000, { min: 1, doc: 'After a stop signal, the broker process ends within this long even if a clean shutdown has not finished; a second signal ends it at once.' }),
  boolKey('auto.leader.rebalance.enable', true),
  longKey('leader.imbalance.check.interval.seconds', 300, { min: 1 }),
  intKey('leader.imbalance.per.broker.percentage', 10, { min: 0, doc: 'Share of a broker\'s preferred partitions led elsewhere above which the controller moves leadership back.' }),
  longKey('replica.lag.time.max.ms', 30000),
  intKey('replica.fetch.max.bytes', 1048576, { min: 0 }),
  intKey('replica.fetch.wait.max.ms', 500),
  intKey('replica.fetch.min.bytes', 1),
  intKey('num.replica.fetchers', 1, { min: 1 }),
  intKey('replica.fetch.backoff.ms', 1000, { min: 0 }),
  intKey('replica.fetch.response.max.bytes', 10485760, { min: 0 }),
  intKey('replica.socket.timeout.ms', 30000),
  longKey('replica.high.watermark.checkpoint.interval.ms', 5000, { min: 1 }),
  // KIP-73's replication throttles: dynamic broker configs (Kafka's DynamicConfig.Broker, default
  // Long.MAX_VALUE: no limit); set with kafka-configs.sh / kafka-reassign-partitions.sh --throttle.
  longKey('leader.replication.throttled.rate', LONG_MAX, { min: 0, doc: "Bytes per second a leader sends to the replicas named in its topics' leader.replication.throttled.replicas while they are out of the ISR." }),
  longKey('follower.replication.throttled.rate', LONG_MAX, { min: 0, doc: "Bytes per second a follower fetches for the replicas named in its topics' follower.replication.throttled.replicas while they are out of the ISR." }),
  longKey('replica.alter.log.dirs.io.max.bytes.per.second', LONG_MAX, { min: 0, doc: 'Accepted as Kafka does; Tidelog does not move replicas between log dirs.' }),
  stringKey('broker.rack', null),
  stringKey('admin.listener', 'http://127.0.0.1:9644', { pattern: /^(https?:\/\/[^:/]+:\d+|)$/, describe: 'Value must be a URL like http://127.0.0.1:9644, or empty to disable the admin API' }),
  listKey('admin.authentication', [], {
    item: z.enum(['basic', 'mtls']),
    describe: 'Value must be a comma-separated list of basic (HTTP Basic against the SCRAM users) and mtls (a trusted client certificate, https only), or empty for none',
    doc: 'How admin API requests authenticate; empty: no authentication (every request is User:ANONYMOUS).',
  }),
  listKey('admin.allowed.hosts', [], {
    item: z.string().regex(/^(\*|\.?[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*|\[?[0-9a-fA-F:.]+\]?)$/),
    describe: 'Value must be a comma-separated list of host names or addresses, .domain for a domain and its subdomains, or *',
    doc: "Host header names the admin API answers besides its listener's own (DNS rebinding defence); * turns the check off.",
  }),
  stringKey('cluster.id', null, { doc: 'Cluster id; generated and stored in meta.properties when unset.' }),
  ...sslConfigKeys,
  ...saslConfigKeys,
  ...shareConfigKeys,
  ...authorizerConfigKeys,
] as const satisfies readonly ConfigKey[];


type BrokerKey = (typeof brokerConfigKeys)[number];

/** The validated broker configuration: Kafka key names to typed values. */
export type BrokerConfigValues = { readonly [K in BrokerKey as K['name']]: K extends ConfigKey<infer T, string> ? T : never };

export interface BrokerConfig {
  readonly values: BrokerConfigValues;
  /** Keys set explicitly (file or override), for DescribeConfigs sources. */
  readonly explicit: ReadonlySet<string>;
  readonly brokerId: number;
  readonly listeners: Listener[];
  readonly advertisedListeners: Listener[];
  readonly logDirs: string[];
  readonly logRollMs: number;
  readonly logRetentionMs: number;
  readonly logFlushIntervalMs: number;
  /** max.connections.per.ip.overrides as address -> limit. */
  readonly perIpOverrides: ReadonlyMap<string, number>;
  /**
   * Per-listener keys (Kafka's `listener.name.<listener>.<key>`), by upper-case listener name,
   * raw as written: `ssl.keystore.location`, or mechanism-scoped SASL keys such as
   * `scram-sha-256.sasl.jaas.config`. Read them with listenerConfigValue / listenerRawValue.
   */
  readonly listenerOverrides: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly unknownKeys: string[];
}

const LISTENER_PREFIX_RE = /^listener\.name\.([A-Za-z0-9_]+)\.(.+)$/;

/** A per-listener key as written, or undefined (no fallback to the broker-wide key). */
export function listenerRawValue(config: BrokerConfig, listenerName: string, key: string): string | undefined {
  return config.listenerOverrides.get(listenerName.toUpperCase())?.get(key);
}

/**
 * The value of a known broker key for one listener: `listener.name.<listener>.<key>` parsed as
 * the key's type when set, the broker-wide value otherwise (Kafka's per-listener override rule).
 */
export function listenerConfigValue<K extends keyof BrokerConfigValues>(config: BrokerConfig, listenerName: string, key: K): BrokerConfigValues[K] {
  const raw = listenerRawValue(config, listenerName, key);
  if (raw === undefined) return config.values[key];
  const def = keysByName.get(key);
  if (!def) return config.values[key];
  try {
    return parseConfigValue(def, raw) as BrokerConfigValues[K];
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`listener.name.${listenerName.toLowerCase()}.${key}`, raw, err.reason);
    throw err;
  }
}

const keysByName = new Map<string, ConfigKey>(brokerConfigKeys.map((k) => [k.name, k as ConfigKey]));

export function brokerConfigKey(name: string): ConfigKey | undefined {
  return keysByName.get(name);
}

/** The known broker key an unknown one is probably a typo of ("did you mean ...?"). */
export function suggestBrokerConfigKey(unknown: string): string | undefined {
  return nearestKey(unknown, keysByName.keys());
}

/** The raw key/value strings each configuration was built from (its static configs, for dynamic-broker-config.ts). */
const rawOf = new WeakMap<BrokerConfig, ReadonlyMap<string, string>>();

/** The key/value strings `config` was built from (server.properties and --override), as written. */
export function staticBrokerProps(config: BrokerConfig): ReadonlyMap<string, string> {
  return rawOf.get(config) ?? new Map();
}

/** Builds the configuration from raw key/value strings; throws ConfigError on a bad value. */
export function buildBrokerConfig(raw: ReadonlyMap<string, string>): BrokerConfig {
  const config = buildBrokerConfigOnce(raw);
  rawOf.set(config, new Map(raw));
  return config;
}

function buildBrokerConfigOnce(raw: ReadonlyMap<string, string>): BrokerConfig {
  const values: Record<string, ConfigValue> = {};
  const explicit = new Set<string>();
  const unknownKeys: string[] = [];
  for (const key of brokerConfigKeys) values[key.name] = key.defaultValue;
  const listenerOverrides = new Map<string, Map<string, string>>();
  for (const [name, value] of raw) {
    const perListener = LISTENER_PREFIX_RE.exec(name);
    if (perListener) {
      const listenerName = perListener[1]!.toUpperCase();
      const inner = perListener[2]!;
      const known = keysByName.get(inner);
      if (known) {
        // A bad value stops start-up here, naming the whole per-listener key.
        try {
          parseConfigValue(known, value);
        } catch (err) {
          if (err instanceof ConfigError) throw new ConfigError(name, value, err.reason);
          throw err;
        }
      }
      const forListener = listenerOverrides.get(listenerName) ?? new Map<string, string>();
      forListener.set(inner, value);
      listenerOverrides.set(listenerName, forListener);
      explicit.add(name);
      continue;
    }
    const key = keysByName.get(name);
    if (!key) {
      unknownKeys.push(name);
      continue;
    }
    values[name] = parseConfigValue(key, value);
    explicit.add(name);
  }
  const v = values as unknown as BrokerConfigValues;
  const brokerId = explicit.has('broker.id') || v['node.id'] === -1 ? v['broker.id'] : v['node.id'];
  const securityMap = v['listener.security.protocol.map'];
  const listeners = parseListeners('listeners', v['listeners'], securityMap);
  const advertisedListeners = v['advertised.listeners'].length > 0 ? parseListeners('advertised.listeners', v['advertised.listeners'], securityMap) : listeners;
  const logDirs = v['log.dirs'].length > 0 ? v['log.dirs'] : [v['log.dir'] as string];
  const logRollMs = v['log.roll.ms'] ?? v['log.roll.hours'] * HOUR_MS;
  const logRetentionMs = v['log.retention.ms'] ?? (v['log.retention.minutes'] !== null ? v['log.retention.minutes'] * 60_000 : v['log.retention.hours'] * HOUR_MS);
  // Kafka's KafkaConfig checks: a bounded request memory must hold the largest request, and
  // a per-address limit of 0 makes sense only with exceptions.
  const queuedMaxRequestBytes = v['queued.max.request.bytes'];
  if (explicit.has('queued.max.request.bytes') && queuedMaxRequestBytes > 0 && queuedMaxRequestBytes < v['socket.request.max.bytes']) {
    throw new ConfigError('queued.max.request.bytes', String(queuedMaxRequestBytes), `must be -1 or at least socket.request.max.bytes (${v['socket.request.max.bytes']})`);
  }
  const perIpOverrides = new Map<string, number>();
  for (const item of v['max.connections.per.ip.overrides']) {
    const colon = item.lastIndexOf(':');
    const count = Number(item.slice(colon + 1));
    if (count > INT_MAX) throw new ConfigError('max.connections.per.ip.overrides', item, `${count} is not a number of type INT`);
    perIpOverrides.set(item.slice(0, colon).trim(), count);
  }
  if (v['max.connections.per.ip'] === 0 && perIpOverrides.size === 0) {
    throw new ConfigError('max.connections.per.ip', '0', 'max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides property is set');
  }
  if (v['group.min.session.timeout.ms'] > v['group.max.session.timeout.ms']) {
    throw new ConfigError('group.min.session.timeout.ms', String(v['group.min.session.timeout.ms']), 'must not exceed group.max.session.timeout.ms');
  }
  for (const [key, min, max] of [
    ['group.consumer.session.timeout.ms', 'group.consumer.min.session.timeout.ms', 'group.consumer.max.session.timeout.ms'],
    ['group.consumer.heartbeat.interval.ms', 'group.consumer.min.heartbeat.interval.ms', 'group.consumer.max.heartbeat.interval.ms'],
  ] as const) {
    if (v[key] < v[min]) throw new ConfigError(key, String(v[key]), `must be greater than or equal to ${min}`);
    if (v[key] > v[max]) throw new ConfigError(key, String(v[key]), `must be less than or equal to ${max}`);
  }
  if (v['group.consumer.heartbeat.interval.ms'] >= v['group.consumer.session.timeout.ms']) {
    throw new ConfigError('group.consumer.heartbeat.interval.ms', String(v['group.consumer.heartbeat.interval.ms']), 'must be less than group.consumer.session.timeout.ms');
  }
  return {
    values: v,
    explicit,
    brokerId,
    listeners,
    advertisedListeners,
    logDirs,
    logRollMs,
    logRetentionMs: logRetentionMs < 0 ? -1 : logRetentionMs,
    logFlushIntervalMs: v['log.flush.interval.ms'] ?? v['log.flush.scheduler.interval.ms'],
    perIpOverrides,
    listenerOverrides,
    unknownKeys,
  };
}

/** Parses `--override key=value` arguments. */
export function parseOverrides(overrides: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of overrides) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(item, item, 'an override must look like key=value');
    out.set(item.slice(0, eq).trim(), item.slice(eq + 1).trim());
  }
  return out;
}

/** Loads a properties file (if given) and applies overrides on top. */
export function loadBrokerConfig(file: string | undefined, overrides: readonly string[] = []): BrokerConfig {
  const raw = file ? parseProperties(readFileSync(file, 'utf8')) : new Map<string, string>();
  for (const [k, v] of parseOverrides(overrides)) raw.set(k, v);
  return buildBrokerConfig(raw);
}

export interface BrokerConfigEntry {
  readonly name: string;
  readonly value: string | null;
  /** ConfigSource: STATIC_BROKER_CONFIG (4) when set in the file or an override, DEFAULT_CONFIG (5) otherwise. */
  readonly source: number;
  readonly type: string;
  readonly doc: string;
}

/** Every broker key with its current value and source, for DescribeConfigs on a broker resource. */
export function describeBrokerConfig(config: BrokerConfig): BrokerConfigEntry[] {
  return brokerConfigKeys.map((k) => {
    const raw = (config.values as unknown as Record<string, ConfigValue>)[k.name];
    // Kafka never shows a PASSWORD key's value (DescribeConfigs answers null, isSensitive).
    const value = k.type === 'password' ? null : configValueText(raw as ConfigValue);
    return { name: k.name, value, source: config.explicit.has(k.name) ? 4 : 5, type: k.type, doc: k.doc };
  });
}
