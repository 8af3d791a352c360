// Transactions with Apache Kafka's own Java client (kafka-clients 4.4.0, the jars of
// scripts/fetch-kafka.sh), the programs in test/clients/java/TxnClients.java compiled with
// javac at test time. Each program prints what it sent and what its consumers read as JSON
// lines; the assertions here compute what should have been read from what was sent.
//
// The broker is Tidelog, or Apache Kafka 4.4.0 with TIDELOG_TXN_TEST_TARGET=kafka (the
// reference these assertions were validated against; see transactions-target.ts). Every
// client call blocks at most 30 s (max.block.ms, default.api.timeout.ms), so a broker
// without transactions fails each scenario within about that, naming the client's exception.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir } from '../helpers/broker-process.js';
import {
  compileJava,
  assertTransactionVersion,
  failure,
  inLogOrder,
  offsetsOf,
  recordsByPartition,
  runJava,
  startTxnTarget,
  txnTargetKind,
  txnTargetTitle,
  valuesOf,
  type JavaPrograms,
  type ProgramRun,
  type Seen,
  type TxnTarget,
} from './transactions-target.js';

const kind = txnTargetKind();
const RUN_TIMEOUT_MS = 120_000;
const FENCED = /org\.apache\.kafka\.common\.errors\.(ProducerFencedException|InvalidProducerEpochException)/;

interface Sent extends Seen {
  readonly label: string;
  readonly txn: number;
  readonly outcome: 'commit' | 'abort' | 'plain';
}

function sent(run: ProgramRun, label: string, keep: (s: Sent) => boolean = () => true): Sent[] {
  return (run.events.filter((e) => e.event === 'sent' && e.label === label) as unknown as Sent[]).filter(keep);
}

function endOffsets(run: ProgramRun, label: string): Record<number, number> {
  return Object.fromEntries(run.events.filter((e) => e.event === 'end-offset' && e.label === label).map((e) => [e.partition as number, e.offset as number]));
}

describe(`Transactions with the Java client (kafka-clients 4.4.0) against ${txnTargetTitle(kind)}`, { timeout: 480_000 }, () => {
  let target: TxnTarget;
  let programs: JavaPrograms;
  // Topic and transactional id prefix, unique per run.
  const prefix = `java-${randomBytes(3).toString('hex')}`;

  before(async () => {
    const libs = await ensureKafkaLibs();
    programs = await compileJava(libs, ['Out.java', 'Topics.java', 'TxnClients.java']);
    target = await startTxnTarget(kind, libs);
  });

  after(async () => {
    await target?.stop();
    if (programs) removeDir(programs.dir);
  });

  async function scenario(name: string): Promise<ProgramRun> {
    const run = await runJava(programs, 'TxnClients', [name, target.bootstrap, prefix], RUN_TIMEOUT_MS);
    assert.equal(run.code, 0, `TxnClients ${name}: ${failure(run, target)}`);
    assertTransactionVersion(run, target);
    return run;
  }

  describe('committed and aborted transactions over three partitions', () => {
    let run: ProgramRun | undefined;

    it('a transactional producer commits six transactions, aborts three, and commits one more that was left open', async () => {
      run = await scenario('commit-abort');
      const all = sent(run, 'mixed');
      // 10 transactions of 4 records per partition (the last, 2) over 3 partitions.
      assert.equal(all.length, 9 * 4 * 3 + 2 * 3);
      assert.deepEqual(
        run.events.filter((e) => e.event === 'end-txn').map((e) => e.commit),
        [true, false, true, true, false, true, true, false, true, true],
      );
    });

    it('read_committed reads exactly the committed records, in order per partition, none of the aborted', () => {
      assert.ok(run, 'the producer run failed (above)');
      const expected = inLogOrder(sent(run, 'mixed', (s) => s.outcome === 'commit'));
      const got = recordsByPartition(run, 'read_committed');
      assert.deepEqual(valuesOf(got), valuesOf(expected));
      assert.deepEqual(offsetsOf(got), offsetsOf(expected), 'each record at the offset its producer was told');
    });

    it('read_uncommitted reads every record, the aborted ones included, in order per partition', () => {
      assert.ok(run, 'the producer run failed (above)');
      const expected = inLogOrder(sent(run, 'mixed'));
      const got = recordsByPartition(run, 'read_uncommitted');
      assert.deepEqual(valuesOf(got), valuesOf(expected));
      assert.deepEqual(offsetsOf(got), offsetsOf(expected));
    });

    it('an open transaction holds read_committed at its first offset (the last stable offset); read_uncommitted reads past it', () => {
      assert.ok(run, 'the producer run failed (above)');
      const open = inLogOrder(sent(run, 'mixed', (s) => s.txn === 9));
      const lso = endOffsets(run, 'open-read_committed');
      for (const [p, records] of open) assert.equal(lso[p], records[0]!.offset, `partition ${p}: read_committed end offset is the open transaction's first offset`);
      assert.deepEqual(valuesOf(recordsByPartition(run, 'open-read_committed')), valuesOf(inLogOrder(sent(run, 'mixed', (s) => s.outcome === 'commit' && s.txn < 9))));
      assert.deepEqual(valuesOf(recordsByPartition(run, 'open-read_uncommitted')), valuesOf(inLogOrder(sent(run, 'mixed'))));
    });
  });

  describe('consume-transform-produce with sendOffsetsToTransaction', () => {
    let run: ProgramRun | undefined;

    it("the group's committed offsets are those sent to the transaction after a commit, and unchanged after an abort", async () => {
      run = await scenario('ctp');
      const txns = run.events.filter((e) => e.event === 'ctp-txn');
      assert.ok(txns.some((t) => t.commit === true) && txns.some((t) => t.commit === false), `both commits and aborts: ${JSON.stringify(txns)}`);
      for (const t of txns) {
        if (t.commit) assert.deepEqual(t.after, t.offsets, `transaction ${t.txn} committed: ${JSON.stringify(t)}`);
        else assert.deepEqual(t.after, t.before, `transaction ${t.txn} aborted: ${JSON.stringify(t)}`);
      }
      const final = run.events.find((e) => e.event === 'group-offsets');
      assert.deepEqual(final?.offsets, { 0: 30, 1: 30, 2: 30 }, 'the whole input consumed, as the admin client reads it (requireStable)');
    });

    it('read_committed reads each input record transformed exactly once, in input order; read_uncommitted also the aborted copies', () => {
      assert.ok(run, 'the consume-transform-produce run failed (above)');
      const input = valuesOf(inLogOrder(sent(run, 'input')));
      const transformed = Object.fromEntries(Object.entries(input).map(([p, vs]) => [p, vs.map((v) => `out:${v}`)]));
      assert.deepEqual(valuesOf(recordsByPartition(run, 'read_committed')), transformed);
      const output = sent(run, 'output');
      assert.ok(output.some((s) => s.outcome === 'abort'));
      assert.deepEqual(valuesOf(recordsByPartition(run, 'read_uncommitted')), valuesOf(inLogOrder(output)));
    });
  });

  it('a zombie producer is fenced once a new instance with its transactional.id calls initTransactions', async () => {
    const run = await scenario('zombie');
    for (const name of ['commit', 'send']) {
      const commit = run.events.find((e) => e.event === 'zombie-commit' && e.case === name);
      assert.equal(commit?.ok, false, `${name}: the zombie's commitTransaction must fail`);
      assert.match(JSON.stringify(commit?.chain), FENCED, name);
    }
    // Straight to commitTransaction: the coordinator's answer to the zombie's EndTxn.
    assert.match(JSON.stringify(run.events.find((e) => e.event === 'zombie-commit' && e.case === 'commit')?.chain), /ProducerFencedException/);
    const zombieSend = run.events.find((e) => e.event === 'zombie-send');
    assert.equal(zombieSend?.ok, false, "the zombie's send after the fence must fail");
    assert.match(JSON.stringify(zombieSend?.chain), FENCED);
    // Only the new instances' transactions are visible to read_committed; the zombies' open
    // transactions were aborted by the new instances' InitProducerId.
    assert.deepEqual(valuesOf(recordsByPartition(run, 'read_committed')), { 0: ['new-commit-0', 'new-send-0'], 1: ['new-commit-1', 'new-send-1'] });
    assert.deepEqual(valuesOf(recordsByPartition(run, 'read_uncommitted')), { 0: ['zombie-commit-1', 'new-commit-0', 'zombie-send-1', 'new-send-0'], 1: ['new-commit-1', 'new-send-1'] });
  });
});
