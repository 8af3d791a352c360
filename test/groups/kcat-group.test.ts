// librdkafka's balanced consumer (kcat -G) as a second, independent group client: two
// members split a six-partition topic between them and together read every message once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'lines';
const GROUP = 'kcat-balanced';

interface KcatMember {
  readonly child: ChildProcess;
  /** "partition value" lines printed so far. */
  readonly lines: string[];
  readonly exited: Promise<void>;
}

function startKcatMember(bootstrap: string): KcatMember {
  const child = spawn('kcat', ['-u', '-q', '-b', bootstrap, '-G', GROUP, '-X', 'auto.offset.reset=earliest', '-f', '%p %s\\n', TOPIC], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  child.stderr!.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, lines, exited };
}

describe('kcat balanced consumer group', { timeout: 300_000 }, () => {
  let broker: BrokerProcess;
  let admin: Admin;
  const members: KcatMember[] = [];

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0 } });
    admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6 }] });
  });

  after(async () => {
    for (const m of members) m.child.kill('SIGKILL');
    await Promise.all(members.map((m) => m.exited));
    await admin?.disconnect();
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('two members split the partitions and read every message once', async () => {
    members.push(startKcatMember(broker.bootstrap), startKcatMember(broker.bootstrap));
    const assignments: number[][] = [];
    await waitFor('both kcat members to be assigned partitions', async () => {
      const [group] = (await admin.describeGroups([GROUP])).groups;
      if (!group || group.state !== 'Stable' || group.members.length !== 2) return false;
      assignments.length = 0;
      for (const m of group.members) assignments.push([...(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[TOPIC] ?? [])].sort());
      return assignments.every((a) => a.length > 0);
    });
    assert.deepEqual(assignments.flat().sort(), [0, 1, 2, 3, 4, 5], 'the two assignments split all six partitions');

    const lines = Array.from({ length: 600 }, (_, i) => `key-${i}\tvalue-${i}`);
    const produced = await kcat(['-b', broker.bootstrap, '-t', TOPIC, '-P', '-K', '\t'], `${lines.join('\n')}\n`);
    assert.equal(produced.code, 0, produced.stderr);
    await waitFor('600 messages read by the two members', () => members[0]!.lines.length + members[1]!.lines.length >= 600);

    const values = members.flatMap((m) => m.lines.map((l) => l.split(' ')[1]!));
    assert.equal(values.length, 600);
    assert.equal(new Set(values).size, 600, 'no message is read twice');
    const partitionsOf = members.map((m) => new Set(m.lines.map((l) => Number(l.split(' ')[0]))));
    assert.ok(partitionsOf.every((p) => p.size > 0), 'both members read messages');
    assert.deepEqual([...partitionsOf[0]!].filter((p) => partitionsOf[1]!.has(p)), [], 'no partition is read by both members');
    for (const p of partitionsOf) {
      const read = [...p].sort().join(',');
      assert.ok(assignments.some((a) => a.join(',') === read), `a member read partitions ${read}, which is one member's assignment`);
    }
  });
});
