// A real consumer group of kafkajs consumers against a broker process: three members share a
// six-partition topic and receive every message exactly once; the group rebalances when a
// member leaves and when one joins; after every member stops and new ones start, they resume
// from the committed offsets without reading committed messages again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AssignerProtocol, Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'orders';
const GROUP = 'order-processors';
const PARTITIONS = 6;

interface Member {
  readonly name: string;
  readonly consumer: Consumer;
  /** Partitions from the member's latest GROUP_JOIN, or null before its first. */
  assignment: number[] | null;
}

describe('kafkajs consumer group', { timeout: 300_000 }, () => {
  let broker: BrokerProcess;
  let kafka: Kafka;
  let admin: Admin;
  /** message value → names of the members that received it. */
  const received = new Map<string, string[]>();
  const members: Member[] = [];

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false } });
    kafka = new Kafka({ clientId: 'tidelog-groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
    admin = kafka.admin();
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] }), true);
  });

  after(async () => {
    await Promise.allSettled(members.map((m) => m.consumer.disconnect()));
    await admin?.disconnect();
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  async function startMember(name: string): Promise<Member> {
    const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    const member: Member = { name, consumer, assignment: null };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      member.assignment = [...(e.payload.memberAssignment[TOPIC] ?? [])].sort((a, b) => a - b);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = message.value!.toString();
        received.set(value, [...(received.get(value) ?? []), name]);
      },
    });
    members.push(member);
    return member;
  }

  async function stopMember(member: Member): Promise<void> {
    await member.consumer.disconnect();
    members.splice(members.indexOf(member), 1);
  }

  /** Waits until the live members' assignments split all partitions between them, and the group agrees. */
  async function waitForBalancedGroup(): Promise<void> {
    await waitFor(`the ${members.length} members to share the ${PARTITIONS} partitions`, async () => {
      const assigned = members.map((m) => m.assignment);
      if (assigned.some((a) => a === null || a.length === 0)) return false;
      const all = assigned.flatMap((a) => a!).sort((a, b) => a - b);
      if (all.join(',') !== Array.from({ length: PARTITIONS }, (_, i) => i).join(',')) return false;
      const [group] = (await admin.describeGroups([GROUP])).groups;
      if (!group || group.state !== 'Stable' || group.members.length !== members.length) return false;
      // The coordinator's view: each member's stored assignment is what it reported.
      const stored = group.members.map((m) => (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[TOPIC] ?? []).length).sort();
      return stored.join(',') === assigned.map((a) => a!.length).sort().join(',');
    });
  }

  async function produce(phase: string, count: number): Promise<string[]> {
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: count }, (_, i) => `${phase}-${i}`);
    await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value, i) => ({ partition: i % PARTITIONS, key: `k${i}`, value })) });
    await producer.disconnect();
    return values;
  }

  async function waitForAll(values: readonly string[]): Promise<void> {
    await waitFor(`${values.length} messages to be consumed`, () => values.every((v) => received.has(v)));
  }

  function assertExactlyOnce(): void {
    const duplicates = [...received].filter(([, by]) => by.length !== 1);
    assert.deepEqual(duplicates, [], 'every message is received exactly once');
  }

  it('three members receive every message exactly once, rebalance on leave and join, and resume from committed offsets', async () => {
    const a = await startMember('a');
    await startMember('b');
    await startMember('c');
    await waitForBalancedGroup();
    for (const m of members) assert.equal(m.assignment!.length, 2, `${m.name} consumes two of the six partitions`);
    const first = await produce('first', 600);
    await waitForAll(first);
    assertExactlyOnce();
    for (const m of members) assert.ok(first.some((v) => received.get(v)![0] === m.name), `${m.name} received messages`);

    // A member leaves: the other two take over its partitions.
    await stopMember(a);
    await waitForBalancedGroup();
    const second = await produce('second', 300);
    await waitForAll(second);
    assertExactlyOnce();
    assert.ok(second.every((v) => received.get(v)![0] !== 'a'));

    // A member joins: the partitions are split three ways again.
    await startMember('d');
    await waitForBalancedGroup();
    for (const m of members) assert.equal(m.assignment!.length, 2);
    const third = await produce('third', 300);
    await waitForAll(third);
    assertExactlyOnce();
    assert.ok(third.some((v) => received.get(v)![0] === 'd'), 'the new member consumes');

    // Every member stops (committing its offsets); new members resume where they left off.
    for (const m of [...members]) await stopMember(m);
    const offsets = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    assert.equal(committed, 1200, 'the committed offsets cover every consumed message');
    const fourth = await produce('fourth', 120);
    await startMember('e');
    await startMember('f');
    await startMember('g');
    await waitForAll(fourth);
    await waitForBalancedGroup();
    assertExactlyOnce();
    assert.equal(received.size, 1320);
  });
});
