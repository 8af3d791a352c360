// The online upgrade and downgrade of a group (KIP-848) with Apache Kafka's Java client 4.4
// against one Tidelog broker, once with the classic client's default assignors (range: eager
// rebalances) and once with CooperativeStickyAssignor (incremental ones, the members report
// their owned partitions): three members with group.protocol=classic read a six-partition
// topic under a steady producer; they are rolled one by one to group.protocol=consumer (the
// first consumer-protocol member converts the live classic group; the classic members carry on
// inside the consumer group until they are replaced), then rolled back to classic (the last
// consumer-protocol member leaving converts the group back). Every produced record is read at
// least once (a rebalance may hand a partition over between a read and its commit, so
// duplicates are allowed), the committed offsets end at the log end, the group type that
// ListGroups reports follows each step, and no partition is ever seen with two owners in the
// broker's view of the group (ConsumerGroupDescribe, or DescribeGroups' assignments while the
// classic group is Stable), sampled throughout.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeAssignment } from '../../src/groups/classic-conversion.js';
import { ensureKafkaLibs, type KafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import type { JavaPrograms } from '../clients/transactions-target.js';
import { compileMembers, countValues, produce, startMember, waitFor, type JavaMember } from './consumer-protocol-members.js';

const GROUP = 'migrating';
const TOPIC = 'migration';
type Classic = 'classic' | 'classic-cooperative';
const PARTITIONS = 6;
const FIRST_BATCH = 600;
const STEADY = 3000;
const RATE_PER_SECOND = 100;

describe('online migration between the classic and consumer protocols with the Java client 4.4', { timeout: 600_000 }, () => {
  let broker: BrokerProcess;
  let libs: KafkaLibs;
  let programs: JavaPrograms;
  let admin: KafkaConnection;
  const members: JavaMember[] = [];

  before(async () => {
    libs = await ensureKafkaLibs();
    programs = await compileMembers(libs);
    broker = await startBrokerProcess({
      overrides: {
        'num.partitions': PARTITIONS,
        'group.consumer.min.session.timeout.ms': 6000,
        'group.consumer.session.timeout.ms': 6000,
        'group.consumer.min.heartbeat.interval.ms': 500,
        'group.consumer.heartbeat.interval.ms': 1000,
      },
    });
    admin = await KafkaConnection.connect('127.0.0.1', broker.port, 'migration-observer');
  });

  after(async () => {
    admin?.close();
    for (const m of members) await m.kill();
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  async function groupType(group: string): Promise<string | undefined> {
    const r = await admin.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
    return r.groups.find((g) => g.groupId === group)?.groupType;
  }

  /** The broker's view: member → owned partitions (empty while a classic group rebalances). */
  async function owners(group: string): Promise<{ type: string | undefined; byMember: Map<string, number[]>; memberTypes: number[] }> {
    const type = await groupType(group);
    const byMember = new Map<string, number[]>();
    const memberTypes: number[] = [];
    if (type === 'consumer') {
      const d = (await admin.request(ApiKey.ConsumerGroupDescribe, 1, { groupIds: [group], includeAuthorizedOperations: false })).groups[0]!;
      if (d.errorCode === ErrorCode.NONE) {
        for (const m of d.members) {
          byMember.set(m.memberId, m.assignment.topicPartitions.flatMap((tp) => tp.partitions));
          memberTypes.push(m.memberType);
        }
      }
    } else if (type === 'classic') {
      const d = (await admin.request(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0]!;
      if (d.groupState === 'Stable') {
        for (const m of d.members) byMember.set(m.memberId, (decodeAssignment(m.memberAssignment)?.topics ?? []).flatMap((t) => t.partitions));
      }
    }
    return { type, byMember, memberTypes };
  }

  for (const classic of ['classic', 'classic-cooperative'] as const) {
    it(`rolls a group of ${classic === 'classic' ? 'classic (eager)' : 'classic cooperative-sticky'} consumers to the consumer protocol and back under a steady producer`, () => roll(classic));
  }

  async function roll(classic: Classic): Promise<void> {
    const group = `${GROUP}-${classic}`;
    const topic = `${TOPIC}-${classic}`;
    /** This roll's members (every member is also in `members`, for the cleanup). */
    const mine: JavaMember[] = [];
    const summary = () => {
      const counts = read();
      const missing = Array.from({ length: FIRST_BATCH + STEADY }, (_, i) => `v${i}`).filter((v) => !counts.has(v));
      return `read ${counts.size} distinct values; missing ${missing.length}: ${missing.slice(0, 20).join(',')}; per member: ${mine.map((m) => `${m.name}=${m.values().length}`).join(' ')}`;
    };
    const explain = () => `${summary()}\n${mine.map((m) => m.describe()).join('\n')}\n--- broker ---\n${broker.logLines.slice(-25).join('\n')}`;
    const overlaps: string[] = [];
    const typesSeen: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const view = await owners(group);
        if (view.type !== undefined && typesSeen[typesSeen.length - 1] !== view.type) typesSeen.push(view.type);
        const seen = new Map<number, string>();
        for (const [member, ps] of view.byMember) {
          for (const p of ps) {
            if (seen.has(p)) overlaps.push(`${view.type}: partition ${p} owned by ${seen.get(p)} and ${member}`);
            seen.set(p, member);
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await produce(programs, broker.bootstrap, topic, 0, FIRST_BATCH);
    const live = new Map<string, JavaMember>();
    const start = (name: string, protocol: Classic | 'consumer') => {
      const m = startMember(programs, broker.bootstrap, group, topic, name, protocol);
      members.push(m);
      mine.push(m);
      live.set(name, m);
      return m;
    };
    const stop = async (name: string) => {
      await live.get(name)!.stop();
      live.delete(name);
    };
    // Consumed = printed after its commit, or in a poll whose commit a SIGTERM interrupted.
    const read = () => {
      const counts = countValues(mine);
      for (const m of mine) for (const v of m.interruptedValues()) counts.set(v, (counts.get(v) ?? 0) + 1);
      return counts;
    };
    const allAssigned = () => [...live.values()].every((m) => m.assignment().length > 0) && [...live.values()].reduce((n, m) => n + m.assignment().length, 0) === PARTITIONS;

    for (const name of ['classic-1', 'classic-2', 'classic-3']) start(name, classic);
    await waitFor('three classic members reading the first batch', () => read().size >= FIRST_BATCH && allAssigned(), explain);
    assert.equal(await groupType(group), 'classic');

    // A steady producer throughout both rolls.
    const producing = produce(programs, broker.bootstrap, topic, FIRST_BATCH, STEADY, RATE_PER_SECOND);

    // Upgrade: each classic member is replaced by a consumer-protocol one.
    const steps: { step: string; type: string | undefined; memberTypes: number[] }[] = [];
    const record = async (step: string) => {
      const view = await owners(group);
      steps.push({ step, type: view.type, memberTypes: [...view.memberTypes].sort() });
    };
    for (const i of [1, 2, 3]) {
      await stop(`classic-${i}`);
      const m = start(`consumer-${i}`, 'consumer');
      await waitFor(`consumer-${i} to get partitions`, () => m.assignment().length > 0 && allAssigned(), explain);
      await record(`consumer-${i} replaced classic-${i}`);
    }
    // Downgrade: each consumer-protocol member is replaced by a classic one.
    for (const i of [1, 2, 3]) {
      await stop(`consumer-${i}`);
      const m = start(`classic-again-${i}`, classic);
      await waitFor(`classic-again-${i} to get partitions`, () => m.assignment().length > 0 && allAssigned(), explain);
      await record(`classic-again-${i} replaced consumer-${i}`);
    }
    await producing;
    const total = FIRST_BATCH + STEADY;
    await waitFor('every record read', () => read().size >= total, explain, 120_000);

    // The committed offsets reach the log end on every partition (each poll is committed
    // before it is printed, and every record was printed).
    const ends = await admin.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: Array.from({ length: PARTITIONS }, (_, partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1 })) }] });
    const committed = await admin.request(ApiKey.OffsetFetch, 7, { groupId: group, topics: null, requireStable: false });
    const committedBy = new Map(committed.topics.find((t) => t.name === topic)!.partitions.map((p) => [p.partitionIndex, p.committedOffset]));
    for (const p of ends.topics[0]!.partitions) assert.equal(committedBy.get(p.partitionIndex), p.offset, `partition ${p.partitionIndex}: ${explain()}`);

    sampling = false;
    await sampler;
    for (const name of [...live.keys()]) await stop(name);

    const counts = read();
    const missing = Array.from({ length: total }, (_, i) => `v${i}`).filter((v) => !counts.has(v));
    assert.deepEqual(missing, [], `every record read at least once: ${explain()}`);
    assert.deepEqual(overlaps, [], 'no partition with two owners in the broker\'s view');
    // The group type after each step: consumer from the first consumer-protocol member until
    // the last one left; the classic members inside the consumer group are reported as such.
    assert.deepEqual(steps, [
      { step: 'consumer-1 replaced classic-1', type: 'consumer', memberTypes: [0, 0, 1] },
      { step: 'consumer-2 replaced classic-2', type: 'consumer', memberTypes: [0, 1, 1] },
      { step: 'consumer-3 replaced classic-3', type: 'consumer', memberTypes: [1, 1, 1] },
      { step: 'classic-again-1 replaced consumer-1', type: 'consumer', memberTypes: [0, 1, 1] },
      { step: 'classic-again-2 replaced consumer-2', type: 'consumer', memberTypes: [0, 0, 1] },
      { step: 'classic-again-3 replaced consumer-3', type: 'classic', memberTypes: [] },
    ], explain());
    assert.deepEqual(typesSeen, ['classic', 'consumer', 'classic'], `the group type as sampled: ${typesSeen.join(' → ')}`);
    assert.ok(broker.logLines.some((l) => l.includes('converted the classic group to a consumer group') && l.includes(group)), 'upgraded online');
    assert.ok(broker.logLines.some((l) => l.includes('converted the consumer group to a classic group') && l.includes(group)), 'downgraded online');
  }
});
