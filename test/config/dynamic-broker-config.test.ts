// DynamicBrokerConfig against an in-memory store: Kafka's precedence (per broker over the
// default over server.properties, synonyms of an overridden key dropped), the synonyms of
// DescribeConfigs in Kafka's order, the live configuration updated in place with the keys that
// changed, and the refusals with Kafka's messages. The same rules over real brokers are in
// test/cli/dynamic-broker-configs.test.ts and test/cluster/dynamic-broker-configs.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { brokerConfigSynonyms, DynamicBrokerConfig, type BrokerConfigStore } from '../../src/config/dynamic-broker-config.js';
import { ConfigSource } from '../../src/config/topic-config.js';
import { brokerEntityOfNotification, decodeEntityConfig } from '../../src/cluster/broker-config-store.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { silentLogger } from '../../src/logger.js';

class MemoryStore implements BrokerConfigStore {
  readonly entities = new Map<string, Record<string, string>>();
  writes = 0;
  async read(entity: string) {
    return { ...(this.entities.get(entity) ?? {}) };
  }
  async write(entity: string, configs: Readonly<Record<string, string>>) {
    this.writes++;
    this.entities.set(entity, { ...configs });
  }
  async watch() {}
  close() {}
}

async function setup(staticProps: Record<string, string>, stored: Record<string, Record<string, string>> = {}) {
  const config = buildBrokerConfig(new Map(Object.entries({ 'broker.id': '1', ...staticProps })));
  const store = new MemoryStore();
  for (const [e, c] of Object.entries(stored)) store.entities.set(e, c);
  const dynamic = await DynamicBrokerConfig.load(config, store, silentLogger());
  return { config, store, dynamic };
}

const SET = 0;
const DELETE = 1;
const APPEND = 2;

describe('DynamicBrokerConfig', () => {
  it('applies what is stored before anything reads the configuration: per broker over default over static', async () => {
    const { config } = await setup({ 'message.max.bytes': '5000', 'log.retention.hours': '100' }, { '<default>': { 'message.max.bytes': '6000', 'log.retention.ms': '60000' }, '1': { 'message.max.bytes': '7000' } });
    assert.equal(config.values['message.max.bytes'], 7000);
    // A dynamic log.retention.ms wins over the static log.retention.hours.
    assert.equal(config.logRetentionMs, 60000);
  });

  it('ignores stored keys that are not dynamic or not valid, as Kafka\'s fromPersistentProps', async () => {
    const { config } = await setup({}, { '1': { 'log.dirs': '/elsewhere', 'message.max.bytes': 'big', 'max.connections': '9' }, '<default>': { 'listener.name.ssl.ssl.keystore.location': '/x' } });
    assert.deepEqual(config.logDirs, ['/tmp/kafka-logs']);
    assert.equal(config.values['message.max.bytes'], 1048588);
    assert.equal(config.values['max.connections'], 9);
    assert.equal(config.listenerOverrides.size, 0);
  });

  it('a dynamic synonym of lower precedence removes the static one (Kafka\'s overrideProps)', async () => {
    const { config, dynamic } = await setup({ 'log.roll.ms': '1000' });
    // log.roll.hours is not dynamic; log.roll.ms is: the dynamic default replaces the static value.
    assert.equal((await dynamic.incrementalAlter('', [{ name: 'log.roll.ms', op: SET, value: '2000' }], false)).errorCode, ErrorCode.NONE);
    assert.equal(config.logRollMs, 2000);
    assert.equal((await dynamic.incrementalAlter('', [{ name: 'log.roll.ms', op: DELETE, value: null }], false)).errorCode, ErrorCode.NONE);
    assert.equal(config.logRollMs, 1000);
  });

  it('updates the live configuration in place and tells the reconfigurables which keys changed', async () => {
    const { config, dynamic, store } = await setup({});
    const seen: string[][] = [];
    dynamic.onReconfigure((c, changed) => {
      assert.equal(c, config);
      seen.push([...changed].sort());
    });
    assert.equal((await dynamic.incrementalAlter('1', [{ name: 'max.connections', op: SET, value: '10' }, { name: 'max.connections.per.ip.overrides', op: SET, value: '10.0.0.1:3' }], false)).errorCode, ErrorCode.NONE);
    assert.deepEqual(seen, [['max.connections', 'max.connections.per.ip.overrides']]);
    assert.equal(config.values['max.connections'], 10);
    assert.equal(config.perIpOverrides.get('10.0.0.1'), 3);
    assert.deepEqual(store.entities.get('1'), { 'max.connections': '10', 'max.connections.per.ip.overrides': '10.0.0.1:3' });
    // APPEND on a list key; validateOnly stores nothing.
    assert.equal((await dynamic.incrementalAlter('1', [{ name: 'max.connections.per.ip.overrides', op: APPEND, value: '10.0.0.2:4' }], true)).errorCode, ErrorCode.NONE);
    assert.equal(config.perIpOverrides.size, 1);
    assert.equal((await dynamic.incrementalAlter('1', [{ name: 'max.connections.per.ip.overrides', op: APPEND, value: '10.0.0.2:4' }], false)).errorCode, ErrorCode.NONE);
    assert.equal(config.perIpOverrides.get('10.0.0.2'), 4);
    // AlterConfigs replaces the whole entity.
    assert.equal((await dynamic.replace('1', { 'message.max.bytes': '3000' }, false)).errorCode, ErrorCode.NONE);
    assert.deepEqual(store.entities.get('1'), { 'message.max.bytes': '3000' });
    assert.equal(config.values['max.connections'], 2147483647);
  });

  it('concurrent alters of one entity all land (each starts from what the previous one stored)', async () => {
    const { dynamic, store } = await setup({});
    const results = await Promise.all(['max.connections', 'max.connections.per.ip', 'message.max.bytes'].map((name) => dynamic.incrementalAlter('1', [{ name, op: SET, value: '1000' }], false)));
    assert.deepEqual(results.map((r) => r.errorCode), [0, 0, 0]);
    assert.deepEqual(store.entities.get('1'), { 'max.connections': '1000', 'max.connections.per.ip': '1000', 'message.max.bytes': '1000' });
  });

  it('a store that cannot keep passwords (ZooKeeper without an encoder) refuses password keys, as Kafka', async () => {
    const config = buildBrokerConfig(new Map([['broker.id', '1']]));
    const store = Object.assign(new MemoryStore(), { refusesPasswords: 'Password encoder secret not configured' });
    const dynamic = await DynamicBrokerConfig.load(config, store, silentLogger());
    const r = await dynamic.incrementalAlter('1', [{ name: 'listener.name.ssl.ssl.keystore.password', op: SET, value: 'secret' }], false);
    assert.deepEqual(r, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Invalid config value for resource ConfigResource(type=BROKER, name='1'): Password encoder secret not configured" });
    assert.equal(store.writes, 0);
  });

  it('refuses with Kafka\'s errors and messages, storing nothing', async () => {
    const { dynamic, store } = await setup({});
    const refused = async (name: string, ops: { name: string; op: number; value: string | null }[]) => dynamic.incrementalAlter(name, ops, false);
    const resource = "Invalid config value for resource ConfigResource(type=BROKER, name='1'): ";
    assert.deepEqual(await refused('1', [{ name: 'log.dirs', op: SET, value: '/x' }, { name: 'broker.id', op: SET, value: '3' }]), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `${resource}Cannot update these configs dynamically: Set(log.dirs, broker.id)` });
    assert.deepEqual(await refused('1', [{ name: 'log.retention.ms', op: SET, value: 'soon' }]), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `${resource}Invalid value soon for configuration log.retention.ms: Not a number of type LONG` });
    assert.deepEqual(await refused('1', [{ name: 'message.max.bytes', op: APPEND, value: '1' }]), { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Config value append is not allowed for config key: message.max.bytes' });
    assert.deepEqual(await refused('2', [{ name: 'message.max.bytes', op: SET, value: '1' }]), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 1, but received 2' });
    assert.deepEqual(await refused('one', [{ name: 'message.max.bytes', op: SET, value: '1' }]), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Broker id must be an integer, but it is: one' });
    assert.deepEqual(await refused('', [{ name: 'listener.name.ssl.ssl.keystore.location', op: SET, value: '/k' }]), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Invalid config value for resource ConfigResource(type=BROKER, name=''): Cannot update these configs at default cluster level, broker id must be specified: Set(listener.name.ssl.ssl.keystore.location)" });
    assert.deepEqual(await refused('1', [{ name: 'ssl.truststore.location', op: SET, value: '/k' }]), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `${resource}These security configs can be dynamically updated only per-listener using the listener prefix: Set(ssl.truststore.location)` });
    assert.equal(store.writes, 0);
  });

  it('describes a broker as Kafka: every key, sources and synonyms by precedence; the default entity lists what is set', async () => {
    const { dynamic } = await setup({ 'log.retention.hours': '100', 'message.max.bytes': '5000' }, { '<default>': { 'message.max.bytes': '6000', 'log.retention.ms': '60000' }, '1': { 'message.max.bytes': '7000' } });
    const own = dynamic.describe('1');
    const entry = (name: string) => own.entries.find((e) => e.name === name)!;
    assert.deepEqual(entry('message.max.bytes').synonyms, [
      { name: 'message.max.bytes', value: '7000', source: ConfigSource.DYNAMIC_BROKER_CONFIG },
      { name: 'message.max.bytes', value: '6000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
      { name: 'message.max.bytes', value: '5000', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'message.max.bytes', value: '1048588', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    assert.equal(entry('message.max.bytes').value, '7000');
    assert.equal(entry('message.max.bytes').readOnly, false);
    // log.retention.ms: the dynamic default, then the hours synonym (static, then Kafka's default).
    assert.deepEqual(entry('log.retention.ms').synonyms.map((s) => `${s.source}:${s.name}=${s.value}`), ['3:log.retention.ms=60000', '4:log.retention.hours=100', '5:log.retention.hours=168']);
    // log.retention.hours: synonyms of higher precedence dropped (Kafka's dropWhile).
    assert.deepEqual(entry('log.retention.hours').synonyms.map((s) => `${s.source}:${s.name}=${s.value}`), ['4:log.retention.hours=100', '5:log.retention.hours=168']);
    assert.equal(entry('log.retention.hours').readOnly, false, 'a synonym of a dynamic key');
    assert.equal(entry('log.dirs').readOnly, true);
    assert.equal(entry('log.dirs').source, ConfigSource.DEFAULT_CONFIG);
    assert.equal(entry('ssl.keystore.password').sensitive, true);
    const defaults = dynamic.describe('');
    assert.deepEqual(defaults.entries.map((e) => [e.name, e.value, e.source]), [['message.max.bytes', '6000', 3], ['log.retention.ms', '60000', 3]]);
    // The default entity never shows a per-broker value.
    assert.ok(defaults.entries.every((e) => e.synonyms.every((s) => s.source !== ConfigSource.DYNAMIC_BROKER_CONFIG)));
  });

  it('Kafka\'s synonyms, and the ZooKeeper formats (entity config, change notification v1 and v2)', () => {
    assert.deepEqual(brokerConfigSynonyms('log.retention.hours'), ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']);
    assert.deepEqual(brokerConfigSynonyms('listener.name.ssl.ssl.keystore.location'), ['listener.name.ssl.ssl.keystore.location', 'ssl.keystore.location']);
    assert.deepEqual(decodeEntityConfig(Buffer.from('{"version":1,"config":{"a":"1","b":2}}')), { a: '1', b: '2' });
    assert.equal(brokerEntityOfNotification(Buffer.from('{"version":2,"entity_path":"brokers/<default>"}')), '<default>');
    assert.equal(brokerEntityOfNotification(Buffer.from('{"version":2,"entity_path":"topics/orders"}')), null);
    assert.equal(brokerEntityOfNotification(Buffer.from('{"version":1,"entity_type":"brokers","entity_name":"3"}')), '3');
    assert.equal(brokerEntityOfNotification(Buffer.from('garbage')), null);
  });
});
