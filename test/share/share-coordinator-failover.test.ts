// Share groups in a three-broker cluster on a real ZooKeeper whose share GROUP coordinator is
// killed (SIGKILL) while three KafkaShareConsumer members (kafka-clients 4.4.0, one JVM,
// test/clients/java/ShareClients.java "members") read a topic that is being produced to.
//
// The group id is chosen so that the killed broker is the group coordinator (the leader of
// the group's __consumer_offsets partition), the share coordinator of one or two (not all) of
// the group's share-partitions (the leader of their __share_group_state partition) and the
// leader of at most one of the topic's three partitions: the kill moves membership, some
// share-partition state and some share-partition leadership at once, and leaves the rest.
//
// Members REJECT "v<i>" with i % 50 == 7, RELEASE every time i % 50 == 19 (archived after
// group.share.delivery.count.limit = 5 deliveries), RELEASE once i % 50 == 31, ACCEPT the rest;
// each delivery is printed before its acknowledgement and commitSync's per-partition answer
// after. The assertions:
//   - every produced record is delivered, and ends acknowledged (ACCEPT or REJECT) or archived
//     at the delivery limit by an acknowledgement the leader confirmed, except a record whose
//     last acknowledgement failed (its answer lost to the kill: Kafka's at-least-once window);
//   - nothing whose acknowledgement was confirmed is delivered again (no delivery with a
//     higher delivery count than a confirmed ACCEPT or REJECT, never two confirmed ACCEPTs);
//   - a record delivered more often than its acknowledgements ask for (a duplicate) had as
//     many unconfirmed deliveries: duplicates come only from records in flight at the kill;
//   - no record is delivered past the delivery limit;
//   - all three members read after the kill (they rejoined at the new coordinator);
//   - the new coordinator describes the group's offsets (ReadShareGroupStateSummary to the
//     share coordinators on other brokers): every partition finished, no lag.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { classPath, ensureKafkaLibs, javaBin } from '../../bench/kafka-dist.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { javaStringHashCode } from '../../src/groups/offsets-topic.js';
import { kafkaUuidString } from '../../src/share/share-state-store.js';
import { removeDir } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { compileJava, runJava, type JavaPrograms } from '../clients/transactions-target.js';
import { tidelog } from '../cli/run.js';
import { ThreeBrokerCluster, requestOnce } from '../cluster/three-brokers.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';

const TOPIC = 'share-failover-jobs';
const PARTITIONS = 3;
const OFFSETS_PARTITIONS = 3;
const STATE_PARTITIONS = 3;
const RECORDS = 1500;
const RATE_PER_SECOND = 150;
const DELIVERY_LIMIT = 5;
const LOCK_DURATION_MS = 10_000;

interface Delivery {
  readonly member: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
  readonly deliveryCount: number;
  readonly ack: 'ACCEPT' | 'REJECT' | 'RELEASE';
  /** commitSync's answer: true when the leader confirmed the acknowledgement, false when it failed, null before it came. */
  ok: boolean | null;
  error?: string | null;
}

function absHash(s: string): number {
  const h = javaStringHashCode(s);
  return h === -2147483648 ? 0 : Math.abs(h);
}

/** How many deliveries each kind of record needs when nothing fails (ShareClients.ackFor). */
function designedDeliveries(value: string): number {
  const i = Number(value.slice(1)) % 50;
  return i === 19 ? DELIVERY_LIMIT : i === 31 ? 2 : 1;
}

/** A delivery that ends the record: a confirmed ACCEPT or REJECT, or a confirmed RELEASE at the delivery limit (archived). */
function terminal(d: Delivery): boolean {
  return d.ok === true && (d.ack !== 'RELEASE' || d.deliveryCount >= DELIVERY_LIMIT);
}

describe('share group through a GROUP coordinator kill (three brokers, real ZooKeeper, KafkaShareConsumer 4.4)', { timeout: 600_000, skip: zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)' }, () => {
  let cluster: ThreeBrokerCluster;
  let programs: JavaPrograms;
  const bootstrap = (): string => cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(',');

  before(async () => {
    programs = await compileJava(await ensureKafkaLibs(), ['Out.java', 'Topics.java', 'ShareClients.java', 'Kip848Members.java']);
    cluster = await ThreeBrokerCluster.start({
      chroot: '/tidelog-share-coordinator-failover',
      overrides: {
        'zookeeper.session.timeout.ms': 4_000,
        'replica.lag.time.max.ms': 5_000,
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': OFFSETS_PARTITIONS,
        'share.coordinator.state.topic.replication.factor': 3,
        'share.coordinator.state.topic.min.isr': 2,
        'share.coordinator.state.topic.num.partitions': STATE_PARTITIONS,
        'group.share.session.timeout.ms': 6_000,
        'group.share.min.session.timeout.ms': 6_000,
        'group.share.record.lock.duration.ms': LOCK_DURATION_MS,
        'group.share.min.record.lock.duration.ms': LOCK_DURATION_MS,
        'auto.leader.rebalance.enable': false,
      },
    });
    await cluster.createTopic(TOPIC, PARTITIONS, 3, { 'min.insync.replicas': '2' });
  });

  after(async () => {
    await cluster?.close();
    if (programs) removeDir(programs.dir);
  });

  /** Leaders of the topic's, __consumer_offsets' and __share_group_state's partitions, and the topic's id (Metadata v12). */
  async function placement(): Promise<{ topicId: string; topic: number[]; offsets: number[]; state: number[] }> {
    const r = await requestOnce(cluster.livePorts()[0]!, ApiKey.Metadata, 12, { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: TOPIC }, { topicId: '00000000-0000-0000-0000-000000000000', name: '__consumer_offsets' }, { topicId: '00000000-0000-0000-0000-000000000000', name: '__share_group_state' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 'Metadata v12');
    const leaders = (name: string): number[] => {
      const t = r.topics.find((x) => x.name === name);
      return (t?.partitions ?? []).slice().sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderId);
    };
    return { topicId: r.topics.find((x) => x.name === TOPIC)!.topicId, topic: leaders(TOPIC), offsets: leaders('__consumer_offsets'), state: leaders('__share_group_state') };
  }

  it('every record is delivered and acknowledged; nothing acknowledged is delivered again; duplicates only from records in flight at the kill', async () => {
    // __consumer_offsets and __share_group_state exist once a group asked for its coordinator
    // and a share group's offsets were set.
    await waitFor('__consumer_offsets created', async () => (await requestOnce(cluster.livePorts()[0]!, ApiKey.FindCoordinator, 3, { key: 'warm-up', keyType: 0 }, 'FindCoordinator').catch(() => null))?.errorCode === 0, { timeoutMs: 30_000, intervalMs: 200 });
    const warm = await tidelog(['share-groups', '--bootstrap-server', bootstrap(), '--reset-offsets', '--group', 'warm-up-share', '--topic', TOPIC, '--to-earliest', '--execute']);
    assert.equal(warm.code, 0, warm.stderr);
    let where = await placement();
    await waitFor('internal topics placed', async () => {
      where = await placement();
      return where.offsets.length === OFFSETS_PARTITIONS && where.state.length === STATE_PARTITIONS && [...where.offsets, ...where.state].every((l) => l > 0);
    }, { timeoutMs: 30_000, intervalMs: 200 });

    let group = '';
    let killed = -1;
    for (let i = 0; i < 1000 && group === ''; i++) {
      const candidate = `share-failover-${i}`;
      const coordinator = where.offsets[absHash(candidate) % OFFSETS_PARTITIONS]!;
      const stateLeaders = Array.from({ length: PARTITIONS }, (_, p) => where.state[absHash(`${candidate}:${kafkaUuidString(where.topicId)}:${p}`) % STATE_PARTITIONS]!);
      const shareCoordinated = stateLeaders.filter((l) => l === coordinator).length;
      const topicLed = where.topic.filter((l) => l === coordinator).length;
      if (shareCoordinated >= 1 && shareCoordinated < PARTITIONS && topicLed <= 1) {
        group = candidate;
        killed = coordinator;
      }
    }
    assert.notEqual(group, '', `no group id fits the placement ${JSON.stringify(where)}`);
    const found = await requestOnce(cluster.livePorts()[0]!, ApiKey.FindCoordinator, 3, { key: group, keyType: 0 }, 'FindCoordinator');
    assert.equal(found.nodeId, killed, 'the computed group coordinator is the one FindCoordinator names');
    // FindCoordinator key type 2 (SHARE) names the same share coordinators the test computed.
    const stateKeys = Array.from({ length: PARTITIONS }, (_, p) => `${group}:${kafkaUuidString(where.topicId)}:${p}`);
    const shareFound = await requestOnce(cluster.livePorts()[0]!, ApiKey.FindCoordinator, 6, { keyType: 2, coordinatorKeys: stateKeys }, 'FindCoordinator SHARE');
    assert.deepEqual(shareFound.coordinators.map((c) => c.nodeId), stateKeys.map((k) => where.state[absHash(k) % STATE_PARTITIONS]));
    const reset = await tidelog(['share-groups', '--bootstrap-server', bootstrap(), '--reset-offsets', '--group', group, '--topic', TOPIC, '--to-earliest', '--execute']);
    assert.equal(reset.code, 0, reset.stderr);

    const deliveries: Delivery[] = [];
    const pending = new Map<string, Delivery[]>();
    const errors: string[] = [];
    const stderr: string[] = [];
    let lastReadAtMs = Date.now();
    const cp = `${programs.classes}${path.delimiter}${classPath(programs.libs)}`;
    const members = spawn(javaBin(), ['-Xmx384M', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${programs.log4jConfig}`, '-cp', cp, 'ShareClients', 'members', cluster.allPorts().map((p) => `127.0.0.1:${p}`).join(','), TOPIC, group, '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => members.once('exit', () => resolve()));
    createInterface({ input: members.stderr! }).on('line', (l) => {
      stderr.push(l);
      if (stderr.length > 300) stderr.shift();
    });
    createInterface({ input: members.stdout! }).on('line', (l) => {
      if (!l.startsWith('{')) return;
      const e = JSON.parse(l) as Record<string, unknown>;
      const key = `${String(e.member)}:${String(e.partition)}:${String(e.offset)}`;
      if (e.event === 'read') {
        const d = { ...(e as unknown as Delivery), ok: null };
        deliveries.push(d);
        pending.set(key, [...(pending.get(key) ?? []), d]);
        lastReadAtMs = Date.now();
      } else if (e.event === 'ack') {
        const d = pending.get(key)?.shift();
        if (d) {
          d.ok = e.ok === true;
          d.error = (e.error as string | null) ?? null;
        }
      } else if (e.event === 'error') errors.push(l);
    });
    const explain = (): string => `group ${group}, killed ${killed}, placement ${JSON.stringify(where)}\nerrors: ${errors.join('\n')}\n${stderr.slice(-30).join('\n')}`;
    const byValue = (): Map<string, Delivery[]> => {
      const m = new Map<string, Delivery[]>();
      for (const d of deliveries) m.set(d.value, [...(m.get(d.value) ?? []), d]);
      return m;
    };

    let newCoordinator = -1;
    let deliveredAtKill = -1;
    try {
      const producing = runJava(programs, 'Kip848Members', ['produce', bootstrap(), TOPIC, '0', String(RECORDS), String(RATE_PER_SECOND)], 180_000);
      await waitFor('a third of the records acknowledged', () => deliveries.filter((d) => d.ok === true).length >= RECORDS / 3, { timeoutMs: 120_000, intervalMs: 100 }).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${explain()}`);
      });
      await cluster.kill(killed);
      deliveredAtKill = deliveries.length;
      const produced = await producing;
      assert.equal(produced.code, 0, `producer: ${produced.stdout.slice(-1000)}\n${produced.stderr.split('\n').slice(-20).join('\n')}`);

      await waitFor('a new group coordinator', async () => {
        const r = await requestOnce(cluster.livePorts()[0]!, ApiKey.FindCoordinator, 3, { key: group, keyType: 0 }, 'FindCoordinator').catch(() => null);
        newCoordinator = r?.errorCode === 0 ? r.nodeId : -1;
        return newCoordinator > 0 && newCoordinator !== killed;
      }, { timeoutMs: 60_000, intervalMs: 200 });

      // Until every record is finished, or no delivery came for two lock durations (then what
      // is unfinished must be explained by a lost acknowledgement, checked below).
      await waitFor('every record acknowledged or archived', () => {
        const values = byValue();
        if (values.size < RECORDS) return false;
        const unfinished = [...values.values()].filter((ds) => !ds.some(terminal));
        return unfinished.length === 0 || Date.now() - lastReadAtMs > 2 * LOCK_DURATION_MS;
      }, { timeoutMs: 240_000, intervalMs: 250 }).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${explain()}`);
      });
      // Three more seconds of polling: a finished record delivered again would show.
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      members.kill('SIGKILL');
      await exited;
    }
    assert.deepEqual(errors, [], explain());

    const values = byValue();
    const missing = Array.from({ length: RECORDS }, (_, i) => `v${i}`).filter((v) => !values.has(v));
    assert.deepEqual(missing, [], 'every produced record is delivered');

    let duplicates = 0;
    let unconfirmed = 0;
    const problems: string[] = [];
    for (const [value, ds] of values) {
      const confirmedFinal = ds.filter((d) => d.ok === true && d.ack !== 'RELEASE');
      const notOk = ds.filter((d) => d.ok !== true);
      unconfirmed += notOk.length;
      if (ds.some((d) => d.deliveryCount > DELIVERY_LIMIT)) problems.push(`${value} delivered past the delivery limit: ${JSON.stringify(ds)}`);
      if (confirmedFinal.length > 1) problems.push(`${value} acknowledged twice: ${JSON.stringify(ds)}`);
      for (const c of confirmedFinal) {
        if (ds.some((d) => d !== c && d.deliveryCount > c.deliveryCount)) problems.push(`${value} delivered again after its confirmed ${c.ack}: ${JSON.stringify(ds)}`);
      }
      if (!ds.some(terminal)) {
        const last = ds.reduce((a, b) => (b.deliveryCount >= a.deliveryCount ? b : a));
        if (last.ok !== false) problems.push(`${value} is unfinished and its last acknowledgement did not fail: ${JSON.stringify(ds)}`);
      }
      const extra = ds.length - designedDeliveries(value);
      if (extra > 0) {
        duplicates += extra;
        if (notOk.length < extra) problems.push(`${value} delivered ${extra} more time(s) than asked, with ${notOk.length} unconfirmed deliveries: ${JSON.stringify(ds)}`);
      }
    }
    assert.deepEqual(problems.slice(0, 20), [], explain());
    // The members rejoined the new coordinator and kept their partitions: all three read after the kill.
    assert.deepEqual([...new Set(deliveries.slice(deliveredAtKill).map((d) => d.member))].sort(), ['member-0', 'member-1', 'member-2'], explain());
    // The new coordinator describes the group's offsets from every share coordinator
    // (ReadShareGroupStateSummary to the other brokers): every record is finished, so each
    // partition's start offset is its end and nothing lags; `share-groups --list` (ListGroups
    // to every broker) lists the group.
    const coordinatorPort = cluster.brokers.get(newCoordinator)!.port;
    await waitFor('the group offsets at the end of every partition', async () => {
      const r = await requestOnce(coordinatorPort, ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId: group, topics: null }] }, 'DescribeShareGroupOffsets');
      const parts = r.groups[0]?.topics.find((t) => t.topicName === TOPIC)?.partitions ?? [];
      return parts.length === PARTITIONS && parts.every((p) => p.errorCode === 0 && p.lag === 0) && parts.reduce((n, p) => n + p.startOffset, 0) === RECORDS;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    const listed = await tidelog(['share-groups', '--bootstrap-server', bootstrap(), '--list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.stdout.split('\n').includes(group), listed.stdout);
    // What the kill cost, for the report (not a threshold).
    console.log(`share coordinator failover: group ${group}, killed broker ${killed} (new coordinator ${newCoordinator}), ${deliveries.length} deliveries of ${RECORDS} records, ${unconfirmed} unconfirmed acknowledgements, ${duplicates} duplicate deliveries`);
  });
});

