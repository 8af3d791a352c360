// `tidelog transactions` and the /v1/transactions admin routes against one broker process
// holding two open transactions made over the Kafka protocol: one the coordinator knows of
// (InitProducerId, AddPartitionsToTxn, a transactional batch), and one hanging (a
// transactional batch its coordinator never heard of, as a client that skipped
// AddPartitionsToTxn leaves). Each command's output is compared with Kafka 4.4's own
// TransactionsCommand (kafka-transactions.sh) against the same broker, with the columns that
// carry the current time blanked; then the hanging one is found and aborted.
// A hanging transaction needs KIP-890's produce verification off
// (transaction.partition.verification.enable=false), as it does on Kafka: with it on, the
// leader refuses a batch its coordinator does not know of (transactions-hostile.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { encodeRecordBatch } from '../../src/client/record-batch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { scrapeMetric } from '../helpers/limits.js';
import { waitFor } from '../helpers/wait.js';
import { isOneLineError, tidelog } from './run.js';

const KAFKA_TRANSACTIONS = 'org.apache.kafka.tools.TransactionsCommand';
const TOPIC = 'tx-topic';

/** Blanks the named columns of a Kafka table (tab-separated cells) whose values depend on the clock. */
function blankColumns(table: string, columns: readonly string[]): string {
  const lines = table.trimEnd().split('\n');
  const header = lines[0]!.split('\t').map((c) => c.trim());
  const blank = new Set(columns.map((c) => header.indexOf(c)).filter((i) => i >= 0));
  return lines.map((l) => l.split('\t').map((c, i) => (blank.has(i) ? '*' : c.trim())).join('|')).join('\n');
}

describe('tidelog transactions and /v1/transactions', { timeout: 300_000 }, () => {
  let broker: BrokerProcess;
  let libs: KafkaLibs;
  let B: string[];
  /** The open transaction its coordinator knows: on partition 0. */
  let known: { producerId: number; producerEpoch: number; startOffset: number };
  /** The hanging one: on partition 1, never added to a transaction. */
  let hanging: { producerId: number; producerEpoch: number; startOffset: number };

  async function kafkaTool(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return runKafkaClass(libs, KAFKA_TRANSACTIONS, ['--bootstrap-server', broker.bootstrap, ...args], { heap: '256M', timeoutMs: 120_000 });
  }

  /** InitProducerId for a transactional id at its coordinator, and a transactional batch on `partition`, with or without AddPartitionsToTxn first. */
  async function openTransaction(transactionalId: string, partition: number, addPartition: boolean): Promise<{ producerId: number; producerEpoch: number; startOffset: number }> {
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    try {
      const coordinator = await client.coordinator(transactionalId, 1);
      const init = await coordinator.send(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 600_000, producerId: -1, producerEpoch: -1 });
      assert.equal(init.errorCode, ErrorCode.NONE);
      const { producerId, producerEpoch } = init;
      if (addPartition) {
        const added = await coordinator.send(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [partition] }] });
        assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
      }
      const batch = encodeRecordBatch([{ key: null, value: Buffer.from(`${transactionalId}-1`) }, { key: null, value: Buffer.from(`${transactionalId}-2`) }], { producer: { producerId, producerEpoch, baseSequence: 0 }, isTransactional: true });
      const leader = await client.leaderFor(TOPIC, partition);
      const produced = await leader.send(ApiKey.Produce, 9, { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch }] }] });
      const p = produced.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, ErrorCode.NONE, p.errorMessage ?? '');
      return { producerId, producerEpoch, startOffset: p.baseOffset };
    } finally {
      client.close();
    }
  }

  async function lastStableOffset(partition: number): Promise<number> {
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'lso');
    try {
      const r = await conn.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }] });
      return r.topics[0]!.partitions[0]!.offset;
    } finally {
      conn.close();
    }
  }

  before(async () => {
    libs = await ensureKafkaLibs();
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false, 'transaction.partition.verification.enable': false } });
    B = ['--bootstrap-server', broker.bootstrap];
    assert.equal((await tidelog(['topics', ...B, '--create', '--topic', TOPIC, '--partitions', '2'])).code, 0);
    // A committed record first, so the open transactions do not start at offset 0.
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    try {
      assert.equal((await client.produce(TOPIC, 1, encodeRecordBatch([{ key: null, value: Buffer.from('before') }]))).errorCode, ErrorCode.NONE);
    } finally {
      client.close();
    }
    known = await openTransaction('txn-open', 0, true);
    hanging = await openTransaction('txn-hanging', 1, false);
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('list, describe and describe-producers print what kafka-transactions.sh prints', async () => {
    const cases: { args: string[]; clock: string[] }[] = [
      { args: ['list'], clock: [] },
      // Kafka 4.4's tool sends the pattern in ListTransactions v2 (KIP-1152); the broker filters.
      { args: ['list', '--transactional-id-pattern', 'txn-o[a-z]+'], clock: [] },
      { args: ['describe', '--transactional-id', 'txn-open'], clock: ['CurrentTransactionStartTimeMs', 'TransactionDurationMs'] },
      { args: ['describe-producers', '--topic', TOPIC, '--partition', '0'], clock: ['LastTimestamp'] },
      { args: ['describe-producers', '--topic', TOPIC, '--partition', '1'], clock: ['LastTimestamp'] },
    ];
    for (const c of cases) {
      const ours = await tidelog(['transactions', ...B, ...c.args]);
      assert.equal(ours.code, 0, ours.stderr);
      const theirs = await kafkaTool(c.args);
      assert.equal(theirs.code, 0, theirs.stderr);
      assert.equal(blankColumns(ours.stdout, c.clock), blankColumns(theirs.stdout, c.clock), `transactions ${c.args.join(' ')}`);
    }
    const listed = (await tidelog(['transactions', ...B, 'list'])).stdout;
    assert.match(listed, new RegExp(`^txn-open\\s+\\t\\d+\\s*\\t${known.producerId}\\s*\\tOngoing\\s*\\t$`, 'm'));
    const filtered = (await tidelog(['transactions', ...B, 'list', '--transactional-id-pattern', 'txn-o[a-z]+'])).stdout;
    assert.deepEqual(filtered.trim().split('\n').slice(1).map((line) => line.split('\t')[0]!.trim()), ['txn-open']);
    const producers = (await tidelog(['transactions', ...B, 'describe-producers', '--topic', TOPIC, '--partition', '0'])).stdout;
    assert.match(producers, new RegExp(`^${known.producerId}\\s*\\t${known.producerEpoch}\\s*\\t.*\\t${known.startOffset}\\s*\\t$`, 'm'));
  });

  it('find-hanging finds the transaction no coordinator knows of, and abort ends it', async () => {
    // Both tools agree; only the hanging one is listed (txn-open's coordinator has partition 0).
    const args = ['find-hanging', '--topic', TOPIC, '--max-transaction-timeout', '0'];
    await waitFor('the hanging transaction to be older than a millisecond', async () => (await tidelog(['transactions', ...B, ...args])).stdout.trim().split('\n').length === 2, { timeoutMs: 10_000 });
    const ours = await tidelog(['transactions', ...B, ...args]);
    const theirs = await kafkaTool(args);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.equal(blankColumns(ours.stdout, ['LastTimestamp', 'Duration(min)']), blankColumns(theirs.stdout, ['LastTimestamp', 'Duration(min)']));
    assert.match(ours.stdout, new RegExp(`^${TOPIC}\\s*\\t1\\s*\\t${hanging.producerId}\\s*\\t${hanging.producerEpoch}\\s*\\t`, 'm'));

    // The hanging transaction holds partition 1's last stable offset at its start.
    assert.equal(await lastStableOffset(1), hanging.startOffset);
    const wrongOffset = await tidelog(['transactions', ...B, 'abort', '--topic', TOPIC, '--partition', '1', '--start-offset', String(hanging.startOffset + 1)]);
    assert.equal(wrongOffset.code, 1);
    assert.ok(isOneLineError(wrongOffset), wrongOffset.stderr);
    assert.match(wrongOffset.stderr, /No open transaction starts at offset/);
    const aborted = await tidelog(['transactions', ...B, 'abort', '--topic', TOPIC, '--partition', '1', '--start-offset', String(hanging.startOffset)]);
    assert.equal(aborted.code, 0, aborted.stderr);
    // The marker moved the last stable offset past the transaction and its marker.
    assert.equal(await lastStableOffset(1), hanging.startOffset + 3);
    assert.equal((await tidelog(['transactions', ...B, ...args])).stdout.trim().split('\n').length, 1, 'nothing hangs any more');
    // The known one is untouched.
    assert.equal(await lastStableOffset(0), known.startOffset);
  });

  it('refuses what cannot be done, in one line', async () => {
    const noCommand = await tidelog(['transactions', ...B]);
    assert.equal(noCommand.code, 2);
    assert.ok(isOneLineError(noCommand));
    const noScope = await tidelog(['transactions', ...B, 'find-hanging']);
    assert.equal(noScope.code, 2);
    assert.match(noScope.stderr, /requires either --topic or --broker-id/);
    const unknownId = await tidelog(['transactions', ...B, 'describe', '--transactional-id', 'nobody']);
    assert.equal(unknownId.code, 1);
    assert.ok(isOneLineError(unknownId), unknownId.stderr);
    const wrongFlag = await tidelog(['transactions', ...B, 'list', '--topic', TOPIC]);
    assert.equal(wrongFlag.code, 2);
    assert.match(wrongFlag.stderr, /--topic is not an option of 'list'/);
  });

  it('/v1/transactions: list, describe, producers, hanging and abort, with 404s that say why', async () => {
    const admin = broker.adminUrl!;
    const get = async (path: string): Promise<{ status: number; body: any }> => {
      const r = await fetch(`${admin}${path}`);
      return { status: r.status, body: await r.json() };
    };
    const list = await get('/v1/transactions');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.transactions.filter((t: { transactionalId: string }) => t.transactionalId === 'txn-open').map((t: { producerId: number; state: string }) => [t.producerId, t.state]),
      [[known.producerId, 'Ongoing']],
    );
    const described = await get('/v1/transactions/txn-open');
    assert.equal(described.status, 200);
    assert.deepEqual(described.body.partitions, [{ topic: TOPIC, partition: 0 }]);
    assert.equal(described.body.state, 'Ongoing');
    assert.equal(described.body.transactionTimeoutMs, 600_000);
    const missing = await get('/v1/transactions/nobody');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'TIDELOG_ERR_TRANSACTION_NOT_FOUND');
    const producers = await get(`/v1/topics/${TOPIC}/partitions/0/producers`);
    assert.equal(producers.status, 200);
    assert.deepEqual(producers.body.producers.map((p: { producerId: number; currentTxnStartOffset: number }) => [p.producerId, p.currentTxnStartOffset]), [[known.producerId, known.startOffset]]);
    const hangingNow = await get(`/v1/transactions/hanging?topic=${TOPIC}&maxTransactionTimeoutMinutes=0`);
    assert.equal(hangingNow.status, 200);
    assert.deepEqual(hangingNow.body.transactions, [], 'the known transaction is not hanging (the CLI test aborted the other)');
    const abortNothing = await fetch(`${admin}/v1/topics/${TOPIC}/partitions/0/transactions/abort`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ startOffset: known.startOffset + 1 }) });
    assert.equal(abortNothing.status, 404);
    assert.equal(((await abortNothing.json()) as { error: { code: string } }).error.code, 'TIDELOG_ERR_NO_OPEN_TRANSACTION');
    const badBody = await fetch(`${admin}/v1/topics/${TOPIC}/partitions/0/transactions/abort`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ startOffset: -4 }) });
    assert.equal(badBody.status, 400);
  });

  it('/metrics: transactions per state, markers written, coordinator loads', async () => {
    const admin = broker.adminUrl!;
    // txn-open is Ongoing; txn-hanging's id never had a partition added (Empty).
    assert.equal(await scrapeMetric(admin, 'tidelog_transactions', { state: 'Ongoing' }), 1);
    assert.equal(await scrapeMetric(admin, 'tidelog_transactions', { state: 'Empty' }), 1);
    // The abort of the hanging transaction (the CLI test) is the one marker written so far.
    assert.equal(await scrapeMetric(admin, 'tidelog_txn_markers_written_total', { result: 'abort' }), 1);
    assert.equal(await scrapeMetric(admin, 'tidelog_txn_markers_written_total', { result: 'commit' }), 0);
    // __transaction_state was created here, empty: nothing was read back yet.
    assert.equal(await scrapeMetric(admin, 'tidelog_transaction_partition_loads_total'), 0);
  });

  it('after a restart the coordinator reads its 50 partitions back: the open transaction is still open, and still holds the LSO', async () => {
    const dataDir = broker.dataDir;
    assert.equal(await broker.stop(), 0);
    broker = await startBrokerProcess({ dataDir, overrides: { 'auto.create.topics.enable': false } });
    B = ['--bootstrap-server', broker.bootstrap];
    const described = await tidelog(['transactions', ...B, 'describe', '--transactional-id', 'txn-open']);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, new RegExp(`\\ttxn-open\\s*\\t${known.producerId}\\s*\\t${known.producerEpoch}\\s*\\tOngoing\\s*\\t`));
    assert.equal(await lastStableOffset(0), known.startOffset);
    const admin = broker.adminUrl!;
    assert.equal(await scrapeMetric(admin, 'tidelog_transaction_partition_loads_total'), 50);
    assert.ok((await scrapeMetric(admin, 'tidelog_transaction_partition_load_seconds_max')) <= (await scrapeMetric(admin, 'tidelog_transaction_partition_load_seconds_total')));
  });
});
