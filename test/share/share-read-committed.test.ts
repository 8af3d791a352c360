// share.isolation.level (Kafka 4.4's group config, default read_uncommitted) with Kafka's own
// KafkaShareConsumer and transactional producer (kafka-clients 4.4.0), one broker process:
// ShareClients "transactions" commits c0,c1, aborts a0,a1, leaves o0 in an open transaction
// and then writes n0 without a transaction; a member reads while the transaction is open,
// then after it commits.
//   - read_committed: c0,c1 while the transaction is open (nothing past the last stable
//     offset: not o0, not n0), then o0 and n0; a0 and a1 never (archived);
//   - read_uncommitted: everything, a0 and a1 included, o0 and n0 before the commit.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { compileJava, runJava, type JavaPrograms, type ProgramRun } from '../clients/transactions-target.js';
import { SHARE_BROKER_OVERRIDES } from './share-fixtures.js';

const TXN_OVERRIDES = { ...SHARE_BROKER_OVERRIDES, 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1, 'transaction.state.log.num.partitions': 3 };

function readsByPhase(run: ProgramRun): { open: string[]; after: string[] } {
  const reads = run.events.filter((e) => e.event === 'read') as unknown as { phase: string; value: string }[];
  return { open: reads.filter((r) => r.phase === 'open').map((r) => r.value), after: reads.filter((r) => r.phase === 'after').map((r) => r.value) };
}

describe('share.isolation.level with transactions (KafkaShareConsumer 4.4)', { timeout: 300_000 }, () => {
  let programs: JavaPrograms;
  let broker: BrokerProcess;
  const prefix = `share-txn-${randomBytes(3).toString('hex')}`;

  before(async () => {
    programs = await compileJava(await ensureKafkaLibs(), ['Out.java', 'Topics.java', 'ShareClients.java']);
    broker = await startBrokerProcess({ overrides: TXN_OVERRIDES });
  });

  after(async () => {
    await broker?.stop();
    if (programs) removeDir(programs.dir);
  });

  const run = async (isolation: string): Promise<{ open: string[]; after: string[] }> => {
    const r = await runJava(programs, 'ShareClients', ['transactions', broker.bootstrap, `${prefix}-${isolation}`, `${prefix}-g-${isolation}`, isolation], 120_000);
    assert.equal(r.code, 0, `${r.stdout.slice(-2000)}\n${r.stderr.split('\n').slice(-20).join('\n')}\n${broker.logLines.slice(-10).join('\n')}`);
    return readsByPhase(r);
  };

  it('read_committed: up to the last stable offset, aborted records never', async () => {
    const r = await run('read_committed');
    assert.deepEqual(r.open, ['c0', 'c1'], 'nothing past the open transaction');
    assert.deepEqual(r.after, ['o0', 'n0']);
  });

  it('read_uncommitted (the default): every record, aborted ones included', async () => {
    const r = await run('read_uncommitted');
    assert.deepEqual([...r.open, ...r.after].sort(), ['a0', 'a1', 'c0', 'c1', 'n0', 'o0']);
    assert.ok(r.open.includes('o0') && r.open.includes('n0'), `read before the commit: ${JSON.stringify(r)}`);
  });
});
