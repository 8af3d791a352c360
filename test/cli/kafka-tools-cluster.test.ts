// The admin tools on three brokers (ZooKeeper mode), where they have more to say than on one:
// a stopped broker leaves partitions under-replicated (topics --under-replicated-partitions);
// once it is back in the ISR its partitions are led by other replicas until a preferred
// election, which `tidelog leader-election` and Kafka 4.4's LeaderElectionCommand each run on
// their own topic with the same output; log-dirs, broker-api-versions and cluster info list
// all three brokers.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { ThreeBrokerCluster } from '../cluster/three-brokers.js';
import { waitFor } from '../helpers/wait.js';
import { tidelog } from './run.js';

const OVERRIDES = {
  'zookeeper.session.timeout.ms': 4_000,
  'replica.lag.time.max.ms': 5_000,
  // Leadership must stay where the stop moved it until the tools elect the preferred replicas.
  'auto.leader.rebalance.enable': false,
};
const PARTITIONS = 3;

describe('the admin tools on three brokers', { timeout: 300_000 }, () => {
  let cluster: ThreeBrokerCluster;
  let libs: KafkaLibs;
  let files: string;
  const B = () => ['--bootstrap-server', cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(',')];

  before(async () => {
    libs = await ensureKafkaLibs();
    files = tempDir('tidelog-tools-cluster-');
    cluster = await ThreeBrokerCluster.start({ chroot: '/tidelog-cli-tools', overrides: OVERRIDES });
    for (const t of ['ours', 'theirs']) {
      await cluster.createTopic(t, PARTITIONS, 3, {});
      const input = Array.from({ length: 30 }, (_, i) => `k${i}\tv${i}`).join('\n');
      const r = await tidelog(['console-producer', ...B(), '--topic', t, '--property', 'parse.key=true'], { input });
      assert.equal(r.code, 0, r.stderr);
    }
  });

  after(async () => {
    await cluster?.close();
    if (files) removeDir(files);
  });

  it('lists three brokers: cluster info, broker-api-versions, log-dirs', async () => {
    const info = await tidelog(['cluster', 'info', ...B(), '--print-brokers']);
    assert.equal(info.code, 0, info.stderr);
    const rows = info.stdout.trimEnd().split('\n').slice(3);
    assert.deepEqual(rows.map((r) => r.split(/\s+/)[0]!.replace('*', '')), ['1', '2', '3']);
    assert.equal(rows.filter((r) => r.includes('*')).length, 1, 'one controller');

    const versions = await tidelog(['broker-api-versions', ...B()]);
    assert.equal(versions.code, 0, versions.stderr);
    assert.deepEqual([...versions.stdout.matchAll(/\(id: (\d) rack: null isFenced: false\) -> \(/g)].map((m) => m[1]), ['1', '2', '3']);

    const dirs = await tidelog(['log-dirs', ...B(), '--describe', '--topic-list', 'ours']);
    assert.equal(dirs.code, 0, dirs.stderr);
    assert.equal(dirs.stdout.split('\n')[1], 'Received log directory information from brokers 1,2,3');
    const doc = JSON.parse(dirs.stdout.split('\n')[2]!) as { brokers: { broker: number; logDirs: { partitions: { partition: string }[] }[] }[] };
    for (const b of doc.brokers) assert.deepEqual(b.logDirs.flatMap((d) => d.partitions.map((p) => p.partition)).sort(), ['ours-0', 'ours-1', 'ours-2'], `broker ${b.broker} holds a replica of each partition`);
  });

  it('a stopped broker: under-replicated partitions; back in the ISR: preferred elections as Kafka reports them', async () => {
    assert.equal((await tidelog(['topics', ...B(), '--describe', '--under-replicated-partitions'])).stdout, '', 'a full ISR everywhere');
    // Broker 1 stops (controlled shutdown moves its leaderships away) and stays out a moment.
    assert.equal(await cluster.brokers.get(1)!.stop(), 0);
    let under = '';
    await waitFor('every partition of ours under-replicated', async () => {
      under = (await tidelog(['topics', ...B(), '--describe', '--under-replicated-partitions', '--topic', 'ours'])).stdout;
      return under.trimEnd().split('\n').length === PARTITIONS;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    for (const line of under.trimEnd().split('\n')) assert.match(line, /^\tTopic: ours\tPartition: \d\tLeader: [23]\tReplicas: [123],[123],[123]\tIsr: [23],[23]\tElr: N\/A\tLastKnownElr: N\/A$/);
    assert.equal((await tidelog(['topics', ...B(), '--describe', '--unavailable-partitions'])).stdout, '', 'every partition still has a leader');

    await cluster.restartBroker(1);
    await cluster.waitForFullIsr('ours', 60_000);
    await cluster.waitForFullIsr('theirs', 60_000);
    const notPreferred = async (topic: string) => (await cluster.metadata(topic)).partitions.filter((p) => p.leader !== p.replicas[0]).map((p) => p.partition).sort();
    const ours = await notPreferred('ours');
    assert.ok(ours.length > 0 && (await notPreferred('theirs')).length > 0, 'broker 1 was the preferred leader of some partitions of each topic');

    // The same request from each tool on its own topic: every partition by JSON file.
    const json = (topic: string) => {
      const file = path.join(files, `${topic}.json`);
      writeFileSync(file, JSON.stringify({ partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ topic, partition: p })) }));
      return file;
    };
    const [o, k] = await Promise.all([
      tidelog(['leader-election', ...B(), '--election-type', 'PREFERRED', '--path-to-json-file', json('ours')]),
      runKafkaClass(libs, 'org.apache.kafka.tools.LeaderElectionCommand', [...B(), '--election-type', 'PREFERRED', '--path-to-json-file', json('theirs')], { heap: '256M', timeoutMs: 120_000 }),
    ]);
    assert.equal(o.code, 0, o.stderr);
    assert.equal(k.code, 0, k.stderr);
    const sortLists = (s: string) => s.replace(/(for partitions )(.*)/g, (_, lead: string, list: string) => lead + list.split(', ').sort().join(', '));
    assert.match(o.stdout, /^Successfully completed leader election \(PREFERRED\) for partitions ours-\d/);
    const elected = /Successfully completed leader election \(PREFERRED\) for partitions (.*)\n/.exec(o.stdout)![1]!.split(', ').sort();
    assert.deepEqual(elected, ours.map((p) => `ours-${p}`));
    // Kafka's tool prints the same kinds of line for its topic.
    const shape = (s: string, topic: string) => sortLists(s).replace(new RegExp(`${topic}-\\d`, 'g'), 'T-n').replace(/T-n(, T-n)*/g, 'T-n...');
    assert.equal(shape(o.stdout, 'ours'), shape(k.stdout, 'theirs'));
    await waitFor('every partition led by its preferred replica', async () => {
      return (await notPreferred('ours')).length === 0 && (await notPreferred('theirs')).length === 0;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const again = await tidelog(['leader-election', ...B(), '--election-type', 'preferred', '--all-topic-partitions']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '', 'nothing needed an election');
  });
});
