// The admin tools that mirror Kafka's scripts (get-offsets, delete-records, leader-election,
// log-dirs, broker-api-versions) and `cluster info`, as subprocesses against one broker process
// after real traffic; each compared with Kafka 4.4's own tool (runKafkaClass) against the same
// broker where Kafka has one. One broker and one JVM per tool keep the run short.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { isOneLineError, tidelog } from './run.js';

/** Kafka 4.4's tool classes (checked with unzip -l kafka-tools-4.4.0.jar). */
const KAFKA_TOOL = {
  getOffsets: 'org.apache.kafka.tools.GetOffsetShell',
  deleteRecords: 'org.apache.kafka.tools.DeleteRecordsCommand',
  leaderElection: 'org.apache.kafka.tools.LeaderElectionCommand',
  logDirs: 'org.apache.kafka.tools.LogDirsCommand',
  brokerApiVersions: 'org.apache.kafka.tools.BrokerApiVersionsCommand',
} as const;

/** Sorts the "t-0, t-1" list that ends each line of LeaderElectionCommand's output. */
function sortPartitionLists(stdout: string): string {
  return stdout.replace(/(for partitions )(.*)/g, (_, lead: string, list: string) => lead + list.split(', ').sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).join(', '));
}

describe('tidelog get-offsets, delete-records, leader-election, log-dirs, broker-api-versions, cluster info', { timeout: 300_000 }, () => {
  let broker: BrokerProcess;
  let libs: KafkaLibs;
  let B: string[];
  let files: string;

  async function kafkaTool(mainClass: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return runKafkaClass(libs, mainClass, ['--bootstrap-server', broker.bootstrap, ...args], { heap: '256M', timeoutMs: 120_000 });
  }

  before(async () => {
    libs = await ensureKafkaLibs();
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false } });
    B = ['--bootstrap-server', broker.bootstrap];
    files = tempDir('tidelog-tools-');
    // Real traffic: keyed records spread over three partitions of 'orders', none in 'empty'.
    assert.equal((await tidelog(['topics', ...B, '--create', '--topic', 'orders', '--partitions', '3'])).code, 0);
    assert.equal((await tidelog(['topics', ...B, '--create', '--topic', 'empty', '--partitions', '2'])).code, 0);
    const input = Array.from({ length: 60 }, (_, i) => `key-${i}\tvalue-${i}`).join('\n');
    const sent = await tidelog(['console-producer', ...B, '--topic', 'orders', '--property', 'parse.key=true'], { input });
    assert.equal(sent.code, 0, sent.stderr);
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    if (files) removeDir(files);
  });

  it('get-offsets prints what Kafka GetOffsetShell prints, for each --time and filter', async () => {
    const cases: string[][] = [
      [],
      ['--topic', 'ord.*', '--partitions', '0,2', '--time', 'earliest'],
      ['--topic-partitions', 'orders:1-,empty:-1'],
      ['--time', 'max-timestamp', '--exclude-internal-topics'],
      ['--time', String(Date.now() + 3_600_000)],
    ];
    for (const args of cases) {
      const [ours, theirs] = await Promise.all([tidelog(['get-offsets', ...B, ...args]), kafkaTool(KAFKA_TOOL.getOffsets, args)]);
      assert.equal(ours.code, 0, `get-offsets ${args.join(' ')}: ${ours.stderr}`);
      assert.equal(theirs.code, 0, `GetOffsetShell ${args.join(' ')}: ${theirs.stderr}`);
      assert.equal(ours.stdout, theirs.stdout, `get-offsets ${args.join(' ')}`);
    }
    // The latest offsets add up to what was produced.
    const latest = (await tidelog(['get-offsets', ...B, '--topic', 'orders'])).stdout.trim().split('\n');
    assert.equal(latest.reduce((sum, l) => sum + Number(l.split(':')[2]), 0), 60);
  });

  it('delete-records moves log start offsets as Kafka DeleteRecordsCommand does, with its output', async () => {
    const latest = new Map((await tidelog(['get-offsets', ...B, '--topic', 'orders'])).stdout.trim().split('\n').map((l) => [Number(l.split(':')[1]), Number(l.split(':')[2])] as const));
    const ours = path.join(files, 'ours.json');
    writeFileSync(ours, JSON.stringify({ partitions: [{ topic: 'orders', partition: 0, offset: 2 }, { topic: 'orders', partition: 1, offset: 999 }], version: 1 }));
    const r = await tidelog(['delete-records', ...B, '--offset-json-file', ours]);
    assert.equal(r.code, 1, 'a partition failed');
    assert.equal(
      r.stdout,
      'Executing records delete operation\nRecords delete operation completed:\n' +
        'partition: orders-0\tlow_watermark: 2\n' +
        'partition: orders-1\terror: OFFSET_OUT_OF_RANGE: The requested offset is not within the range of offsets maintained by the server.\n',
    );
    // Kafka's tool on the next offsets: same lines for successes (its order is a hash map's).
    const theirs = path.join(files, 'theirs.json');
    writeFileSync(theirs, JSON.stringify({ partitions: [{ topic: 'orders', partition: 0, offset: 3 }, { topic: 'orders', partition: 2, offset: -1 }], version: 1 }));
    const k = await kafkaTool(KAFKA_TOOL.deleteRecords, ['--offset-json-file', theirs]);
    assert.equal(k.code, 0, k.stderr);
    const again = path.join(files, 'again.json');
    writeFileSync(again, JSON.stringify({ partitions: [{ topic: 'orders', partition: 0, offset: 3 }, { topic: 'orders', partition: 2, offset: -1 }], version: 1 }));
    const o = await tidelog(['delete-records', ...B, '--offset-json-file', again]);
    assert.equal(o.code, 0, o.stderr);
    assert.deepEqual(o.stdout.split('\n').sort(), k.stdout.split('\n').sort());
    assert.match(o.stdout, new RegExp(`partition: orders-2\\tlow_watermark: ${latest.get(2)}\\n`));
    // Earliest offsets now show the deletions.
    assert.equal((await tidelog(['get-offsets', ...B, '--topic', 'orders', '--time', 'earliest'])).stdout, `orders:0:3\norders:1:0\norders:2:${latest.get(2)}\n`);

    const dup = path.join(files, 'dup.json');
    writeFileSync(dup, JSON.stringify({ partitions: [{ topic: 'orders', partition: 0, offset: 1 }, { topic: 'orders', partition: 0, offset: 2 }], version: 1 }));
    const dupResult = await tidelog(['delete-records', ...B, '--offset-json-file', dup]);
    assert.equal(dupResult.code, 2);
    assert.equal(dupResult.stderr, 'tidelog: Offset json file contains duplicate topic partitions: orders-0\n');
  });

  it('leader-election answers as Kafka LeaderElectionCommand does', async () => {
    const json = path.join(files, 'elect.json');
    writeFileSync(json, JSON.stringify({ partitions: [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }] }));
    const cases: { args: string[]; code: number }[] = [
      { args: ['--election-type', 'PREFERRED', '--topic', 'orders', '--partition', '1'], code: 0 },
      { args: ['--election-type', 'unclean', '--path-to-json-file', json], code: 0 },
      { args: ['--election-type', 'preferred', '--all-topic-partitions'], code: 0 },
      { args: ['--election-type', 'PREFERRED', '--topic', 'nope', '--partition', '0'], code: 1 },
    ];
    for (const c of cases) {
      const [ours, theirs] = await Promise.all([tidelog(['leader-election', ...B, ...c.args]), kafkaTool(KAFKA_TOOL.leaderElection, c.args)]);
      assert.equal(ours.code, c.code, `leader-election ${c.args.join(' ')}: ${ours.stderr}`);
      assert.equal(theirs.code, c.code, `LeaderElectionCommand ${c.args.join(' ')}: ${theirs.stderr}`);
      if (c.code === 0) {
        // Kafka lists the partitions of a line in a hash set's order; ours are sorted.
        assert.equal(ours.stdout, sortPartitionLists(theirs.stdout), c.args.join(' '));
      } else {
        // Kafka names the exception class; the partition and the message are the same.
        assert.equal(ours.stdout, 'Error completing leader election (PREFERRED) for partition: nope-0: UNKNOWN_TOPIC_OR_PARTITION: This server does not host this topic-partition.\n');
        assert.match(theirs.stdout, /^Error completing leader election \(PREFERRED\) for partition: nope-0: org\.apache\.kafka\.common\.errors\.UnknownTopicOrPartitionException: This server does not host this topic-partition\.\n/);
        assert.equal(ours.stderr, 'tidelog: 1 replica(s) could not be elected\n');
      }
    }
  });

  it('log-dirs prints what Kafka LogDirsCommand prints', async () => {
    for (const args of [['--describe'], ['--describe', '--broker-list', '0', '--topic-list', 'empty,orders']]) {
      const [ours, theirs] = await Promise.all([tidelog(['log-dirs', ...B, ...args]), kafkaTool(KAFKA_TOOL.logDirs, args)]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(theirs.code, 0, theirs.stderr);
      const [q, r, json] = ours.stdout.trimEnd().split('\n');
      assert.equal(q, 'Querying brokers for log directories information');
      assert.equal(r, 'Received log directory information from brokers 0');
      const theirLines = theirs.stdout.trimEnd().split('\n');
      assert.deepEqual([q, r], theirLines.slice(0, 2));
      // Kafka builds its JSON from Map.of, whose key order varies from run to run: compare parsed.
      const sortParts = (doc: { brokers: { logDirs: { partitions: { partition: string }[] }[] }[] }) => {
        for (const b of doc.brokers) for (const d of b.logDirs) d.partitions.sort((x, y) => x.partition.localeCompare(y.partition));
        return doc;
      };
      assert.deepEqual(sortParts(JSON.parse(json!)), sortParts(JSON.parse(theirLines[2]!)), args.join(' '));
    }
    const ours = await tidelog(['log-dirs', ...B, '--describe', '--topic-list', 'orders']);
    const doc = JSON.parse(ours.stdout.trimEnd().split('\n')[2]!) as { brokers: { broker: number; logDirs: { logDir: string; partitions: { partition: string; size: number }[] }[] }[] };
    assert.equal(doc.brokers[0]!.logDirs[0]!.logDir, broker.dataDir);
    assert.deepEqual(doc.brokers[0]!.logDirs[0]!.partitions.map((p) => p.partition).sort(), ['orders-0', 'orders-1', 'orders-2']);
    assert.ok(doc.brokers[0]!.logDirs[0]!.partitions.every((p) => p.size > 0), 'every partition of orders holds records');

    const missing = await tidelog(['log-dirs', ...B, '--describe', '--broker-list', '0,5']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'tidelog: ERROR: The given brokers do not exist from --broker-list: 5. Current existent brokers: 0\n');
  });

  it('broker-api-versions prints the block Kafka BrokerApiVersionsCommand prints', async () => {
    const [ours, theirs] = await Promise.all([tidelog(['broker-api-versions', ...B]), kafkaTool(KAFKA_TOOL.brokerApiVersions, [])]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(theirs.code, 0, theirs.stderr);
    // Without the separating commas: Kafka knows API keys past the last one Tidelog's codecs know, so its last line differs there.
    const oursLines = ours.stdout.trimEnd().split('\n').map((l) => l.replace(/,$/, ''));
    const theirLines = theirs.stdout.trimEnd().split('\n').map((l) => l.replace(/,$/, ''));
    assert.equal(oursLines[0], `${broker.bootstrap} (id: 0 rack: null isFenced: false) -> (`);
    assert.equal(oursLines[0], theirLines[0]);
    assert.equal(oursLines.at(-1), ')');
    // Every API the broker serves: the same line, versions and usable version.
    const served = oursLines.filter((l) => !l.includes('UNSUPPORTED') && l.startsWith('\t'));
    assert.ok(served.length >= 25, `the broker serves many APIs: ${served.length}`);
    for (const line of served) assert.ok(theirLines.includes(line), `Kafka prints ${JSON.stringify(line)}`);
    assert.equal(served.length, theirLines.filter((l) => !l.includes('UNSUPPORTED') && l.startsWith('\t')).length, 'the same APIs are served');
    assert.match(ours.stdout, /\tProduce\(0\): \d+ to \d+ \[usable: \d+\],\n/);
    assert.match(ours.stdout, /\tDescribeAcls\(29\): 1 to 3 \[usable: 3\],\n/);
    assert.match(ours.stdout, /\tAlterReplicaLogDirs\(34\): UNSUPPORTED,\n/);
  });

  it('cluster info prints rpk-style CLUSTER, BROKERS and TOPICS sections', async () => {
    const r = await tidelog(['cluster', 'info', ...B]);
    assert.equal(r.code, 0, r.stderr);
    const port = broker.bootstrap.split(':')[1]!;
    assert.match(
      r.stdout,
      new RegExp(`^CLUSTER\\n=======\\n[A-Za-z0-9_-]{22}\\n\\nBROKERS\\n=======\\nID  HOST       PORT\\n0\\*  127\\.0\\.0\\.1  ${port}\\n\\nTOPICS\\n======\\nNAME    PARTITIONS  REPLICAS\\nempty   2           1\\norders  3           1\\n$`),
    );
    const brokers = await tidelog(['cluster', 'info', ...B, '-b']);
    assert.equal(brokers.stdout, `BROKERS\n=======\nID  HOST       PORT\n0*  127.0.0.1  ${port}\n`);
    const detailed = await tidelog(['cluster', 'info', ...B, '--print-detailed-topics']);
    assert.match(detailed.stdout, /\norders, 3 partitions, 1 replica\nPARTITION  LEADER  EPOCH  REPLICAS  ISR\n0          0       \d+ +\[0\]       \[0\]\n/);
  });

  it('--command-config sets the client id and request timeout; mistakes are one line', async () => {
    const props = path.join(files, 'client.properties');
    writeFileSync(props, '# a Kafka client properties file\nclient.id=ops-tool\nrequest.timeout.ms=15000\n');
    const r = await tidelog(['get-offsets', ...B, '--topic', 'orders', '--command-config', props]);
    assert.equal(r.code, 0, r.stderr);
    const bad = path.join(files, 'bad.properties');
    writeFileSync(bad, 'request.timeout.ms=soon\n');
    const cases: { args: string[]; code: number; message: RegExp }[] = [
      { args: ['get-offsets', ...B, '--command-config', bad], code: 2, message: /--command-config request\.timeout\.ms expects an integer, got 'soon'/ },
      { args: ['get-offsets', ...B, '--command-config', path.join(files, 'none')], code: 2, message: /--command-config .*none: ENOENT/ },
      { args: ['get-offsets', ...B, '--time', 'yesterday'], code: 2, message: /--time expects earliest, latest, max-timestamp or a timestamp in ms, got 'yesterday'/ },
      { args: ['get-offsets', ...B, '--topic', 'nope'], code: 1, message: /Could not match any topic-partitions with the specified filters/ },
      { args: ['get-offsets', ...B, '--topic', 'orders', '--topic-partitions', 'orders:0'], code: 2, message: /--topic-partitions cannot be used with --topic or --partitions/ },
      { args: ['get-offsets', ...B, '--offsets'], code: 2, message: /Unknown option '--offsets'/ },
      { args: ['delete-records', ...B], code: 2, message: /--offset-json-file FILE is required/ },
      { args: ['leader-election', ...B, '--all-topic-partitions'], code: 2, message: /--election-type PREFERRED\|UNCLEAN is required/ },
      { args: ['leader-election', ...B, '--election-type', 'random', '--all-topic-partitions'], code: 2, message: /--election-type expects PREFERRED or UNCLEAN, got 'random'/ },
      { args: ['leader-election', ...B, '--election-type', 'preferred', '--topic', 'orders'], code: 2, message: /--topic needs --partition/ },
      { args: ['log-dirs', ...B], code: 2, message: /--describe is required/ },
      { args: ['cluster', 'nodes', ...B], code: 2, message: /unknown cluster subcommand 'nodes'/ },
      { args: ['cluster'], code: 2, message: /tidelog cluster needs a subcommand: info/ },
      { args: ['broker-api-versions', '--bootstrap-server', '127.0.0.1:1'], code: 1, message: /cannot connect to any bootstrap server/ },
    ];
    for (const c of cases) {
      const res = await tidelog(c.args);
      assert.equal(res.code, c.code, `tidelog ${c.args.join(' ')}: ${res.stderr}`);
      assert.ok(isOneLineError(res), `one line for tidelog ${c.args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, c.message);
    }
    for (const command of ['get-offsets', 'delete-records', 'leader-election', 'log-dirs', 'broker-api-versions', 'cluster']) {
      const help = await tidelog([command, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`^Usage: tidelog ${command} `));
    }
  });
});
