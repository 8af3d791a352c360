// Transactions with a second, non-JVM client: librdkafka 2.16 through confluent-kafka
// (Confluent's Python client, installed from PyPI by scripts/fetch-python-kafka.sh), the
// program test/clients/python/txn_client.py. It prints what it sent and what its consumers
// read as JSON lines; the assertions compute what should have been read from what was sent.
//
// The broker is Tidelog, or Apache Kafka 4.4.0 with TIDELOG_TXN_TEST_TARGET=kafka (see
// transactions-target.ts). Every client call blocks at most 30 s, so a broker without
// transactions fails each scenario within about that, naming librdkafka's error.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ensurePythonKafka, failure, inLogOrder, offsetsOf, recordsByPartition, runPython, startTxnTarget, txnTargetKind, txnTargetTitle, valuesOf, type ProgramRun, type Seen, type TxnTarget } from './transactions-target.js';

const kind = txnTargetKind();
const RUN_TIMEOUT_MS = 120_000;

interface Sent extends Seen {
  readonly label: string;
  readonly txn: number;
  readonly outcome: 'commit' | 'abort' | 'plain';
}

function sent(run: ProgramRun, keep: (s: Sent) => boolean = () => true): Sent[] {
  return (run.events.filter((e) => e.event === 'sent') as unknown as Sent[]).filter(keep);
}

function endOffsets(run: ProgramRun, label: string): Record<number, number> {
  return Object.fromEntries(run.events.filter((e) => e.event === 'end-offset' && e.label === label).map((e) => [e.partition as number, e.offset as number]));
}

describe(`Transactions with librdkafka (confluent-kafka for Python) against ${txnTargetTitle(kind)}`, { timeout: 360_000 }, () => {
  let target: TxnTarget;
  let python: string;
  const prefix = `python-${randomBytes(3).toString('hex')}`;

  before(async () => {
    python = await ensurePythonKafka();
    target = await startTxnTarget(kind);
  });

  after(async () => {
    await target?.stop();
  });

  async function scenario(name: string): Promise<ProgramRun> {
    const run = await runPython(python, 'txn_client.py', [name, target.bootstrap, prefix], RUN_TIMEOUT_MS);
    assert.equal(run.code, 0, `txn_client.py ${name}: ${failure(run, target)}`);
    return run;
  }

  describe('committed and aborted transactions over three partitions', () => {
    let run: ProgramRun | undefined;

    it('a transactional producer commits four transactions, aborts two, and commits one more that was left open', async () => {
      run = await scenario('commit-abort');
      assert.equal(sent(run).length, 6 * 3 * 3 + 2 * 3);
      assert.deepEqual(
        run.events.filter((e) => e.event === 'end-txn').map((e) => e.commit),
        [true, false, true, true, false, true, true],
      );
    });

    it('read_committed reads exactly the committed records, in order per partition, none of the aborted', () => {
      assert.ok(run, 'the producer run failed (above)');
      const expected = inLogOrder(sent(run, (s) => s.outcome === 'commit'));
      const got = recordsByPartition(run, 'read_committed');
      assert.deepEqual(valuesOf(got), valuesOf(expected));
      assert.deepEqual(offsetsOf(got), offsetsOf(expected));
    });

    it('read_uncommitted reads every record, the aborted ones included, in order per partition', () => {
      assert.ok(run, 'the producer run failed (above)');
      const expected = inLogOrder(sent(run));
      const got = recordsByPartition(run, 'read_uncommitted');
      assert.deepEqual(valuesOf(got), valuesOf(expected));
      assert.deepEqual(offsetsOf(got), offsetsOf(expected));
    });

    it('an open transaction holds read_committed at its first offset (the last stable offset); read_uncommitted reads past it', () => {
      assert.ok(run, 'the producer run failed (above)');
      const open = inLogOrder(sent(run, (s) => s.txn === 6));
      const lso = endOffsets(run, 'open-read_committed');
      for (const [p, records] of open) assert.equal(lso[p], records[0]!.offset, `partition ${p}: read_committed ends at the open transaction's first offset`);
      assert.deepEqual(valuesOf(recordsByPartition(run, 'open-read_committed')), valuesOf(inLogOrder(sent(run, (s) => s.outcome === 'commit' && s.txn < 6))));
      assert.deepEqual(valuesOf(recordsByPartition(run, 'open-read_uncommitted')), valuesOf(inLogOrder(sent(run))));
    });
  });

  describe('consume-transform-produce with send_offsets_to_transaction', () => {
    let run: ProgramRun | undefined;

    it("the group's committed offsets are those sent to the transaction after a commit, and unchanged after an abort", async () => {
      run = await scenario('ctp');
      const txns = run.events.filter((e) => e.event === 'ctp-txn');
      assert.ok(txns.some((t) => t.commit === true) && txns.some((t) => t.commit === false), `both commits and aborts: ${JSON.stringify(txns)}`);
      for (const t of txns) {
        if (t.commit) assert.deepEqual(t.after, t.offsets, `transaction ${t.txn} committed: ${JSON.stringify(t)}`);
        else assert.deepEqual(t.after, t.before, `transaction ${t.txn} aborted: ${JSON.stringify(t)}`);
      }
      assert.deepEqual(run.events.find((e) => e.event === 'group-offsets')?.offsets, { 0: 20, 1: 20, 2: 20 }, 'the whole input consumed');
    });

    it('read_committed reads each input record transformed exactly once, in input order; read_uncommitted also the aborted copies', () => {
      assert.ok(run, 'the consume-transform-produce run failed (above)');
      const input = valuesOf(inLogOrder(sent(run, (s) => s.label === 'input')));
      const transformed = Object.fromEntries(Object.entries(input).map(([p, vs]) => [p, vs.map((v) => `out:${v}`)]));
      assert.deepEqual(valuesOf(recordsByPartition(run, 'read_committed')), transformed);
      const output = sent(run, (s) => s.label === 'output');
      assert.ok(output.some((s) => s.outcome === 'abort'));
      assert.deepEqual(valuesOf(recordsByPartition(run, 'read_uncommitted')), valuesOf(inLogOrder(output)));
    });
  });

  it('a zombie producer is fenced once a new instance with its transactional.id calls init_transactions', async () => {
    const run = await scenario('zombie');
    const commit = run.events.find((e) => e.event === 'zombie-commit');
    assert.equal(commit?.ok, false, "the zombie's commit_transaction must fail");
    // librdkafka reports the fencing as _FENCED (fatal) or the broker's PRODUCER_FENCED / INVALID_PRODUCER_EPOCH.
    assert.match(String((commit?.error as { name?: string } | undefined)?.name), /^(_FENCED|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH)$/, JSON.stringify(commit));
    assert.deepEqual(valuesOf(recordsByPartition(run, 'read_committed')), { 0: ['new-1'], 1: ['new-2'] });
    assert.deepEqual(valuesOf(recordsByPartition(run, 'read_uncommitted')), { 0: ['zombie-1', 'new-1'], 1: ['new-2'] });
  });
});
