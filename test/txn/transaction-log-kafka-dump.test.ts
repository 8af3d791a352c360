// Kafka's own DumpLogSegments --transaction-log-decoder (Kafka 4.4.0) reads the
// __transaction_state segment a Tidelog broker wrote: every transition of a committed
// transaction, then the tombstone of its expiration, with the fields Kafka's decoder prints.
// Needs Java and Kafka's jars, as test/log/compaction-kafka-dump.test.ts (scripts/fetch-kafka.sh).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { startBroker } from '../../src/embedded.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { TxnMarkerEntry, TxnMarkerResult } from '../../src/partition/txn-markers.js';
import { tempDir } from '../helpers/broker-process.js';

const RECORD_LINE = /^\| offset: (\d+) .* key: (\{.*\}) payload: (.*)$/;
const EXPIRATION_MS = 1000;

describe('Kafka DumpLogSegments reads __transaction_state', { timeout: 300_000 }, () => {
  let libs: KafkaLibs;
  let dataDir: string;
  let producerId = -1;

  before(async () => {
    libs = await ensureKafkaLibs();
    dataDir = tempDir('tidelog-dump-txn-');
    const broker = await startBroker({
      dataDir,
      config: { 'transaction.state.log.num.partitions': 1, 'transactional.id.expiration.ms': EXPIRATION_MS, 'transaction.remove.expired.transaction.cleanup.interval.ms': 3_600_000 },
    });
    (broker.broker.replicas as unknown as { writeTxnMarkers: (m: TxnMarkerEntry[]) => Promise<TxnMarkerResult[]> }).writeTxnMarkers = async (m) =>
      m.map((x) => ({ producerId: x.producerId, partitions: x.partitions.map((p) => ({ ...p, errorCode: ErrorCode.NONE })) }));
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    try {
      assert.equal((await c.request(ApiKey.FindCoordinator, 3, { key: 'dumped', keyType: 1 })).errorCode, ErrorCode.NONE);
      assert.equal((await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'orders', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000 })).topics[0]!.errorCode, ErrorCode.NONE);
      const p = await c.request(ApiKey.InitProducerId, 4, { transactionalId: 'dumped', transactionTimeoutMs: 30_000, producerId: -1, producerEpoch: -1 });
      producerId = p.producerId;
      const added = await c.request(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'dumped', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'orders', partitions: [1, 0] }] });
      assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
      assert.equal((await c.request(ApiKey.EndTxn, 3, { transactionalId: 'dumped', producerId, producerEpoch: 0, committed: true })).errorCode, ErrorCode.NONE);
      const coordinator = broker.broker.transactions;
      for (let i = 0; i < 200 && coordinator.describeTransaction('dumped').transactionState !== 'CompleteCommit'; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(coordinator.describeTransaction('dumped').transactionState, 'CompleteCommit');
      await new Promise((r) => setTimeout(r, EXPIRATION_MS + 50));
      assert.deepEqual(await coordinator.manager.removeExpiredTransactionalIds(), ['dumped']);
    } finally {
      c.close();
      await broker.close();
    }
  });

  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('decodes every record: Empty, Ongoing, PrepareCommit, CompleteCommit, then the tombstone', async () => {
    const dir = path.join(dataDir, '__transaction_state-0');
    const files = readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => path.join(dir, f));
    assert.equal(files.length, 1);
    const result = await runKafkaClass(libs, KAFKA_MAIN.dumpLogSegments, ['--transaction-log-decoder', '--files', files[0]!], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    const records = result.stdout
      .split('\n')
      .map((l) => RECORD_LINE.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ offset: Number(m[1]), key: JSON.parse(m[2]!) as { type: string; data: { transactionalId: string } }, payload: m[3]! }));
    assert.deepEqual(records.map((r) => r.offset), [0, 1, 2, 3, 4]);
    for (const r of records) assert.deepEqual(r.key, { type: '0', data: { transactionalId: 'dumped' } });
    const values = records.slice(0, 4).map((r) => JSON.parse(r.payload) as { version: string; data: Record<string, unknown> });
    assert.deepEqual(values.map((v) => [v.version, v.data.transactionStatus]), [
      ['0', 'Empty'],
      ['0', 'Ongoing'],
      ['0', 'PrepareCommit'],
      ['0', 'CompleteCommit'],
    ]);
    for (const v of values) {
      assert.equal(v.data.producerId, producerId);
      assert.equal(v.data.producerEpoch, 0);
      assert.equal(v.data.transactionTimeoutMs, 30_000);
    }
    assert.equal(values[0]!.data.transactionPartitions, null);
    assert.deepEqual(values[1]!.data.transactionPartitions, [{ topic: 'orders', partitionIds: [0, 1] }]);
    assert.deepEqual(values[2]!.data.transactionPartitions, [{ topic: 'orders', partitionIds: [0, 1] }]);
    assert.deepEqual(values[3]!.data.transactionPartitions, []);
    assert.equal(values[0]!.data.transactionStartTimestampMs, -1);
    assert.equal(values[1]!.data.transactionStartTimestampMs, values[3]!.data.transactionStartTimestampMs);
    assert.match(records[4]!.payload, /^(<DELETE>|null)$/, 'the expiration tombstone');
  });
});

describe('Kafka DumpLogSegments reads transaction-version-2 records of __transaction_state', { timeout: 300_000 }, () => {
  let libs: KafkaLibs;
  let dataDir: string;
  let producerId = -1;

  before(async () => {
    libs = await ensureKafkaLibs();
    dataDir = tempDir('tidelog-dump-txn-tv2-');
    const broker = await startBroker({ dataDir, config: { 'transaction.state.log.num.partitions': 1 } });
    (broker.broker.replicas as unknown as { writeTxnMarkers: (m: TxnMarkerEntry[]) => Promise<TxnMarkerResult[]> }).writeTxnMarkers = async (m) =>
      m.map((x) => ({ producerId: x.producerId, partitions: x.partitions.map((p) => ({ ...p, errorCode: ErrorCode.NONE })) }));
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    try {
      assert.equal((await c.request(ApiKey.FindCoordinator, 3, { key: 'dumped2', keyType: 1 })).errorCode, ErrorCode.NONE);
      assert.equal((await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'orders', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 })).topics[0]!.errorCode, ErrorCode.NONE);
      const p = await c.request(ApiKey.InitProducerId, 4, { transactionalId: 'dumped2', transactionTimeoutMs: 30_000, producerId: -1, producerEpoch: -1 });
      producerId = p.producerId;
      // The broker form (v4+, not verifyOnly): a partition leader adding a partition for a version-2 client.
      const added = await c.request(ApiKey.AddPartitionsToTxn, 5, { transactions: [{ transactionalId: 'dumped2', producerId, producerEpoch: 0, verifyOnly: false, topics: [{ name: 'orders', partitions: [0] }] }] });
      assert.equal(added.resultsByTransaction[0]!.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
      const ended = await c.request(ApiKey.EndTxn, 5, { transactionalId: 'dumped2', producerId, producerEpoch: 0, committed: true });
      assert.deepEqual([ended.errorCode, ended.producerId, ended.producerEpoch], [ErrorCode.NONE, producerId, 1]);
      const coordinator = broker.broker.transactions;
      for (let i = 0; i < 200 && coordinator.describeTransaction('dumped2').transactionState !== 'CompleteCommit'; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(coordinator.describeTransaction('dumped2').transactionState, 'CompleteCommit');
    } finally {
      c.close();
      await broker.close();
    }
  });

  after(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('decodes value version 1: the bumped epoch from PrepareCommit on, clientTransactionVersion 2', async () => {
    const dir = path.join(dataDir, '__transaction_state-0');
    const files = readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => path.join(dir, f));
    const result = await runKafkaClass(libs, KAFKA_MAIN.dumpLogSegments, ['--transaction-log-decoder', '--files', files[0]!], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    const values = result.stdout
      .split('\n')
      .map((l) => RECORD_LINE.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => JSON.parse(m[3]!) as { version: string; data: Record<string, unknown> });
    assert.deepEqual(
      values.map((v) => [v.version, v.data.transactionStatus, v.data.producerId, v.data.producerEpoch, v.data.clientTransactionVersion ?? null]),
      [
        ['0', 'Empty', producerId, 0, null],
        ['1', 'Ongoing', producerId, 0, 2],
        ['1', 'PrepareCommit', producerId, 1, 2],
        ['1', 'CompleteCommit', producerId, 1, 2],
      ],
    );
    assert.deepEqual(values[2]!.data.transactionPartitions, [{ topic: 'orders', partitionIds: [0] }]);
  });
});
