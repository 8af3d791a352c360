// Dynamic broker configs in a ZooKeeper cluster (three broker processes, a real ZooKeeper), as
// Kafka 2.x-3.x kept them: /config/brokers/<default> and /config/brokers/<id> holding
// {"version":1,"config":{...}}, each write followed by a /config/changes/config_change_<seq>
// notification {"version":2,"entity_path":"brokers/<entity>"} that every broker follows:
// - the cluster default set through one broker reaches all three; `tidelog configs --describe
//   --entity-type brokers` prints what Kafka 4.4's ConfigCommand prints for every broker;
// - a per-broker config is that broker's only, and survives its restart;
// - a config written straight into ZooKeeper with its notification (what kafka-configs.sh
//   --zookeeper did) is applied by the broker it names;
// - the leader side of the replication throttle (KIP-73): a reassignment whose only throttle is
//   leader.replication.throttled.rate on the leader copies no faster than that rate allows
//   (measured on the new replica's log, bound asserted loosely: at most twice the rate over any
//   window of 2 s or more), and completes.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { silentLogger } from '../../src/logger.js';
import { waitFor } from '../helpers/wait.js';
import { tidelog } from '../cli/run.js';
import { requestOnce, ThreeBrokerCluster } from './three-brokers.js';

/** Small replica fetches, so that one fetch is a small part of what the throttle allows per second. */
const FETCH_MAX_BYTES = 65_536;
const LEADER_RATE_BYTES_PER_SEC = 200_000;
const COPY_RECORDS = 1_000;
const COPY_RECORD_BYTES = 1_000;

/** Bytes of the .log segments of a partition directory (0 while it does not exist). */
function logBytes(dir: string): number {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

describe('dynamic broker configs in a ZooKeeper cluster', { timeout: 300_000 }, () => {
  let cluster: ThreeBrokerCluster;
  let libs: KafkaLibs;
  let zk: ZkClient;
  const bootstrap = () => cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(',');
  const configs = (...args: string[]) => tidelog(['configs', '--bootstrap-server', bootstrap(), ...args]);
  /** Every config of a broker, as that broker describes itself (dynamic defaults included). */
  const describeBroker = async (id: number) => (await configs('--describe', '--all', '--entity-type', 'brokers', '--entity-name', String(id))).stdout;

  before(async () => {
    libs = await ensureKafkaLibs();
    cluster = await ThreeBrokerCluster.start({ chroot: '/tidelog-dynconf', overrides: { 'replica.fetch.max.bytes': FETCH_MAX_BYTES, 'auto.leader.rebalance.enable': false } });
    zk = await ZkClient.connect({ connect: cluster.connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
  });

  after(async () => {
    zk?.close();
    await cluster?.close();
  });

  it('the cluster default reaches every broker through /config/brokers/<default> and a change notification; the same lines as Kafka\'s tool', async () => {
    const r = await configs('--alter', '--entity-type', 'brokers', '--entity-default', '--add-config', 'log.cleaner.min.cleanable.ratio=0.25');
    assert.equal(r.code, 0, r.stderr);
    const node = await zk.getData('/config/brokers/<default>');
    assert.deepEqual(JSON.parse(node!.data.toString()), { version: 1, config: { 'log.cleaner.min.cleanable.ratio': '0.25' } });
    const changes = (await zk.getChildren('/config/changes'))!.filter((c) => /^config_change_\d{10}$/.test(c)).sort();
    assert.ok(changes.length >= 1, `notifications: ${changes.join(',')}`);
    assert.deepEqual(JSON.parse((await zk.getData(`/config/changes/${changes.at(-1)!}`))!.data.toString()), { version: 2, entity_path: 'brokers/<default>' });
    for (const id of [1, 2, 3]) {
      await waitFor(`broker ${id} applies the default`, async () => (await describeBroker(id)).includes('DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.min.cleanable.ratio=0.25'), { timeoutMs: 20_000, intervalMs: 200 });
    }
    const [ours, theirs] = await Promise.all([configs('--describe', '--entity-type', 'brokers'), runKafkaClass(libs, 'org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', bootstrap(), '--describe', '--entity-type', 'brokers'], { heap: '256M', timeoutMs: 120_000 })]);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    assert.match(ours.stdout, /\nDefault configs for brokers in the cluster are:\n {2}log\.cleaner\.min\.cleanable\.ratio=0\.25 sensitive=false synonyms=\{DYNAMIC_DEFAULT_BROKER_CONFIG:log\.cleaner\.min\.cleanable\.ratio=0\.25, DEFAULT_CONFIG:log\.cleaner\.min\.cleanable\.ratio=0\.5\}\n$/);
  });

  it('a per-broker config is that broker\'s only and survives its restart; one written straight into ZooKeeper with a notification is applied', async () => {
    const r = await configs('--alter', '--entity-type', 'brokers', '--entity-name', '2', '--add-config', 'message.max.bytes=3000');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse((await zk.getData('/config/brokers/2'))!.data.toString()), { version: 1, config: { 'message.max.bytes': '3000' } });
    assert.match(await describeBroker(2), /message\.max\.bytes=3000 sensitive=false synonyms=\{DYNAMIC_BROKER_CONFIG:message\.max\.bytes=3000, DEFAULT_CONFIG:message\.max\.bytes=1048588\}/);
    assert.match(await describeBroker(1), /\n {2}message\.max\.bytes=1048588 sensitive=false synonyms=\{DEFAULT_CONFIG:message\.max\.bytes=1048588\}\n/);
    // A clean stop and start: the broker reads its entity from ZooKeeper before its logs open.
    assert.equal(await cluster.brokers.get(2)!.stop(), 0);
    await cluster.startBroker(2);
    await waitFor('broker 2 back in the metadata', async () => (await cluster.metadata(null)).brokers.has(2), { timeoutMs: 30_000, intervalMs: 100 });
    assert.match(await describeBroker(2), /message\.max\.bytes=3000 sensitive=false synonyms=\{DYNAMIC_BROKER_CONFIG:message\.max\.bytes=3000/);
    // As kafka-configs.sh --zookeeper wrote it: the entity, then the notification.
    await zk.mkdirp('/config/brokers');
    await zk.create('/config/brokers/3', JSON.stringify({ version: 1, config: { 'max.connections.per.ip': '700' } }));
    await zk.create('/config/changes/config_change_', JSON.stringify({ version: 2, entity_path: 'brokers/3' }), 'persistent_sequential');
    await waitFor('broker 3 applies the config written to ZooKeeper', async () => /max\.connections\.per\.ip=700 sensitive=false synonyms=\{DYNAMIC_BROKER_CONFIG:max\.connections\.per\.ip=700/.test(await describeBroker(3)), { timeoutMs: 20_000, intervalMs: 200 });
  });

  it('a reassignment throttled by leader.replication.throttled.rate alone copies at no more than (loosely) that rate, and completes', async () => {
    const topic = 'leader-throttled';
    const port = cluster.livePorts()[0]!;
    const created = await requestOnce(port, ApiKey.CreateTopics, 5, { topics: [{ name: topic, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [] }], timeoutMs: 10_000, validateOnly: false }, `CreateTopics ${topic}`);
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE, created.topics[0]!.errorMessage ?? '');
    await waitFor(`${topic} online`, async () => (await cluster.metadataFromAll(topic).catch(() => null))?.every((v) => v.partitions[0]?.leader === 1) ?? false, { timeoutMs: 30_000, intervalMs: 100 });
    const fill = await tidelog(['producer-perf', '--bootstrap-server', bootstrap(), '--topic', topic, '--num-records', String(COPY_RECORDS), '--record-size', String(COPY_RECORD_BYTES), '--throughput', '-1', '--producer-props', 'acks=all']);
    assert.equal(fill.code, 0, fill.stderr);
    const leaderDir = path.join(cluster.dataDir(1), `${topic}-0`);
    const followerDir = path.join(cluster.dataDir(2), `${topic}-0`);
    const total = logBytes(leaderDir);
    assert.ok(total >= COPY_RECORDS * COPY_RECORD_BYTES, `leader log ${total} bytes`);
    // Only the leader side: the rate on broker 1, its replica named in the topic's list; no follower throttle anywhere.
    assert.equal((await configs('--alter', '--entity-type', 'brokers', '--entity-name', '1', '--add-config', `leader.replication.throttled.rate=${LEADER_RATE_BYTES_PER_SEC}`)).code, 0);
    assert.equal((await configs('--alter', '--entity-type', 'topics', '--entity-name', topic, '--add-config', 'leader.replication.throttled.replicas=0:1')).code, 0);
    await waitFor('broker 1 applies its leader throttle', async () => (await describeBroker(1)).includes(`leader.replication.throttled.rate=${LEADER_RATE_BYTES_PER_SEC}`), { timeoutMs: 20_000, intervalMs: 100 });
    for (const id of [1, 2, 3]) assert.match(await describeBroker(id), /\n {2}follower\.replication\.throttled\.rate=9223372036854775807 sensitive=false synonyms=\{DEFAULT_CONFIG:/);

    const client = await KafkaClient.connect({ bootstrap: cluster.livePorts().map((p) => `127.0.0.1:${p}`) });
    const samples: { ms: number; bytes: number }[] = [];
    try {
      const started = await client.alterPartitionReassignments([{ topic, partition: 0, replicas: [1, 2] }]);
      assert.equal(started.errorCode, ErrorCode.NONE, started.errorMessage ?? '');
      assert.equal(started.results[0]!.errorCode, ErrorCode.NONE, started.results[0]!.errorMessage ?? '');
      await waitFor('the new replica holds the whole log', () => {
        samples.push({ ms: performance.now(), bytes: logBytes(followerDir) });
        return samples.at(-1)!.bytes >= total;
      }, { timeoutMs: 120_000, intervalMs: 100 });
      await waitFor('the reassignment completes', async () => (await client.listPartitionReassignments(null)).reassignments.length === 0, { timeoutMs: 60_000, intervalMs: 200 });
    } finally {
      client.close();
    }
    // The bound, loosely: over any window of 2 s or more, at most twice the rate (the token
    // bucket allows one second's worth plus one fetch above the rate; the factor 2 covers both).
    let worst = 0;
    for (let i = 0; i < samples.length; i++) {
      for (let j = i + 1; j < samples.length; j++) {
        const windowMs = samples[j]!.ms - samples[i]!.ms;
        if (windowMs < 2_000) continue;
        const rate = ((samples[j]!.bytes - samples[i]!.bytes) * 1000) / windowMs;
        worst = Math.max(worst, rate);
        assert.ok(rate <= 2 * LEADER_RATE_BYTES_PER_SEC, `copied at ${Math.round(rate)} B/s over ${Math.round(windowMs)} ms, limit ${LEADER_RATE_BYTES_PER_SEC} B/s`);
      }
    }
    const spanMs = samples.at(-1)!.ms - samples.find((s) => s.bytes > 0)!.ms;
    assert.ok(spanMs >= 2_000, `the copy of ${total} bytes took ${Math.round(spanMs)} ms: too short a run to measure the bound`);
    console.log(`leader throttle: ${total} bytes copied in ${Math.round(spanMs)} ms (${Math.round((total * 1000) / spanMs)} B/s average, worst 2 s+ window ${Math.round(worst)} B/s, limit ${LEADER_RATE_BYTES_PER_SEC} B/s)`);
  });
});
