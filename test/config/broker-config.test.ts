// Tests for src/config: .properties parsing, Kafka names and defaults, and the messages a
// bad value produces (they must name the key, the value and what is expected).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBrokerConfig, listenerConfigValue, listenerRawValue, parseOverrides } from '../../src/config/broker-config.js';
import { ConfigError } from '../../src/config/config-def.js';
import { parseProperties } from '../../src/config/properties.js';
import { describeTopicConfig, effectiveTopicConfig, validateTopicConfig, ConfigSource } from '../../src/config/topic-config.js';

const build = (entries: Record<string, string>) => buildBrokerConfig(new Map(Object.entries(entries)));

describe('parseProperties', () => {
  it('reads comments, separators, continuations and escapes as java.util.Properties does', () => {
    const props = parseProperties(['# comment', '! also a comment', '  a=1', 'b : two words ', 'c value\\', '   continued', 'd=x\\=y\\u0041', 'e='].join('\n'));
    assert.deepEqual([...props], [
      ['a', '1'],
      ['b', 'two words'],
      ['c', 'valuecontinued'],
      ['d', 'x=yA'],
      ['e', ''],
    ]);
  });
});

describe('buildBrokerConfig', () => {
  it("applies Kafka's defaults", () => {
    const c = build({});
    assert.equal(c.values['log.segment.bytes'], 1073741824);
    assert.equal(c.values['num.partitions'], 1);
    assert.equal(c.values['message.max.bytes'], 1048588);
    assert.equal(c.values['auto.create.topics.enable'], true);
    assert.equal(c.logRetentionMs, 168 * 3_600_000);
    assert.deepEqual(c.logDirs, ['/tmp/kafka-logs']);
    assert.deepEqual(c.listeners, [{ name: 'PLAINTEXT', host: '', port: 9092, securityProtocol: 'PLAINTEXT' }]);
    // The two deliberate departures (Kafka: 102400 each): the OS sizes both socket buffers.
    assert.equal(c.values['socket.send.buffer.bytes'], -1);
    assert.equal(c.values['socket.receive.buffer.bytes'], -1);
  });

  it('gives retention.ms precedence over minutes and hours, as Kafka does', () => {
    assert.equal(build({ 'log.retention.hours': '1' }).logRetentionMs, 3_600_000);
    assert.equal(build({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).logRetentionMs, 120_000);
    assert.equal(build({ 'log.retention.minutes': '2', 'log.retention.ms': '5' }).logRetentionMs, 5);
    assert.equal(build({ 'log.retention.ms': '-1' }).logRetentionMs, -1);
  });

  it('rejects a bad value with a message naming the key, the value and what is expected', () => {
    assert.throws(() => build({ 'log.segment.bytes': 'lots' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.key, 'log.segment.bytes');
      assert.match(err.message, /Invalid value lots for configuration log\.segment\.bytes: Not a number of type INT/);
      return true;
    });
    assert.throws(() => build({ 'log.segment.bytes': '10' }), /log\.segment\.bytes.*at least 14/);
    assert.throws(() => build({ 'socket.send.buffer.bytes': '-2' }), /socket\.send\.buffer\.bytes.*-1 \(the OS sizes the buffer\) or a size in bytes of at least 1/);
    assert.throws(() => build({ 'socket.receive.buffer.bytes': '0' }), /socket\.receive\.buffer\.bytes.*-1 \(the OS sizes the buffer\)/);
    assert.equal(build({ 'socket.receive.buffer.bytes': '-1' }).values['socket.receive.buffer.bytes'], -1);
    assert.throws(() => build({ 'auto.create.topics.enable': 'yes' }), /auto\.create\.topics\.enable.*true or false/);
    assert.throws(() => build({ 'log.message.timestamp.type': 'Now' }), /log\.message\.timestamp\.type.*CreateTime, LogAppendTime/);
    assert.throws(() => build({ listeners: 'localhost:9092' }), /listeners.*NAME:\/\/host:port/);
    assert.throws(() => build({ listeners: 'PLAINTEXT://:99999' }), /port 99999/);
  });

  it("reads the network limits with Kafka's checks, naming the key of a bad value", () => {
    const d = build({});
    assert.equal(d.values['max.connections'], 2147483647);
    assert.equal(d.values['max.connections.per.ip'], 2147483647);
    assert.deepEqual([...d.perIpOverrides], []);
    // Tidelog's deliberate departure: Kafka's default is -1 (unbounded).
    assert.equal(d.values['queued.max.request.bytes'], 512 * 1024 * 1024);
    const c = build({ 'max.connections.per.ip': '0', 'max.connections.per.ip.overrides': '127.0.0.1:200, ::1:3', 'queued.max.request.bytes': '-1' });
    assert.deepEqual([...c.perIpOverrides], [
      ['127.0.0.1', 200],
      ['::1', 3],
    ]);
    assert.equal(c.values['queued.max.request.bytes'], -1);
    const fails = (entries: Record<string, string>, key: string) =>
      assert.throws(() => build(entries), (err: unknown) => err instanceof ConfigError && err.key === key && err.message.includes(key));
    fails({ 'max.connections.per.ip': '0' }, 'max.connections.per.ip');
    fails({ 'max.connections.per.ip.overrides': '127.0.0.1' }, 'max.connections.per.ip.overrides');
    fails({ 'max.connections.per.ip.overrides': '127.0.0.1:x' }, 'max.connections.per.ip.overrides');
    fails({ 'max.connections.per.ip.overrides': '127.0.0.1:99999999999' }, 'max.connections.per.ip.overrides');
    fails({ 'max.connections': '-1' }, 'max.connections');
    fails({ 'queued.max.request.bytes': '-2' }, 'queued.max.request.bytes');
    fails({ 'queued.max.request.bytes': '1000', 'socket.request.max.bytes': '1001' }, 'queued.max.request.bytes');
  });

  it('collects unknown keys instead of failing', () => {
    assert.deepEqual(build({ 'no.such.key': '1', 'num.partitions': '3' }).unknownKeys, ['no.such.key']);
  });

  it('parses listeners with their security protocol and advertised listeners default to them', () => {
    const c = build({ listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:9093', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT' });
    assert.deepEqual(
      c.listeners.map((l) => [l.name, l.host, l.port, l.securityProtocol]),
      [
        ['PLAINTEXT', '127.0.0.1', 0, 'PLAINTEXT'],
        ['INTERNAL', '127.0.0.1', 9093, 'PLAINTEXT'],
      ],
    );
    assert.deepEqual(c.advertisedListeners, c.listeners);
  });

  it('reads log.cleaner.dedupe.buffer.size with Kafka\'s default and refuses less than 1 MiB', () => {
    assert.equal(buildBrokerConfig(new Map()).values['log.cleaner.dedupe.buffer.size'], 128 * 1024 * 1024);
    assert.throws(() => buildBrokerConfig(new Map([['log.cleaner.dedupe.buffer.size', '1000']])), (e: unknown) => e instanceof ConfigError && e.key === 'log.cleaner.dedupe.buffer.size');
  });

  it('reads per-listener keys (listener.name.<listener>.<key>) over the broker-wide ones, naming the whole key of a bad value', () => {
    const config = buildBrokerConfig(
      new Map([
        ['listeners', 'PLAINTEXT://:9092,INTERNAL://:9093'],
        ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT'],
        ['listener.name.internal.socket.request.max.bytes', '2048'],
        ['listener.name.internal.scram-sha-256.sasl.jaas.config', 'x required;'],
      ]),
    );
    assert.deepEqual(config.unknownKeys, []);
    assert.equal(listenerConfigValue(config, 'INTERNAL', 'socket.request.max.bytes'), 2048);
    assert.equal(listenerConfigValue(config, 'PLAINTEXT', 'socket.request.max.bytes'), config.values['socket.request.max.bytes']);
    assert.equal(listenerRawValue(config, 'internal', 'scram-sha-256.sasl.jaas.config'), 'x required;');
    assert.throws(
      () => buildBrokerConfig(new Map([['listener.name.internal.socket.request.max.bytes', 'lots']])),
      (e: unknown) => e instanceof ConfigError && e.key === 'listener.name.internal.socket.request.max.bytes',
    );
  });

  it('reads --override key=value and rejects a malformed override', () => {
    assert.deepEqual([...parseOverrides(['a=b=c', 'x= 1'])], [['a', 'b=c'], ['x', '1']]);
    assert.throws(() => parseOverrides(['novalue']), /key=value/);
  });
});

describe('topic configs', () => {
  it('inherit broker values and report where each value comes from', () => {
    const broker = build({ 'log.segment.bytes': '4096' });
    const described = describeTopicConfig(broker, { 'retention.ms': '1000' });
    const segment = described.find((e) => e.name === 'segment.bytes')!;
    assert.equal(segment.value, '4096');
    assert.equal(segment.source, ConfigSource.STATIC_BROKER_CONFIG);
    const retention = described.find((e) => e.name === 'retention.ms')!;
    assert.equal(retention.value, '1000');
    assert.equal(retention.source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
    assert.deepEqual(retention.synonyms.map((s) => s.name), ['retention.ms', 'log.retention.ms']);
    const policy = described.find((e) => e.name === 'cleanup.policy')!;
    assert.equal(policy.source, ConfigSource.DEFAULT_CONFIG);
    assert.equal(effectiveTopicConfig(broker, { 'segment.bytes': '8192' }).segmentBytes, 8192);
  });

  it("show Kafka's Long.MAX_VALUE for the no-limit defaults, as Kafka's tools print them", () => {
    const described = describeTopicConfig(build({}), {});
    assert.equal(described.find((e) => e.name === 'flush.messages')!.value, '9223372036854775807');
    assert.equal(described.find((e) => e.name === 'flush.ms')!.value, '9223372036854775807');
    const overridden = describeTopicConfig(build({ 'log.flush.interval.messages': '9223372036854775807' }), { 'flush.ms': '1000' });
    assert.equal(overridden.find((e) => e.name === 'flush.messages')!.value, '9223372036854775807');
    assert.equal(overridden.find((e) => e.name === 'flush.ms')!.value, '1000');
  });

  it('validate with precise messages', () => {
    assert.throws(() => validateTopicConfig('cleanup.policy', 'sometimes'), /cleanup\.policy/);
    assert.throws(() => validateTopicConfig('segment.bytes', '1'), /segment\.bytes.*at least 14/);
    assert.throws(() => validateTopicConfig('no.such', '1'), /Unknown topic config name: no\.such/);
    assert.deepEqual(validateTopicConfig('cleanup.policy', 'compact,delete'), ['compact', 'delete']);
  });
});
