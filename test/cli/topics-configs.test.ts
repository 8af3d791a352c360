// `tidelog topics` and `tidelog configs` as subprocesses against a broker process: Kafka's
// flags and output shapes, and user mistakes as one line on stderr with a non-zero status.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { isOneLineError, tidelog } from './run.js';

describe('tidelog topics and configs', { timeout: 180_000 }, () => {
  let broker: BrokerProcess;
  let B: string[];

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false } });
    B = ['--bootstrap-server', broker.bootstrap];
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('creates, lists, describes, grows and deletes a topic', async () => {
    const created = await tidelog(['topics', ...B, '--create', '--topic', 'orders', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=86400000', '--config', 'cleanup.policy=delete']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created topic orders.\n');

    const listed = await tidelog(['topics', ...B, '--list']);
    assert.equal(listed.stdout, 'orders\n');

    const described = await tidelog(['topics', ...B, '--describe', '--topic', 'orders']);
    assert.equal(described.code, 0, described.stderr);
    const lines = described.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^Topic: orders\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: (cleanup\.policy=delete,retention\.ms=86400000|retention\.ms=86400000,cleanup\.policy=delete)$/);
    assert.deepEqual(lines.slice(1), [0, 1, 2].map((p) => `\tTopic: orders\tPartition: ${p}\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: N/A\tLastKnownElr: N/A`));

    // The older --broker-list flag works too.
    const altered = await tidelog(['topics', '--broker-list', broker.bootstrap, '--alter', '--topic', 'orders', '--partitions', '5']);
    assert.equal(altered.code, 0, altered.stderr);
    assert.match((await tidelog(['topics', ...B, '--describe', '--topic', 'orders'])).stdout, /PartitionCount: 5/);

    const again = await tidelog(['topics', ...B, '--create', '--topic', 'orders', '--partitions', '1']);
    assert.equal(again.code, 1);
    assert.ok(isOneLineError(again), again.stderr);
    assert.match(again.stderr, /already exists/);
    assert.equal((await tidelog(['topics', ...B, '--create', '--topic', 'orders', '--partitions', '1', '--if-not-exists'])).code, 0);

    const deleted = await tidelog(['topics', ...B, '--delete', '--topic', 'orders']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await tidelog(['topics', ...B, '--list', '--exclude-internal'])).stdout, '');
  });

  it('filters --list and --describe as kafka-topics.sh does', async () => {
    assert.equal((await tidelog(['topics', ...B, '--create', '--topic', 'flags.a', '--partitions', '2', '--config', 'retention.ms=1000000'])).code, 0);
    assert.equal((await tidelog(['topics', ...B, '--create', '--topic', 'flags.b', '--partitions', '1'])).code, 0);
    assert.equal((await tidelog(['topics', ...B, '--list', '--topic', 'flags\\..*'])).stdout, 'flags.a\nflags.b\n');
    assert.equal((await tidelog(['topics', ...B, '--list', '--topic', 'flags.b'])).stdout, 'flags.b\n');
    const overrides = await tidelog(['topics', ...B, '--describe', '--topic', 'flags\\..*', '--topics-with-overrides']);
    assert.equal(overrides.code, 0, overrides.stderr);
    assert.match(overrides.stdout, /^Topic: flags\.a\tTopicId: \S+\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: retention\.ms=1000000\n$/);
    const regex = await tidelog(['topics', ...B, '--describe', '--topic', 'flags\\..*']);
    assert.equal(regex.stdout.split('\n').filter((l) => l.startsWith('Topic: ')).length, 2);
    // Kafka 4.4's TopicCommand on the same broker prints the same lines (its topic order is the metadata's).
    const theirs = await runKafkaClass(await ensureKafkaLibs(), 'org.apache.kafka.tools.TopicCommand', [...B, '--describe', '--topic', 'flags\\..*'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.deepEqual(regex.stdout.split('\n').sort(), theirs.stdout.split('\n').sort());
    // One healthy broker: no partition is under-replicated or without a leader.
    for (const flag of ['--under-replicated-partitions', '--unavailable-partitions']) {
      const r = await tidelog(['topics', ...B, '--describe', flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '', flag);
    }
    const misplaced = await tidelog(['topics', ...B, '--list', '--unavailable-partitions']);
    assert.equal(misplaced.code, 2);
    assert.equal(misplaced.stderr, 'tidelog: --unavailable-partitions goes with --describe\n');
    for (const t of ['flags.a', 'flags.b']) assert.equal((await tidelog(['topics', ...B, '--delete', '--topic', t])).code, 0);
  });

  it('creates nothing when a config is invalid', async () => {
    const bad = await tidelog(['topics', ...B, '--create', '--topic', 'badconf', '--partitions', '1', '--config', 'retention.ms=soon']);
    assert.equal(bad.code, 1);
    assert.ok(isOneLineError(bad), bad.stderr);
    assert.match(bad.stderr, /retention\.ms/);
    assert.equal((await tidelog(['topics', ...B, '--list'])).stdout.includes('badconf'), false);
  });

  it('describes and alters topic configs', async () => {
    assert.equal((await tidelog(['topics', ...B, '--create', '--topic', 'configured', '--partitions', '1'])).code, 0);
    const altered = await tidelog(['configs', ...B, '--alter', '--entity-type', 'topics', '--entity-name', 'configured', '--add-config', 'retention.ms=3600000,cleanup.policy=[compact,delete]']);
    assert.equal(altered.code, 0, altered.stderr);
    assert.equal(altered.stdout, 'Completed updating config for topic configured.\n');
    let described = await tidelog(['configs', ...B, '--describe', '--entity-type', 'topics', '--entity-name', 'configured']);
    assert.equal(described.code, 0, described.stderr);
    const lines = described.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'Dynamic configs for topic configured are:');
    assert.ok(lines.includes('  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000, DEFAULT_CONFIG:log.retention.ms=604800000}'), described.stdout);
    assert.ok(lines.some((l) => l.startsWith('  cleanup.policy=compact,delete sensitive=false')), described.stdout);

    assert.equal((await tidelog(['configs', ...B, '--alter', '--topic', 'configured', '--delete-config', 'retention.ms'])).code, 0);
    const unknownKey = await tidelog(['configs', ...B, '--alter', '--topic', 'configured', '--delete-config', 'no.such.key']);
    assert.equal(unknownKey.code, 1);
    assert.equal(unknownKey.stderr, 'tidelog: cannot alter topic configured: Unknown topic config name: no.such.key\n');
    described = await tidelog(['configs', ...B, '--describe', '--entity-type', 'topics', '--entity-name', 'configured']);
    assert.doesNotMatch(described.stdout, /retention\.ms/);
    const all = await tidelog(['configs', ...B, '--describe', '--entity-type', 'topics', '--entity-name', 'configured', '--all']);
    assert.match(all.stdout, /^All configs for topic configured are:\n/);
    assert.match(all.stdout, /\n {2}segment\.bytes=1073741824 /);

    const invalid = await tidelog(['configs', ...B, '--alter', '--entity-type', 'topics', '--entity-name', 'configured', '--add-config', 'segment.bytes=tiny']);
    assert.equal(invalid.code, 1);
    assert.ok(isOneLineError(invalid), invalid.stderr);
    const unknown = await tidelog(['configs', ...B, '--describe', '--entity-type', 'topics', '--entity-name', 'no-such-topic']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "tidelog: topic 'no-such-topic' does not exist\n");
    const alterUnknown = await tidelog(['configs', ...B, '--alter', '--entity-type', 'topics', '--entity-name', 'no-such-topic', '--add-config', 'retention.ms=1']);
    assert.equal(alterUnknown.stderr, "tidelog: topic 'no-such-topic' does not exist\n");
  });

  it('answers user mistakes with one line and a non-zero status, never a stack trace', async () => {
    const cases: { args: string[]; code: number; message: RegExp }[] = [
      { args: ['topics', ...B, '--describe', '--topic', 'nope'], code: 1, message: /topic 'nope' does not exist/ },
      { args: ['topics', ...B, '--delete', '--topic', 'nope'], code: 1, message: /topic 'nope' does not exist/ },
      { args: ['topics', ...B, '--alter', '--topic', 'nope', '--partitions', '4'], code: 1, message: /nope/ },
      { args: ['topics', '--bootstrap-server', '127.0.0.1:1', '--list'], code: 1, message: /cannot connect to any bootstrap server \(127\.0\.0\.1:1\): ECONNREFUSED/ },
      { args: ['topics', '--zookeeper', '127.0.0.1:1', '--list'], code: 2, message: /Could not connect to ZooKeeper at zookeeper.connect=127.0.0.1:1/ },
      { args: ['topics', ...B, '--lisst'], code: 2, message: /Unknown option '--lisst'/ },
      { args: ['topics', '--list'], code: 2, message: /--bootstrap-server HOST:PORT is required/ },
      { args: ['topics', ...B], code: 2, message: /exactly one of --create/ },
      { args: ['topics', ...B, '--create', '--topic', 'x', '--partitions', 'many'], code: 2, message: /--partitions expects an integer/ },
      { args: ['topics', ...B, '--create', '--topic', 'x', '--replication-factor', '3'], code: 1, message: /Replication factor: 3 larger than available brokers: 1/ },
      { args: ['configs', ...B, '--describe', '--entity-type', 'clients', '--entity-name', 'x'], code: 2, message: /--entity-type clients is not supported: use topics, users or brokers/ },
      { args: ['console-consumer', ...B, '--topic', 'nope', '--max-messages', '1'], code: 1, message: /topic 'nope' does not exist/ },
      { args: ['console-producer', ...B, '--topic', 'nope'], code: 1, message: /topic 'nope' does not exist/ },
      { args: ['consumer-groups', ...B, '--describe', '--group', 'nope'], code: 1, message: /consumer group 'nope' does not exist/ },
      { args: ['producer-perf', ...B, '--topic', 't', '--num-records', '10', '--record-size', '10'], code: 2, message: /--throughput is required/ },
      { args: ['no-such-command'], code: 2, message: /unknown command 'no-such-command'/ },
    ];
    for (const c of cases) {
      const r = await tidelog(c.args);
      assert.equal(r.code, c.code, `tidelog ${c.args.join(' ')}: ${r.stderr}`);
      assert.ok(isOneLineError(r), `one line for tidelog ${c.args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, c.message);
    }
  });

  it('prints --help for every command', async () => {
    for (const command of ['broker', 'topics', 'console-producer', 'console-consumer', 'consumer-groups', 'configs', 'producer-perf', 'consumer-perf']) {
      const r = await tidelog([command, '--help']);
      assert.equal(r.code, 0, `${command} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: tidelog ${command} `), command);
    }
    const top = await tidelog(['--help']);
    assert.equal(top.code, 0);
    for (const command of ['topics', 'console-producer', 'console-consumer', 'consumer-groups', 'configs', 'producer-perf', 'consumer-perf', 'get-offsets', 'delete-records', 'leader-election', 'log-dirs', 'broker-api-versions', 'cluster', 'dump-log']) {
      assert.match(top.stdout, new RegExp(`\\n  ${command} `));
    }
  });
});
