// `tidelog consumer-groups` (list, describe with lag like Kafka's tool, reset offsets with a
// plan or --execute, delete) with a live kafkajs member, and the perf tools' output.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { ensureKafkaLibs, runKafkaClass } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { isOneLineError, tidelog } from './run.js';

function rows(stdout: string): string[][] {
  return stdout.trim().split('\n').filter((l) => l.length > 0 && !l.startsWith('Consumer group')).map((l) => l.trim().split(/\s+/));
}

describe('tidelog consumer-groups and the perf tools', { timeout: 240_000 }, () => {
  let broker: BrokerProcess;
  let B: string[];
  let consumer: Consumer | null = null;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0 } });
    B = ['--bootstrap-server', broker.bootstrap];
  });

  after(async () => {
    await consumer?.disconnect().catch(() => {});
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('describes a live group with lag, refuses to reset it, then resets and deletes it once Empty', async () => {
    assert.equal((await tidelog(['topics', ...B, '--create', '--topic', 'payments', '--partitions', '2'])).code, 0);
    const input = Array.from({ length: 10 }, (_, i) => `k${i}\tv${i}`).join('\n');
    assert.equal((await tidelog(['console-producer', ...B, '--topic', 'payments', '--property', 'parse.key=true'], { input })).code, 0);

    const kafka = new Kafka({ clientId: 'payments-app', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: 'payments-app', sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    let seen = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: 'payments', fromBeginning: true });
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void seen++ });
    await waitFor('kafkajs consumed everything', () => seen >= 10);

    assert.equal((await tidelog(['consumer-groups', ...B, '--list'])).stdout, 'payments-app\n');
    let table: string[][] = [];
    await waitFor('lag 0 in the describe table', async () => {
      const r = await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app']);
      table = rows(r.stdout);
      return table.length === 3 && table.slice(1).every((row) => row[5] === '0');
    });
    assert.deepEqual(table[0], ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
    const total = table.slice(1).reduce((n, row) => n + Number(row[4]), 0);
    assert.equal(total, 10);
    for (const row of table.slice(1)) {
      assert.equal(row[0], 'payments-app');
      assert.equal(row[1], 'payments');
      assert.equal(row[3], row[4], 'current = log end');
      assert.match(row[6]!, /^payments-app-/, 'the consumer id');
      assert.equal(row[8], 'payments-app', 'the client id');
    }
    const state = await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app', '--state']);
    assert.match(state.stdout, /payments-app\s+127\.0\.0\.1:\d+ {2}\(0\)\s+\S+\s+Stable\s+1/);
    const members = await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app', '--members']);
    assert.match(members.stdout, /payments-app\s+payments-app-\S+\s+\S+\s+payments-app\s+2/);
    const verbose = await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app', '--members', '--verbose']);
    assert.deepEqual(rows(verbose.stdout)[0], ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'CURRENT-EPOCH', 'CURRENT-ASSIGNMENT', 'TARGET-EPOCH', 'TARGET-ASSIGNMENT']);
    assert.equal(rows(verbose.stdout)[1]![6], 'payments:0,1');
    // Each describe view, byte for byte, as Kafka 4.4's ConsumerGroupCommand prints it for the same live group.
    const libs = await ensureKafkaLibs();
    for (const view of [[], ['--members'], ['--members', '--verbose'], ['--state']]) {
      const args = [...B, '--describe', '--group', 'payments-app', ...view];
      const [ours, theirs] = await Promise.all([tidelog(['consumer-groups', ...args]), runKafkaClass(libs, 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', args, { heap: '256M', timeoutMs: 120_000 })]);
      assert.equal(theirs.code, 0, theirs.stderr);
      assert.equal(ours.stdout, theirs.stdout, `--describe ${view.join(' ')}`);
    }
    const busyOffsets = await tidelog(['consumer-groups', ...B, '--delete-offsets', '--group', 'payments-app', '--topic', 'payments']);
    assert.equal(busyOffsets.code, 1, 'a partition failed');
    assert.match(busyOffsets.stdout, /\npayments {8}0 {10}Error: GROUP_SUBSCRIBED_TO_TOPIC: Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it\.\n/);

    const busy = await tidelog(['consumer-groups', ...B, '--reset-offsets', '--group', 'payments-app', '--topic', 'payments', '--to-earliest', '--execute']);
    assert.equal(busy.code, 1);
    assert.ok(isOneLineError(busy), busy.stderr);
    assert.match(busy.stderr, /can only be reset if the group 'payments-app' is inactive, but the current state is Stable/);
    const busyDelete = await tidelog(['consumer-groups', ...B, '--delete', '--group', 'payments-app']);
    assert.equal(busyDelete.code, 1);
    assert.match(busyDelete.stderr, /is not empty/);

    await consumer.disconnect();
    consumer = null;
    const empty = await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app']);
    assert.match(empty.stdout, /Consumer group 'payments-app' has no active members\./);
    assert.ok(rows(empty.stdout).slice(1).every((row) => row[6] === '-'));

    const plan = await tidelog(['consumer-groups', ...B, '--reset-offsets', '--group', 'payments-app', '--topic', 'payments', '--to-earliest', '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(rows(plan.stdout), [['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ['payments-app', 'payments', '0', '0'], ['payments-app', 'payments', '1', '0']]);
    assert.ok(rows((await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app'])).stdout).slice(1).every((row) => row[5] === '0'), 'a plan changes nothing');

    const executed = await tidelog(['consumer-groups', ...B, '--reset-offsets', '--group', 'payments-app', '--topic', 'payments', '--to-earliest', '--execute']);
    assert.equal(executed.code, 0, executed.stderr);
    let after = rows((await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app'])).stdout).slice(1);
    assert.equal(after.reduce((n, row) => n + Number(row[5]), 0), 10, 'lag is everything');

    assert.equal((await tidelog(['consumer-groups', ...B, '--reset-offsets', '--group', 'payments-app', '--topic', 'payments:0', '--shift-by', '2', '--execute'])).code, 0);
    after = rows((await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app'])).stdout).slice(1);
    assert.equal(after.find((r) => r[2] === '0')![3], String(Math.min(2, Number(after.find((r) => r[2] === '0')![4]))));

    const future = new Date(Date.now() + 3_600_000).toISOString().replace(/Z$/, 'Z');
    assert.equal((await tidelog(['consumer-groups', ...B, '--reset-offsets', '--group', 'payments-app', '--all-topics', '--to-datetime', future.slice(0, 23) + 'Z', '--execute'])).code, 0);
    after = rows((await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app'])).stdout).slice(1);
    assert.ok(after.every((row) => row[5] === '0'), 'no record that late: the log end');
    const badDate = await tidelog(['consumer-groups', ...B, '--reset-offsets', '--group', 'payments-app', '--all-topics', '--to-datetime', 'yesterday']);
    assert.equal(badDate.code, 2);

    // --delete-offsets as Kafka's ConsumerGroupCommand prints it (ours on partition 0, then theirs on 1).
    const ours = await tidelog(['consumer-groups', ...B, '--delete-offsets', '--group', 'payments-app', '--topic', 'payments:0']);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, 'Request succeeded for deleting offsets from group payments-app.\n\nTOPIC           PARTITION  STATUS         \npayments        0          Successful     \n');
    after = rows((await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app'])).stdout).slice(1);
    assert.deepEqual(after.map((row) => row[2]), ['1'], 'only partition 1 still has a committed offset');
    const theirs = await runKafkaClass(libs, 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', [...B, '--delete-offsets', '--group', 'payments-app', '--topic', 'payments:1'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(ours.stdout.replace(/\npayments( +)0 /, '\npayments$11 '), theirs.stdout);
    // With no offsets left the Empty group is gone (as in Kafka); commit again for --delete below.
    assert.equal((await tidelog(['consumer-groups', ...B, '--reset-offsets', '--group', 'payments-app', '--topic', 'payments', '--to-earliest', '--execute'])).code, 0);

    const deleted = await tidelog(['consumer-groups', ...B, '--delete', '--group', 'payments-app']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, "Deletion of requested consumer groups ('payments-app') was successful.\n");
    const gone = await tidelog(['consumer-groups', ...B, '--describe', '--group', 'payments-app']);
    assert.equal(gone.stderr, "tidelog: consumer group 'payments-app' does not exist\n");
  });

  it('producer-perf prints Kafka-style summary lines and JSON; consumer-perf reads them back', async () => {
    const r = await tidelog(['producer-perf', ...B, '--topic', 'perf', '--num-records', '20000', '--record-size', '100', '--throughput', '-1', '--producer-props', 'acks=1', 'linger.ms=2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^20000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.\n$/);
    const json = await tidelog(['producer-perf', ...B, '--topic', 'perf', '--num-records', '500', '--record-size', '10', '--throughput', '5000', '--producer-props', 'compression.type=gzip', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const summary = JSON.parse(json.stdout) as { records: number; recordsPerSec: number; p99Ms: number };
    assert.equal(summary.records, 500);
    assert.ok(summary.recordsPerSec < 5000 * 1.5, `throttled to about 5000/s: ${summary.recordsPerSec}`);

    const consumed = await tidelog(['consumer-perf', ...B, '--topic', 'perf', '--messages', '20500']);
    assert.equal(consumed.code, 0, consumed.stderr);
    const [header, line] = consumed.stdout.trimEnd().split('\n');
    assert.equal(header, 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    assert.equal(line!.split(', ')[4], '20500');
    const detailed = await tidelog(['consumer-perf', ...B, '--topic', 'perf', '--messages', '5000', '--show-detailed-stats', '--reporting-interval', '1000']);
    assert.equal(detailed.code, 0, detailed.stderr);
    const detailedLines = detailed.stdout.trimEnd().split('\n');
    assert.equal(detailedLines[0], 'time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    for (const l of detailedLines.slice(1)) assert.match(l, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, 0, [\d.]+, [\d.]+, \d+, [\d.]+, \d+, \d+, [\d.]+, [\d.]+$/);
    assert.equal(detailedLines.at(-1)!.split(', ')[4], '5000', 'the last line counts every record; no summary line follows');
    const perfJson = await tidelog(['consumer-perf', ...B, '--topic', 'perf', '--messages', '100', '--group', 'perf-readers', '--json']);
    assert.equal((JSON.parse(perfJson.stdout) as { records: number }).records, 100);
  });
});
