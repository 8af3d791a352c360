// Failover as Kafka's own Java producer sees it (issue #20): three broker processes over a real
// ZooKeeper, a topic with 3 partitions, replication factor 3 and min.insync.replicas=2, written
// by bench/java/FailoverProducer.java (idempotent, acks=all, a fixed rate, every outcome
// reported) while
//   1. the three brokers are restarted one after the other with SIGTERM (controlled shutdown
//      hands their leaderships over), each back in every ISR before the next stops: no send
//      may fail;
//   2. a partition leader is killed with SIGKILL under Kafka's default session timeout (18 s):
//      a survivor fences it (broker-fencing.ts: its listener refuses connections), the
//      controller elects new leaders from the ISR, and the producer's next acks=all send to
//      its partitions succeeds; the broker comes back, rejoins the ISRs, and the preferred
//      leaders lead again (auto.leader.rebalance.enable).
// After each case kcat reads every partition: every acknowledged record is at its offset with
// its value, and no value is there twice. Figures (failed sends, time from the kill to the
// first acknowledgement on each moved partition) are printed; no timing is asserted.
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ensureKafkaLibs } from '../../bench/kafka-dist.js';
import { compileFailoverProducer, FailoverProducerRun, probeFirstAck, readTopic, verifyAcknowledged, type CompiledProducer } from '../../bench/failover-producer.js';
import { BROKER_IDS, ThreeBrokerCluster, type MetadataView } from './three-brokers.js';
import { zookeeperInstalled } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const CHROOT = '/tidelog-failover-clients';
const PARTITIONS = 3;
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);
const RECORDS_PER_SECOND = 200;
const BROKER_OVERRIDES = {
  // Kafka's default, said explicitly: the SIGKILL case shows fencing does not wait for it.
  'zookeeper.session.timeout.ms': 18_000,
  'replica.lag.time.max.ms': 10_000,
  'offsets.topic.replication.factor': 3,
  'auto.leader.rebalance.enable': true,
  'leader.imbalance.check.interval.seconds': 2,
};
const TOPIC_CONFIGS = { 'min.insync.replicas': '2' };
const PHASE_MS = 2_000;
const FIRST_ACKS_TIMEOUT_MS = 60_000;
const ISR_TIMEOUT_MS = 60_000;
const NEW_LEADER_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 150_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function printFigures(t: TestContext, title: string, rows: readonly (readonly [string, string | number])[]): void {
  t.diagnostic(`---- ${title} ----`);
  for (const [k, v] of rows) t.diagnostic(`  ${`${k}:`.padEnd(48)} ${v}`);
}

/** The earliest log line at or after sinceMs of any broker whose message starts with msg (and contains `also`), as ms after sinceMs. */
function logMsAfter(cluster: ThreeBrokerCluster, sinceMs: number, msg: string, also = ''): number | null {
  let first: number | null = null;
  for (const b of cluster.brokers.values()) {
    for (const l of b.logLines) {
      if (!l.includes(`"msg":"${msg}`) || !l.includes(also)) continue;
      const time = (JSON.parse(l) as { time?: number }).time;
      if (typeof time === 'number' && time >= sinceMs && (first === null || time < first)) first = time;
    }
  }
  return first === null ? null : first - sinceMs;
}

function leadersOf(view: MetadataView): string {
  return view.partitions.map((p) => `p${p.partition}@${p.leader} (epoch ${p.leaderEpoch}, isr [${p.isr.join(',')}])`).join(', ');
}

describe('failover under the Java producer (idempotent, acks=all, RF 3, min.insync.replicas=2)', { timeout: 600_000, skip: zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)' }, () => {
  let cluster: ThreeBrokerCluster;
  let program: CompiledProducer;

  before(async () => {
    program = await compileFailoverProducer(await ensureKafkaLibs());
    cluster = await ThreeBrokerCluster.start({ chroot: CHROOT, overrides: BROKER_OVERRIDES });
  });
  after(async () => {
    await cluster?.close();
    program?.close();
  });

  async function checkTopic(topic: string, producer: FailoverProducerRun, rows: [string, string | number][]): Promise<ReturnType<typeof verifyAcknowledged>> {
    const consumed = await readTopic(cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(','), topic);
    const v = verifyAcknowledged(producer.acks, consumed);
    rows.push(['acknowledged / read back', `${v.acknowledged} / ${v.consumed}`]);
    rows.push(['acknowledged records lost', v.lost.length]);
    rows.push(['values stored twice', v.duplicates.length]);
    return v;
  }

  it('a rolling restart (SIGTERM, controlled shutdown) of all three brokers: no failed send, nothing acknowledged lost', { timeout: 400_000 }, async (t) => {
    const topic = 'rolling';
    await cluster.createTopic(topic, PARTITIONS, 3, TOPIC_CONFIGS);
    const rows: [string, string | number][] = [['leaders before', leadersOf(await cluster.metadata(topic))]];
    const producer = FailoverProducerRun.start(program, cluster.allPorts().map((p) => `127.0.0.1:${p}`).join(','), topic, PARTITIONS, RECORDS_PER_SECOND);
    let summary;
    try {
      await producer.waitForAcks(0, ALL, FIRST_ACKS_TIMEOUT_MS, 'a first acknowledgement on every partition');
      await sleep(PHASE_MS);
      for (const id of BROKER_IDS) {
        const stopAtMs = Date.now();
        const code = await cluster.brokers.get(id)!.stop();
        const stoppedMs = Date.now() - stopAtMs;
        assert.equal(code, 0, `broker ${id} exits cleanly`);
        await cluster.restartBroker(id);
        await cluster.waitForFullIsr(topic, ISR_TIMEOUT_MS);
        rows.push([`broker ${id}: SIGTERM -> exit, exit -> ISR full`, `${stoppedMs} ms, ${Date.now() - stopAtMs - stoppedMs} ms`]);
        // Sends go on with the broker back before the next one stops.
        await producer.waitForAcks(Date.now(), ALL, FIRST_ACKS_TIMEOUT_MS, `acknowledgements on every partition after broker ${id} came back`);
        await sleep(PHASE_MS);
      }
      rows.push(['leaders after', leadersOf(await cluster.metadata(topic))]);
    } finally {
      summary = await producer.stop(STOP_TIMEOUT_MS);
      rows.push(['sent / acknowledged / failed sends', `${summary.sent} / ${summary.acked} / ${summary.failed}`]);
      if (producer.failures.length > 0) rows.push(['first failures', producer.failures.slice(0, 5).map((f) => `p${f.partition}#${f.sequence}: ${f.error}`).join('; ')]);
    }
    const v = await checkTopic(topic, producer, rows).finally(() => printFigures(t, 'rolling restart', rows));
    assert.equal(summary.exitCode, 0, producer.stderr.slice(-20).join('\n'));
    assert.deepEqual(producer.failures.slice(0, 10), [], 'no send failed');
    assert.equal(summary.acked, summary.sent, 'every send was acknowledged');
    assert.deepEqual(v.lost.slice(0, 10), [], 'no acknowledged record lost');
    assert.deepEqual(v.duplicates.slice(0, 10), [], 'no record stored twice (idempotence across leader changes)');
  });

  it('SIGKILL of a partition leader: fenced, new leaders elected from the ISR, acks=all sends go on; the broker returns and leads its preferred partitions again', { timeout: 300_000 }, async (t) => {
    const topic = 'sigkill';
    await cluster.createTopic(topic, PARTITIONS, 3, TOPIC_CONFIGS);
    const before = await cluster.metadata(topic);
    // A leader that is not the controller (the controller's own death is the next check).
    const victim = before.partitions.find((p) => p.leader !== before.controllerId)?.leader ?? before.partitions[0]!.leader;
    const moved = before.partitions.filter((p) => p.leader === victim).map((p) => p.partition);
    const rows: [string, string | number][] = [
      ['leaders before', leadersOf(before)],
      ['broker killed (SIGKILL)', `${victim}${victim === before.controllerId ? ' (also the controller)' : ''}, leader of [${moved.join(',')}]`],
    ];
    const producer = FailoverProducerRun.start(program, cluster.allPorts().map((p) => `127.0.0.1:${p}`).join(','), topic, PARTITIONS, RECORDS_PER_SECOND);
    let summary;
    try {
      await producer.waitForAcks(0, ALL, FIRST_ACKS_TIMEOUT_MS, 'a first acknowledgement on every partition');
      await sleep(PHASE_MS);
      const killedAtMs = await cluster.kill(victim);
      // A tight acks=-1 probe of its own beside the Java producer (whose backoffs add to it).
      const probes = Promise.all(moved.map((p) => probeFirstAck(() => cluster.livePorts(), topic, p, NEW_LEADER_TIMEOUT_MS, victim)));
      // The first acknowledgement on each moved partition after the kill is the new leader's:
      // the killed broker can answer nothing after it.
      await producer.waitForAcks(killedAtMs, moved, NEW_LEADER_TIMEOUT_MS, `an acknowledged acks=all send on [${moved.join(',')}] after the kill`);
      const firsts = moved.map((p) => producer.firstAckSince(killedAtMs, p)!.atMs - killedAtMs);
      rows.push(['SIGKILL -> first ack of a send made after it', moved.map((p, i) => `p${p}: ${firsts[i]} ms`).join(', ')]);
      const probed = await probes;
      rows.push(['SIGKILL -> first acknowledged probe (Produce v9, acks=-1)', moved.map((p, i) => `p${p}: ${probed[i]!.atMs - killedAtMs} ms on broker ${probed[i]!.leader}`).join(', ')]);
      const during = await cluster.metadata(topic);
      rows.push(['leaders with the broker down', leadersOf(during)]);
      const fencedBy = BROKER_IDS.filter((id) => id !== victim && cluster.brokers.get(id)!.logLines.some((l) => l.includes('"msg":"broker fenced')));
      rows.push(['fenced by', fencedBy.length > 0 ? `broker(s) ${fencedBy.join(', ')}` : 'nobody (the session timeout did it)']);
      rows.push([
        'where the time went (ms after the kill)',
        `fenced ${logMsAfter(cluster, killedAtMs, 'broker fenced')}, leader elected ${logMsAfter(cluster, killedAtMs, 'elected partition leader')}, new leader acting ${logMsAfter(cluster, killedAtMs, 'partition leadership changed', '"role":"leader"')}, first ack ${Math.min(...firsts)}`,
      ]);
      assert.ok(fencedBy.length > 0, 'a survivor fenced the killed broker (its listener refused connections)');
      for (const p of during.partitions) assert.notEqual(p.leader, victim, `partition ${p.partition} is led by a survivor`);
      await sleep(PHASE_MS);

      const restartAtMs = Date.now();
      await cluster.restartBroker(victim);
      await cluster.waitForFullIsr(topic, ISR_TIMEOUT_MS);
      rows.push(['restart -> ISR [1,2,3] again', `${Date.now() - restartAtMs} ms`]);
      // Preferred leader election (auto.leader.rebalance.enable, checked every 2 s here):
      // every partition led by the first replica of its assignment again.
      await waitFor('every partition led by its preferred replica again', async () => {
        const v = await cluster.metadata(topic).catch(() => null);
        return v !== null && v.partitions.every((p) => p.leader === p.replicas[0]);
      }, { timeoutMs: ISR_TIMEOUT_MS, intervalMs: 200 });
      rows.push(['restart -> preferred leaders lead again', `${Date.now() - restartAtMs} ms`]);
      rows.push(['leaders after', leadersOf(await cluster.metadata(topic))]);
      await producer.waitForAcks(Date.now(), ALL, FIRST_ACKS_TIMEOUT_MS, 'acknowledgements on every partition after the rebalance');
      await sleep(PHASE_MS);
    } finally {
      summary = await producer.stop(STOP_TIMEOUT_MS);
      rows.push(['sent / acknowledged / failed sends', `${summary.sent} / ${summary.acked} / ${summary.failed}`]);
      if (producer.failures.length > 0) rows.push(['first failures', producer.failures.slice(0, 5).map((f) => `p${f.partition}#${f.sequence}: ${f.error}`).join('; ')]);
      if (!cluster.livePorts().includes(cluster.brokers.get(victim)!.port)) await cluster.restartBroker(victim).catch(() => undefined);
    }
    const v = await checkTopic(topic, producer, rows).finally(() => printFigures(t, 'SIGKILL of a leader', rows));
    assert.equal(summary.exitCode, 0, producer.stderr.slice(-20).join('\n'));
    assert.deepEqual(v.lost.slice(0, 10), [], 'no acknowledged record lost');
    assert.deepEqual(producer.failures.slice(0, 10), [], 'no send failed');
  });
});
