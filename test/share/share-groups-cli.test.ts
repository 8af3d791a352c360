// `tidelog share-groups` against Kafka 4.4's own kafka-share-groups tool (ShareGroupCommand,
// run with runKafkaClass) on the same Tidelog broker: the same flags print the same text.
// Share groups are made by the Java KafkaShareConsumer (test/clients/java/ShareClients.java):
// two groups that read a topic to its end, and one member kept alive for the member views.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { classPath, ensureKafkaLibs, javaBin, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { compileJava, runJava, type JavaPrograms } from '../clients/transactions-target.js';
import { isOneLineError, tidelog } from '../cli/run.js';
import { SHARE_BROKER_OVERRIDES } from './share-fixtures.js';

const SHARE_GROUP_COMMAND = 'org.apache.kafka.tools.consumer.group.ShareGroupCommand';

describe('tidelog share-groups and Kafka 4.4 kafka-share-groups print the same', { timeout: 480_000 }, () => {
  let broker: BrokerProcess;
  let libs: KafkaLibs;
  let programs: JavaPrograms;
  let holder: ChildProcess | undefined;
  let B: string[];
  const id = randomBytes(3).toString('hex');
  const topic = `orders-${id}`;
  const groupA = `readers-a-${id}`;
  const groupB = `readers-b-${id}`;
  const live = `live-${id}`;

  async function both(args: readonly string[]): Promise<{ ours: { code: number | null; stdout: string; stderr: string }; theirs: { code: number | null; stdout: string; stderr: string } }> {
    const [ours, theirs] = await Promise.all([tidelog(['share-groups', ...B, ...args]), runKafkaClass(libs, SHARE_GROUP_COMMAND, [...B, ...args], { heap: '256M', timeoutMs: 120_000 })]);
    return { ours, theirs };
  }

  before(async () => {
    libs = await ensureKafkaLibs();
    programs = await compileJava(libs, ['Out.java', 'Topics.java', 'ShareClients.java']);
    // A member killed leaves the group after the session timeout: 6 s here.
    broker = await startBrokerProcess({ overrides: { ...SHARE_BROKER_OVERRIDES, 'group.share.session.timeout.ms': 6000, 'group.share.min.session.timeout.ms': 6000 } });
    B = ['--bootstrap-server', broker.bootstrap];
    for (const g of [groupA, groupB]) {
      const run = await runJava(programs, 'ShareClients', ['three', broker.bootstrap, topic, g, '30'], 150_000);
      assert.equal(run.code, 0, run.stderr.split('\n').slice(-10).join('\n'));
    }
    // One member that stays (it holds 5 of 10 records of its own topic).
    const cp = `${programs.classes}${path.delimiter}${classPath(libs)}`;
    holder = spawn(javaBin(), ['-Xmx256M', '-XX:+UseSerialGC', `-Dlog4j2.configurationFile=${programs.log4jConfig}`, '-cp', cp, 'ShareClients', 'hold', broker.bootstrap, `held-${id}`, live, '10', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: holder!.stdout! }).on('line', (l) => {
        if (l.includes('"event":"held"')) resolve();
        if (l.includes('"event":"error"')) reject(new Error(l));
      });
      holder!.once('exit', () => reject(new Error('the holder exited')));
    });
  });

  after(async () => {
    holder?.kill('SIGKILL');
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    if (programs) removeDir(programs.dir);
  });

  it('--list and --list --state', async () => {
    for (const args of [['--list'], ['--list', '--state'], ['--list', '--state', 'Stable']]) {
      const { ours, theirs } = await both(args);
      assert.equal(theirs.code, 0, theirs.stderr);
      assert.equal(ours.code, 0, ours.stderr);
      // Kafka lists in hash order, Tidelog sorted; the header (if any) stays first.
      const lines = (t: string) => { const l = t.trimEnd().split('\n'); return args.includes('--state') ? [l[0], ...l.slice(1).sort()] : l.sort(); };
      assert.deepEqual(lines(ours.stdout), lines(theirs.stdout), args.join(' '));
    }
    const listed = (await tidelog(['share-groups', ...B, '--list'])).stdout.trim().split('\n');
    assert.deepEqual(listed.sort(), [groupA, groupB, live].sort());
  });

  it('--describe: offsets, members and state, with and without --verbose, of an empty group and of one with a member', async () => {
    for (const group of [groupA, live]) {
      for (const view of [[], ['--verbose'], ['--members'], ['--members', '--verbose'], ['--state'], ['--state', '--verbose']]) {
        const args = ['--describe', '--group', group, ...view];
        const { ours, theirs } = await both(args);
        assert.equal(theirs.code, 0, theirs.stderr);
        assert.equal(ours.code, 0, ours.stderr);
        assert.equal(ours.stdout, theirs.stdout, args.join(' '));
        assert.equal(ours.stderr, theirs.stderr, `${args.join(' ')} (standard error)`);
      }
    }
    // The live member holds 5 records: START-OFFSET 5, LAG 5.
    const d = await tidelog(['share-groups', ...B, '--describe', '--group', live]);
    assert.match(d.stdout, new RegExp(`${live} +held-${id} +0 +5 +5\\n`));
  });

  it('the HTTP admin API lists and describes share groups', async () => {
    const list = (await (await fetch(`${broker.adminUrl}/v1/share-groups`)).json()) as { groups: { groupId: string; state: string }[] };
    assert.deepEqual(list.groups.find((g) => g.groupId === live), { groupId: live, state: 'Stable' });
    const res = await fetch(`${broker.adminUrl}/v1/share-groups/${live}`);
    assert.equal(res.status, 200);
    const d = (await res.json()) as { state: string; assignor: string; members: { clientId: string; assignment: unknown }[]; offsets: unknown[] };
    assert.equal(d.state, 'Stable');
    assert.equal(d.assignor, 'simple');
    assert.deepEqual(d.members.map((m) => [m.clientId, m.assignment]), [['share-hold', [{ topic: `held-${id}`, partitions: [0] }]]]);
    assert.deepEqual(d.offsets, [{ topic: `held-${id}`, partition: 0, startOffset: 5, lag: 5 }]);
    assert.equal((await fetch(`${broker.adminUrl}/v1/share-groups/no-such-group`)).status, 404);
  });

  it('--reset-offsets: the plan, then --execute, as Kafka prints and applies them', async () => {
    const plan = ['--reset-offsets', '--group', groupA, '--topic', topic, '--to-earliest', '--dry-run'];
    const { ours, theirs } = await both(plan);
    assert.equal(theirs.code, 0, theirs.stderr);
    const sorted = (s: string) => s.split('\n').sort().join('\n');
    assert.equal(sorted(ours.stdout), sorted(theirs.stdout));
    const exec = await tidelog(['share-groups', ...B, '--reset-offsets', '--group', groupA, '--topic', `${topic}:1`, '--to-offset', '3', '--execute']);
    assert.equal(exec.code, 0, exec.stderr);
    const after = await both(['--describe', '--group', groupA]);
    assert.equal(after.ours.stdout, after.theirs.stdout);
    // Each "three" run produced 30 records over 3 partitions: 20 per partition now.
    assert.match(after.ours.stdout, new RegExp(`${groupA} +${topic} +1 +3 +17\\n`));
    // A group with a member cannot be reset.
    const refused = await tidelog(['share-groups', ...B, '--reset-offsets', '--group', live, '--topic', `held-${id}`, '--to-earliest', '--execute']);
    assert.equal(refused.code, 1);
    assert.ok(isOneLineError(refused), refused.stderr);
    assert.match(refused.stderr, /is not empty/);
  });

  it('--delete-offsets and --delete print what Kafka prints (ours on one group, Kafka on its twin)', async () => {
    const [ours, theirs] = await Promise.all([
      tidelog(['share-groups', ...B, '--delete-offsets', '--group', groupA, '--topic', topic]),
      runKafkaClass(libs, SHARE_GROUP_COMMAND, [...B, '--delete-offsets', '--group', groupB, '--topic', topic], { heap: '256M', timeoutMs: 120_000 }),
    ]);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    const [delOurs, delTheirs] = await Promise.all([
      tidelog(['share-groups', ...B, '--delete', '--group', groupA]),
      runKafkaClass(libs, SHARE_GROUP_COMMAND, [...B, '--delete', '--group', groupB], { heap: '256M', timeoutMs: 120_000 }),
    ]);
    assert.equal(delTheirs.code, 0, delTheirs.stderr);
    assert.equal(delOurs.stdout.replace(groupA, 'G'), delTheirs.stdout.replace(groupB, 'G'));
    assert.deepEqual((await tidelog(['share-groups', ...B, '--list'])).stdout, `${live}\n`);
    const missing = await tidelog(['share-groups', ...B, '--describe', '--group', 'no-such-group']);
    assert.equal(missing.code, 1);
    assert.ok(isOneLineError(missing), missing.stderr);
  });
});
