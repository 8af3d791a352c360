// The KIP-848 consumer group protocol with Apache Kafka's Java client 4.4 (group.protocol=consumer)
// against one Tidelog broker: members of one group share a topic's partitions through a member
// joining (two, then three members), leaving (SIGTERM: close() sends the leave heartbeat) and
// being killed (SIGKILL: the broker fences it when its session expires), with no record read
// twice and none missed; a regex subscription (SubscriptionPattern, resolved by the broker)
// picks up a topic created after the member joined; Kafka's own consumer-groups tool describes
// the group through ConsumerGroupDescribe.
//
// What "read" means: each member commits a poll's records (commitSync) and only then prints
// them (Kip848Members.java), so a printed record is one the member consumed and committed. The
// kill happens once every produced record was printed: a member killed with uncommitted records
// would have them read again by design (at-least-once), which is not what this test is about.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import type { JavaPrograms } from '../clients/transactions-target.js';
import { compileMembers, countValues, missingAndDuplicates, produce, startMember, waitFor, type JavaMember } from './consumer-protocol-members.js';

const GROUP_COMMAND = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';
const BATCH = 1500;

describe('KIP-848 consumer groups with the Java client 4.4', { timeout: 420_000 }, () => {
  let broker: BrokerProcess;
  let libs: KafkaLibs;
  let programs: JavaPrograms;
  const members: JavaMember[] = [];

  before(async () => {
    libs = await ensureKafkaLibs();
    programs = await compileMembers(libs);
    broker = await startBrokerProcess({
      overrides: {
        'num.partitions': 6,
        // Short sessions so that a killed member is fenced within seconds (Kafka's minimum is 45 s by default).
        'group.consumer.min.session.timeout.ms': 6000,
        'group.consumer.session.timeout.ms': 6000,
        'group.consumer.min.heartbeat.interval.ms': 500,
        'group.consumer.heartbeat.interval.ms': 1000,
      },
    });
  });

  after(async () => {
    for (const m of members) await m.kill();
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('two, then three members share the partitions; a member leaving and a member killed lose and duplicate nothing', async () => {
    const topic = 'kip848-members';
    const explain = () => `${members.map((m) => m.describe()).join('\n')}\n--- broker ---\n${broker.logLines.slice(-15).join('\n')}`;
    const printed = () => members.reduce((n, m) => n + m.values().length, 0);
    await produce(programs, broker.bootstrap, topic, 0, BATCH);
    const a = startMember(programs, broker.bootstrap, 'java-848', topic, 'member-a');
    const b = startMember(programs, broker.bootstrap, 'java-848', topic, 'member-b');
    members.push(a, b);
    await waitFor('two members reading the first batch', () => printed() >= BATCH && a.assignment().length > 0 && b.assignment().length > 0, explain);
    assert.equal(a.assignment().length + b.assignment().length, 6, explain());

    // A third member joins while records are being produced.
    const c = startMember(programs, broker.bootstrap, 'java-848', topic, 'member-c');
    members.push(c);
    await produce(programs, broker.bootstrap, topic, BATCH, BATCH, 1000);
    await waitFor('the third member to get partitions', () => c.assignment().length > 0 && a.assignment().length + b.assignment().length + c.assignment().length === 6, explain);
    await produce(programs, broker.bootstrap, topic, 2 * BATCH, BATCH);
    await waitFor('three members reading the second and third batches', () => printed() >= 3 * BATCH, explain);
    assert.ok(c.values().length > 0, `the third member read records: ${explain()}`);

    // Kafka's consumer-groups tool (ConsumerGroupDescribe) sees three consumer-protocol members.
    const described = await runKafkaClass(libs, GROUP_COMMAND, ['--bootstrap-server', broker.bootstrap, '--describe', '--group', 'java-848', '--members'], { heap: '128M', timeoutMs: 60_000 });
    assert.equal(described.code, 0, described.stderr);
    for (const id of ['member-a', 'member-b', 'member-c']) assert.match(described.stdout, new RegExp(id), described.stdout);
    const state = await runKafkaClass(libs, GROUP_COMMAND, ['--bootstrap-server', broker.bootstrap, '--describe', '--group', 'java-848', '--state'], { heap: '128M', timeoutMs: 60_000 });
    assert.match(state.stdout, /java-848\s+\S+\s+\(\d+\)\s+uniform\s+(Stable|Reconciling)\s+3/, state.stdout);

    // One member leaves (close() after SIGTERM) while records are produced.
    const leaving = b.stop();
    await produce(programs, broker.bootstrap, topic, 3 * BATCH, BATCH, 1000);
    await leaving;
    assert.ok(b.events.some((e) => e.event === 'closed'), `the leaving member closed its consumer: ${explain()}`);
    await waitFor('the two remaining members reading the fourth batch', () => printed() >= 4 * BATCH && a.assignment().length + c.assignment().length === 6, explain);

    // One member is killed once everything it read is committed; the survivor takes its
    // partitions when the broker fences it (session timeout) and reads what follows.
    await c.kill();
    await produce(programs, broker.bootstrap, topic, 4 * BATCH, BATCH);
    await waitFor('the last member reading the fifth batch', () => printed() >= 5 * BATCH && a.assignment().length === 6, explain);

    const { missing, duplicates } = missingAndDuplicates(countValues(members), 5 * BATCH);
    assert.deepEqual(missing, [], `no record missed: ${explain()}`);
    assert.deepEqual(duplicates, [], `no record read twice: ${explain()}`);
    assert.equal(printed(), 5 * BATCH);
    assert.ok(broker.logLines.some((l) => l.includes('fenced a consumer group member') && l.includes('session timeout expired')), 'the killed member was fenced by its session');
    await a.stop();
  });

  it('a regex subscription picks up a topic created after the member joined', async () => {
    await produce(programs, broker.bootstrap, 'kip848-re-first', 0, 100);
    const d = startMember(programs, broker.bootstrap, 'java-848-regex', 'regex:kip848-re-.*', 'member-regex');
    members.push(d);
    const explain = () => `${d.describe()}\n--- broker ---\n${broker.logLines.slice(-15).join('\n')}`;
    await waitFor('the regex member reading the first topic', () => d.values().length >= 100, explain);
    await produce(programs, broker.bootstrap, 'kip848-re-second', 100, 100);
    await waitFor('the regex member reading the topic created later', () => d.values().length >= 200, explain);
    const { missing, duplicates } = missingAndDuplicates(countValues([d]), 200);
    assert.deepEqual(missing, []);
    assert.deepEqual(duplicates, []);
    assert.ok(d.assignment().some((tp) => tp.startsWith('kip848-re-second-')), explain());
    await d.stop();
  });
});
