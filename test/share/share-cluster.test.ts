// Share groups in a three-broker cluster on a real ZooKeeper: the share-partition leader of
// the partition a member holds records of is killed with SIGKILL; the records it acknowledged
// are not delivered again and those it held are, from the new leader, which reads the state
// from the share coordinator (the leader of the state's __share_group_state partition, over
// ReadShareGroupState / WriteShareGroupState when that is another broker). Then the group's
// offsets are reset to the earliest and every record is delivered again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { classPath, ensureKafkaLibs, javaBin } from '../../bench/kafka-dist.js';
import { removeDir } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { compileJava, runJava, type JavaPrograms } from '../clients/transactions-target.js';
import { tidelog } from '../cli/run.js';
import { ThreeBrokerCluster } from '../cluster/three-brokers.js';
import { zookeeperInstalled } from '../cluster/zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'share-jobs';
const GROUP = 'share-workers';

describe('share groups through a share-partition leader kill (three brokers, real ZooKeeper)', { timeout: 400_000, skip: zookeeperInstalled() ? false : 'ZooKeeper is not installed (scripts/install-test-deps.sh)' }, () => {
  let cluster: ThreeBrokerCluster;
  let programs: JavaPrograms;
  const bootstrap = (): string => cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(',');

  before(async () => {
    programs = await compileJava(await ensureKafkaLibs(), ['Out.java', 'Topics.java', 'ShareClients.java']);
    cluster = await ThreeBrokerCluster.start({
      chroot: '/tidelog-share-failover',
      overrides: {
        'zookeeper.session.timeout.ms': 4_000,
        'replica.lag.time.max.ms': 5_000,
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 3,
        'share.coordinator.state.topic.replication.factor': 3,
        'share.coordinator.state.topic.min.isr': 2,
        'share.coordinator.state.topic.num.partitions': 3,
        'group.share.session.timeout.ms': 6_000,
        'group.share.min.session.timeout.ms': 6_000,
        'auto.leader.rebalance.enable': false,
      },
    });
    await cluster.createTopic(TOPIC, 1, 3, { 'min.insync.replicas': '2' });
    const produced = await kcat(['-P', '-b', bootstrap(), '-t', TOPIC, '-p', '0', '-X', 'acks=all'], `${Array.from({ length: 10 }, (_, i) => `h${i}`).join('\n')}\n`);
    assert.equal(produced.code, 0, produced.stderr);
    // The group's start offset (AlterShareGroupOffsets through its coordinator, written by the share coordinator).
    const reset = await tidelog(['share-groups', '--bootstrap-server', bootstrap(), '--reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-earliest', '--execute']);
    assert.equal(reset.code, 0, reset.stderr);
  });

  after(async () => {
    await cluster?.close();
    if (programs) removeDir(programs.dir);
  });

  it('acknowledged records stay acknowledged and held ones come back after the leader is killed', async () => {
    const cp = `${programs.classes}${path.delimiter}${classPath(programs.libs)}`;
    const holder = spawn(javaBin(), ['-Xmx256M', '-XX:+UseSerialGC', `-Dlog4j2.configurationFile=${programs.log4jConfig}`, '-cp', cp, 'ShareClients', 'hold-existing', bootstrap(), TOPIC, GROUP, '10', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const err: string[] = [];
    createInterface({ input: holder.stderr! }).on('line', (l) => err.push(l));
    const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    let leader = -1;
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: holder.stdout! }).on('line', (l) => {
          lines.push(l);
          if (l.includes('"event":"held"')) resolve();
          if (l.includes('"event":"error"')) reject(new Error(`${l}\n${err.slice(-15).join('\n')}`));
        });
        void exited.then(() => reject(new Error(`holder exited:\n${lines.join('\n')}\n${err.slice(-15).join('\n')}`)));
      });
      leader = (await cluster.metadata(TOPIC)).partitions[0]!.leader;
      await cluster.kill(leader);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    const held = lines.filter((l) => l.includes('"event":"read"')).map((l) => JSON.parse(l) as { offset: number; ack: string });
    assert.deepEqual(held.map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const run = await runJava(programs, 'ShareClients', ['drain', bootstrap(), TOPIC, GROUP, '5'], 180_000);
    assert.equal(run.code, 0, `${run.stdout.slice(-2000)}\n${run.stderr.split('\n').slice(-20).join('\n')}`);
    const after = run.events.filter((e) => e.event === 'read') as unknown as { offset: number; deliveryCount: number }[];
    assert.deepEqual(after.map((r) => r.offset), [5, 6, 7, 8, 9], `killed broker ${leader}; read after: ${JSON.stringify(after)}`);
    assert.ok(after.every((r) => r.deliveryCount === 2));

    // The group empty again (the killed holder's session expired), its offsets reset to the
    // earliest through its coordinator: the share coordinator's state moves to a new state
    // epoch (keeping the leader epoch the new leader wrote, which a lower one would be fenced
    // by), and the share-partition leader, which still caches the old window, checks the state
    // epoch when a new session opens: every record is delivered again, once.
    await waitFor('the reset of the empty group', async () => (await tidelog(['share-groups', '--bootstrap-server', bootstrap(), '--reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-earliest', '--execute'])).code === 0, { timeoutMs: 60_000, intervalMs: 1_000 });
    const again = await runJava(programs, 'ShareClients', ['drain', bootstrap(), TOPIC, GROUP, '10'], 180_000);
    assert.equal(again.code, 0, `${again.stdout.slice(-2000)}\n${again.stderr.split('\n').slice(-20).join('\n')}`);
    const reread = again.events.filter((e) => e.event === 'read') as unknown as { offset: number; deliveryCount: number }[];
    assert.deepEqual(reread.map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], `after the reset: ${JSON.stringify(reread)}`);
    assert.ok(reread.every((r) => r.deliveryCount === 1));
  });
});
