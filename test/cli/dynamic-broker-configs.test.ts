// Dynamic broker configs on one broker process (the local metadata store), through
// `tidelog configs --entity-type brokers` and Kafka 4.4's own ConfigCommand against the same
// broker: the same lines for --describe (per broker, --entity-default, every entity, --all) and
// --alter; Kafka's refusals (a key that is not dynamic, a bad value naming its key, deleting a
// key that is not set); and each change acting at once, without a restart:
// - log.retention.ms set at the cluster default deletes old segments of a topic without its own
//   retention.ms, and leaves a topic with an override alone;
// - message.max.bytes for this broker refuses a larger batch (MESSAGE_TOO_LARGE);
// - max.connections refuses a connection over the limit, and deleting it lets it in again;
// then a restart: the dynamic configs are still there and still act.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { isOneLineError, tidelog } from './run.js';

const CONFIG_COMMAND = 'org.apache.kafka.tools.ConfigCommand';
/** Static configs of the broker: a synonym (log.retention.hours) and a fast retention check. */
const OVERRIDES = { 'log.retention.hours': 100, 'log.retention.check.interval.ms': 200, 'auto.create.topics.enable': false };

/**
 * ApiVersions v0 over a new connection: true when answered, false when the broker closes the
 * connection without a byte (a connection over max.connections is closed at accept).
 */
function apiVersionsAnswered(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answered = false;
    socket.once('connect', () => {
      const clientId = Buffer.from('dyn-test');
      const frame = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
      frame.writeInt32BE(frame.length - 4, 0);
      frame.writeInt16BE(18, 4); // ApiVersions
      frame.writeInt16BE(0, 6);
      frame.writeInt32BE(1, 8);
      frame.writeInt16BE(clientId.length, 12);
      clientId.copy(frame, 14);
      socket.write(frame);
    });
    socket.on('data', () => {
      answered = true;
      socket.destroy();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.once('close', () => resolve(answered));
  });
}

/** A new connection that the broker answered an ApiVersions v0 on, left open; null when refused. */
function answeredConnection(port: number): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      const frame = Buffer.alloc(14);
      frame.writeInt32BE(10, 0);
      frame.writeInt16BE(18, 4); // ApiVersions v0, correlation id 1, null client id
      frame.writeInt16BE(0, 6);
      frame.writeInt32BE(1, 8);
      frame.writeInt16BE(-1, 12);
      socket.write(frame);
    });
    socket.once('data', () => resolve(socket));
    socket.once('error', () => undefined);
    socket.once('close', () => resolve(null));
  });
}

describe('dynamic broker configs on a single node', { timeout: 300_000 }, () => {
  let broker: BrokerProcess;
  let libs: KafkaLibs;
  let dataDir: string;
  let B: string[];

  const kafkaConfigs = (args: readonly string[]) => runKafkaClass(libs, CONFIG_COMMAND, ['--bootstrap-server', broker.bootstrap, ...args], { heap: '256M', timeoutMs: 120_000 });
  const configs = (args: readonly string[]) => tidelog(['configs', ...B, ...args]);
  const withClient = async <T>(fn: (c: KafkaClient) => Promise<T>): Promise<T> => {
    const c = await KafkaClient.connect({ bootstrap: [broker.bootstrap] });
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };
  const produce = (topic: string, valueBytes: number) => withClient(async (c) => c.produce(topic, 0, recordBatch([{ value: Buffer.alloc(valueBytes, 120) }])));
  const logStartOffset = (topic: string) => withClient(async (c) => (await c.listOffsets(topic, [0], -2)).get(0)!.offset);

  async function start(): Promise<void> {
    broker = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
    B = ['--bootstrap-server', broker.bootstrap];
  }

  before(async () => {
    libs = await ensureKafkaLibs();
    dataDir = tempDir('tidelog-dynconf-');
    await start();
  });

  after(async () => {
    await broker?.stop();
    if (dataDir) removeDir(dataDir);
  });

  it('--alter sets per-broker and cluster-default configs; --describe prints what Kafka\'s ConfigCommand prints', async () => {
    let r = await configs(['--alter', '--entity-type', 'brokers', '--entity-name', '0', '--add-config', 'log.cleaner.min.cleanable.ratio=0.3,max.connections.per.ip=500']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Completed updating config for broker 0.\n');
    // Kafka's tool alters through the same API, and prints the same line for the default entity.
    const k = await kafkaConfigs(['--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'log.cleaner.min.cleanable.ratio=0.4,compression.type=lz4']);
    assert.equal(k.code, 0, k.stderr);
    r = await configs(['--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'min.insync.replicas=1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(k.stdout, 'Completed updating default config for brokers in the cluster.\n');
    assert.equal(r.stdout, k.stdout);

    r = await configs(['--describe', '--entity-type', 'brokers', '--entity-name', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'Dynamic configs for broker 0 are:\n' +
        '  log.cleaner.min.cleanable.ratio=0.3 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.min.cleanable.ratio=0.3, DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.min.cleanable.ratio=0.4, DEFAULT_CONFIG:log.cleaner.min.cleanable.ratio=0.5}\n' +
        '  max.connections.per.ip=500 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:max.connections.per.ip=500, DEFAULT_CONFIG:max.connections.per.ip=2147483647}\n',
    );
    for (const args of [['--entity-name', '0'], ['--entity-default'], [], ['--all', '--entity-name', '0']]) {
      const [ours, theirs] = await Promise.all([configs(['--describe', '--entity-type', 'brokers', ...args]), kafkaConfigs(['--describe', '--entity-type', 'brokers', ...args])]);
      assert.equal(theirs.code, 0, theirs.stderr);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(ours.stdout, theirs.stdout, `--describe ${args.join(' ')}`);
    }
    const all = await configs(['--describe', '--entity-type', 'brokers', '--all', '--entity-name', '0']);
    // Synonyms in Kafka's order: by source, then the synonym's precedence (log.retention.ms over hours).
    assert.match(all.stdout, /\n {2}log\.retention\.hours=100 sensitive=false synonyms=\{STATIC_BROKER_CONFIG:log\.retention\.hours=100, DEFAULT_CONFIG:log\.retention\.hours=168\}\n/);
    assert.match(all.stdout, /\n {2}compression\.type=lz4 sensitive=false synonyms=\{DYNAMIC_DEFAULT_BROKER_CONFIG:compression\.type=lz4, DEFAULT_CONFIG:compression\.type=producer\}\n/);
    // Back: --delete-config, as Kafka's tool (deleting a key that is not set is refused, below).
    r = await configs(['--alter', '--entity-type', 'brokers', '--entity-default', '--delete-config', 'compression.type,min.insync.replicas']);
    assert.equal(r.code, 0, r.stderr);
    r = await configs(['--describe', '--entity-type', 'brokers', '--entity-default']);
    assert.equal(r.stdout, 'Default configs for brokers in the cluster are:\n  log.cleaner.min.cleanable.ratio=0.4 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.min.cleanable.ratio=0.4, DEFAULT_CONFIG:log.cleaner.min.cleanable.ratio=0.5}\n');
  });

  it('refuses what Kafka refuses, naming the key: not dynamic, a bad value, another broker, a delete of what is not set', async () => {
    const cases: { args: string[]; message: RegExp }[] = [
      { args: ['--entity-name', '0', '--add-config', 'log.dirs=/tmp/x'], message: /Invalid config value for resource ConfigResource\(type=BROKER, name='0'\): Cannot update these configs dynamically: Set\(log\.dirs\)/ },
      // Not dynamic in Kafka either: only the primary synonym log.retention.ms is.
      { args: ['--entity-default', '--add-config', 'log.retention.hours=1'], message: /Cannot update these configs dynamically: Set\(log\.retention\.hours\)/ },
      { args: ['--entity-name', '0', '--add-config', 'message.max.bytes=big'], message: /Invalid value big for configuration message\.max\.bytes: Not a number of type INT/ },
      { args: ['--entity-name', '0', '--add-config', 'log.retention.ms=-5'], message: /Invalid value -5 for configuration log\.retention\.ms: Value must be a number of type LONG at least -1/ },
      { args: ['--entity-name', '0', '--add-config', 'max.connections.per.ip=0'], message: /max\.connections\.per\.ip can be set to zero only if max\.connections\.per\.ip\.overrides property is set/ },
      { args: ['--entity-name', '0', '--delete-config', 'message.max.bytes'], message: /Invalid config\(s\): message\.max\.bytes/ },
    ];
    for (const c of cases) {
      const r = await configs(['--alter', '--entity-type', 'brokers', ...c.args]);
      assert.equal(r.code, 1, `${c.args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, c.message);
    }
    // Kafka's tool gets the same answer from the broker.
    const k = await kafkaConfigs(['--alter', '--entity-type', 'brokers', '--entity-name', '0', '--add-config', 'log.dirs=/tmp/x']);
    assert.notEqual(k.code, 0);
    assert.match(k.stdout + k.stderr, /InvalidRequestException: Invalid config value for resource ConfigResource\(type=BROKER, name='0'\): Cannot update these configs dynamically: Set\(log\.dirs\)/);
    // Another broker's configs are that broker's to change (Kafka's ZkAdminManager.getBrokerId).
    const [described, altered] = await withClient(async (c) => {
      const conn = await c.controller();
      return Promise.all([
        conn.send(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: '7', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }),
        conn.send(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 4, resourceName: '7', configs: [{ name: 'message.max.bytes', configOperation: 0, value: '1' }] }], validateOnly: false }),
      ]);
    });
    assert.equal(described.results[0]!.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(described.results[0]!.errorMessage, 'Unexpected broker id, expected 0, but received 7');
    assert.equal(altered.responses[0]!.errorCode, ErrorCode.INVALID_REQUEST);
  });

  it('log.retention.ms at the cluster default deletes old segments at once; a topic\'s own retention.ms still wins', async () => {
    for (const [topic, extra] of [['aged', []], ['kept', ['--config', 'retention.ms=-1']]] as const) {
      const r = await tidelog(['topics', ...B, '--create', '--topic', topic, '--partitions', '1', '--config', 'segment.bytes=1024', ...extra]);
      assert.equal(r.code, 0, r.stderr);
      for (let i = 0; i < 8; i++) assert.equal((await produce(topic, 600)).errorCode, ErrorCode.NONE);
    }
    // The static log.retention.hours=100 keeps everything.
    assert.equal(await logStartOffset('aged'), 0);
    const r = await configs(['--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'log.retention.ms=1']);
    assert.equal(r.code, 0, r.stderr);
    await waitFor('old segments of aged deleted', async () => (await logStartOffset('aged')) > 0, { timeoutMs: 30_000, intervalMs: 100 });
    assert.equal(await logStartOffset('kept'), 0, 'a topic with its own retention.ms keeps its segments');
    // The topics' descriptions name the dynamic default among their synonyms.
    const aged = await configs(['--describe', '--all', '--entity-type', 'topics', '--entity-name', 'aged']);
    assert.match(aged.stdout, /\n {2}retention\.ms=1 sensitive=false synonyms=\{DYNAMIC_DEFAULT_BROKER_CONFIG:log\.retention\.ms=1, DEFAULT_CONFIG:log\.retention\.ms=360000000\}\n/);
    const kept = await configs(['--describe', '--all', '--entity-type', 'topics', '--entity-name', 'kept']);
    assert.match(kept.stdout, /\n {2}retention\.ms=-1 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=-1, DYNAMIC_DEFAULT_BROKER_CONFIG:log\.retention\.ms=1, DEFAULT_CONFIG:log\.retention\.ms=360000000\}\n/);
    const back = await configs(['--alter', '--entity-type', 'brokers', '--entity-default', '--delete-config', 'log.retention.ms']);
    assert.equal(back.code, 0, back.stderr);
  });

  it('message.max.bytes for this broker refuses a larger batch at once; deleting it accepts it again', async () => {
    assert.equal((await produce('aged', 5_000)).errorCode, ErrorCode.NONE);
    let r = await configs(['--alter', '--entity-type', 'brokers', '--entity-name', '0', '--add-config', 'message.max.bytes=2000']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await produce('aged', 5_000)).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal((await produce('aged', 500)).errorCode, ErrorCode.NONE);
    r = await configs(['--alter', '--entity-type', 'brokers', '--entity-name', '0', '--delete-config', 'message.max.bytes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await produce('aged', 5_000)).errorCode, ErrorCode.NONE);
  });

  it('max.connections refuses a connection over the limit at once; deleting it lets connections in again', async () => {
    const r = await configs(['--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'max.connections=1']);
    assert.equal(r.code, 0, r.stderr);
    // The tool's own connection goes away when it exits; then one connection fits, a second does
    // not. `held` is a connection the broker answered and keeps open (a probe's slot is freed only
    // once the broker saw it close, so a first try may be refused: then it tries again).
    let held: net.Socket | null = null;
    await waitFor('a single connection admitted and held', async () => {
      held = await answeredConnection(broker.port);
      return held !== null;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    try {
      // `held` is open and admitted: the next one is refused.
      await waitFor('the connection over max.connections refused', async () => !(await apiVersionsAnswered(broker.port)), { timeoutMs: 20_000 });
    } finally {
      held!.destroy();
    }
    // Lift it (the CLI needs a connection of its own: wait for `held` to be released first).
    await waitFor('max.connections deleted', async () => (await configs(['--alter', '--entity-type', 'brokers', '--entity-default', '--delete-config', 'max.connections'])).code === 0, { timeoutMs: 20_000, intervalMs: 200 });
    const sockets = await Promise.all([apiVersionsAnswered(broker.port), apiVersionsAnswered(broker.port), apiVersionsAnswered(broker.port)]);
    assert.deepEqual(sockets, [true, true, true]);
  });

  it('survives a restart: the same dynamic configs, still acting', async () => {
    await configs(['--alter', '--entity-type', 'brokers', '--entity-name', '0', '--add-config', 'message.max.bytes=2000']);
    const before = await configs(['--describe', '--entity-type', 'brokers']);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /message\.max\.bytes=2000/);
    assert.equal(await broker.stop(), 0);
    await start();
    const afterRestart = await configs(['--describe', '--entity-type', 'brokers']);
    assert.equal(afterRestart.stdout, before.stdout);
    assert.equal((await produce('aged', 5_000)).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  });
});
