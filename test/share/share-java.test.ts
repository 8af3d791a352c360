// Share groups (KIP-932) with Apache Kafka's own KafkaShareConsumer (kafka-clients 4.4.0),
// against one Tidelog broker: test/clients/java/ShareClients.java, compiled at test time,
// prints every delivery as a JSON line; the assertions here check them.
//   - three members read every record exactly once between them (ACCEPT);
//   - REJECT archives a record, RELEASE redelivers it (to either member, delivery count + 1),
//     a record released every time is delivered group.share.delivery.count.limit (5) times
//     and then archived;
//   - the share-partition state survives a broker restart: records acknowledged before the
//     broker was killed are not delivered again, records acquired and not acknowledged are.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { classPath, ensureKafkaLibs, javaBin } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { compileJava, runJava, type JavaPrograms, type ProgramRun } from '../clients/transactions-target.js';
import { SHARE_BROKER_OVERRIDES } from './share-fixtures.js';

const RUN_TIMEOUT_MS = 150_000;


interface Read {
  readonly member: number;
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
  readonly deliveryCount: number;
  readonly ack: string;
}

function reads(run: ProgramRun): Read[] {
  return run.events.filter((e) => e.event === 'read') as unknown as Read[];
}

function explain(run: ProgramRun, broker: BrokerProcess): string {
  return [`exit ${run.code}`, run.stdout.split('\n').slice(-15).join('\n'), run.stderr.split('\n').slice(-15).join('\n'), broker.logLines.slice(-10).join('\n')].join('\n---\n');
}

describe('share groups with the Java KafkaShareConsumer (kafka-clients 4.4.0)', { timeout: 600_000 }, () => {
  let programs: JavaPrograms;
  let broker: BrokerProcess;
  const dataDir = tempDir('tidelog-share-');
  const prefix = `share-${randomBytes(3).toString('hex')}`;

  before(async () => {
    const libs = await ensureKafkaLibs();
    programs = await compileJava(libs, ['Out.java', 'Topics.java', 'ShareClients.java']);
    broker = await startBrokerProcess({ dataDir, overrides: SHARE_BROKER_OVERRIDES });
  });

  after(async () => {
    await broker?.stop();
    removeDir(dataDir);
    if (programs) removeDir(programs.dir);
  });

  it('three members read every record exactly once between them', async () => {
    const count = 60;
    const run = await runJava(programs, 'ShareClients', ['three', broker.bootstrap, `${prefix}-three`, `${prefix}-g-three`, String(count)], RUN_TIMEOUT_MS);
    assert.equal(run.code, 0, explain(run, broker));
    const all = reads(run);
    const values = all.map((r) => r.value).sort();
    const expected = Array.from({ length: count }, (_, i) => `v${i}`).sort();
    assert.deepEqual(values, expected, 'every record read once');
    assert.ok(all.every((r) => r.deliveryCount === 1), 'no record was delivered twice');
  });

  it('REJECT archives a record, RELEASE redelivers it, and past group.share.delivery.count.limit a record is archived', async () => {
    const run = await runJava(programs, 'ShareClients', ['reject-release', broker.bootstrap, `${prefix}-rr`, `${prefix}-g-rr`], RUN_TIMEOUT_MS);
    assert.equal(run.code, 0, explain(run, broker));
    const all = reads(run);
    const of = (v: string) => all.filter((r) => r.value === v);
    assert.equal(of('ok-0').length, 1);
    assert.equal(of('ok-1').length, 1);
    assert.equal(of('reject').length, 1, 'a rejected record is not delivered again');
    assert.deepEqual(of('release-once').map((r) => [r.deliveryCount, r.ack]), [[1, 'RELEASE'], [2, 'ACCEPT']]);
    // Delivered with counts 1..5 (the default limit), then archived: never a sixth time.
    assert.deepEqual(of('release-always').map((r) => r.deliveryCount), [1, 2, 3, 4, 5]);
  });

  it('acknowledged records stay acknowledged across a broker restart; acquired ones are delivered again', async () => {
    const topic = `${prefix}-hold`;
    const group = `${prefix}-g-hold`;
    // The holder acknowledges offsets 0-4 of 10 and keeps 5-9 acquired; the broker is killed
    // while it holds them.
    const cp = `${programs.classes}${path.delimiter}${classPath(programs.libs)}`;
    const holder = spawn(javaBin(), ['-Xmx256M', '-XX:+UseSerialGC', `-Dlog4j2.configurationFile=${programs.log4jConfig}`, '-cp', cp, 'ShareClients', 'hold', broker.bootstrap, topic, group, '10', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const holderLines: string[] = [];
    const holderErr: string[] = [];
    createInterface({ input: holder.stderr! }).on('line', (l) => holderErr.push(l));
    const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: holder.stdout! }).on('line', (l) => {
          holderLines.push(l);
          if (l.includes('"event":"held"')) resolve();
          if (l.includes('"event":"error"')) reject(new Error(`holder failed: ${l}\n${holderErr.slice(-15).join('\n')}`));
        });
        void exited.then(() => reject(new Error(`holder exited early:\n${holderLines.join('\n')}\n${holderErr.slice(-15).join('\n')}`)));
      });
      await broker.kill();
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    const held = holderLines.filter((l) => l.includes('"event":"read"')).map((l) => JSON.parse(l) as Read);
    assert.deepEqual(held.map((r) => [r.offset, r.ack]), [[0, 'ACCEPT'], [1, 'ACCEPT'], [2, 'ACCEPT'], [3, 'ACCEPT'], [4, 'ACCEPT'], [5, 'HOLD'], [6, 'HOLD'], [7, 'HOLD'], [8, 'HOLD'], [9, 'HOLD']]);

    broker = await startBrokerProcess({ dataDir, overrides: SHARE_BROKER_OVERRIDES });
    const run = await runJava(programs, 'ShareClients', ['drain', broker.bootstrap, topic, group, '5'], RUN_TIMEOUT_MS);
    assert.equal(run.code, 0, explain(run, broker));
    const after = reads(run);
    assert.deepEqual(after.map((r) => r.offset), [5, 6, 7, 8, 9], 'only the records held when the broker died are delivered again');
    assert.ok(after.every((r) => r.deliveryCount === 2), `delivery counts after the restart: ${after.map((r) => r.deliveryCount).join(',')}`);
  });
});
