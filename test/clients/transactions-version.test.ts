// Transaction versions with Apache Kafka's Java client (kafka-clients 4.4.0): the broker
// finalizes `transaction.version` 2 (the default) or 1 (pinned by the broker key), and the
// client really speaks that version. The proof is what KIP-890 part 2 changes on the broker:
// under version 2 every commit and abort bumps the producer epoch (EndTxn v5 hands the client
// the new one; DescribeTransactions shows it and the partition's producer state, read with
// DescribeProducers, has it from the marker on), and sendOffsetsToTransaction commits offsets
// without AddOffsetsToTxn (TxnOffsetCommit v5, the offsets partition added by the broker).
// Under version 1 the epoch stays where InitProducerId put it. Both must give the same
// records to read_committed and the same committed offsets.
//
// Runs against Tidelog, or Apache Kafka 4.4.0 formatted at the same level with
// TIDELOG_TXN_TEST_TARGET=kafka (transactions-target.ts), to hold both to the same assertions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir } from '../helpers/broker-process.js';
import { compileJava, assertTransactionVersion, failure, recordsByPartition, runJava, startTxnTarget, txnTargetKind, valuesOf, type JavaPrograms, type ProgramRun, type TxnTarget } from './transactions-target.js';

const kind = txnTargetKind();
const RUN_TIMEOUT_MS = 120_000;
const TRANSACTIONS = 6;

interface EpochEvent {
  readonly txn: number;
  readonly state: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitionEpoch: number | null;
}

for (const tv of [2, 1] as const) {
  describe(`Java client transactions under transaction.version=${tv} (${kind === 'kafka' ? 'Apache Kafka' : 'Tidelog'}${tv === 1 ? ', pinned by the broker key' : ', the default'})`, { timeout: 300_000 }, () => {
    let target: TxnTarget;
    let programs: JavaPrograms;
    let run: ProgramRun;
    const prefix = `tv${tv}-${randomBytes(3).toString('hex')}`;

    before(async () => {
      const libs = await ensureKafkaLibs();
      programs = await compileJava(libs, ['Out.java', 'Topics.java', 'TxnClients.java']);
      target = await startTxnTarget(kind, libs, tv);
      run = await runJava(programs, 'TxnClients', ['epochs', target.bootstrap, prefix], RUN_TIMEOUT_MS);
      assert.equal(run.code, 0, `TxnClients epochs: ${failure(run, target)}`);
    });

    after(async () => {
      await target?.stop();
      if (programs) removeDir(programs.dir);
    });

    it(`the client reads transaction.version=${tv} from ApiVersions`, () => {
      assertTransactionVersion(run, target);
    });

    it(tv === 2 ? 'every commit and abort bumps the producer epoch by one, at the coordinator and on the partition' : 'the producer epoch stays where InitProducerId put it', () => {
      const epochs = run.events.filter((e) => e.event === 'epoch') as unknown as EpochEvent[];
      assert.equal(epochs.length, TRANSACTIONS + 1, 'one after InitProducerId, one per transaction');
      const [init, ...ends] = epochs;
      const ends2 = ends.map((e) => ({ txn: e.txn, state: e.state.toUpperCase().replace(/_/g, ''), producerId: e.producerId, producerEpoch: e.producerEpoch, partitionEpoch: e.partitionEpoch }));
      const expected = ends.map((_, t) => {
        const epoch = tv === 2 ? init!.producerEpoch + t + 1 : init!.producerEpoch;
        return { txn: t, state: t % 3 !== 1 ? 'COMPLETECOMMIT' : 'COMPLETEABORT', producerId: init!.producerId, producerEpoch: epoch, partitionEpoch: epoch };
      });
      assert.deepEqual(ends2, expected);
    });

    it('read_committed reads the committed transactions only, and the offsets sent in transaction 2 are committed', () => {
      const sent = run.events.filter((e) => e.event === 'sent') as unknown as { txn: number; outcome: string; partition: number; offset: number; value: string }[];
      assert.equal(sent.length, TRANSACTIONS);
      const committed = sent.filter((s) => s.outcome === 'commit').map((s) => s.value);
      assert.deepEqual(valuesOf(recordsByPartition(run, 'read_committed')), { 0: committed });
      const offsets = run.events.find((e) => e.event === 'group-offsets');
      assert.deepEqual(offsets?.offsets, { 0: sent[2]!.offset + 1 });
    });
  });
}
