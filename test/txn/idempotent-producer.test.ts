// Idempotent producers (KIP-98) against a broker process: InitProducerId hands out distinct
// ids; a retried batch is answered with its original offset and not stored twice; a gap in
// the sequence and a stale epoch are refused; librdkafka's idempotent producer (kcat with
// enable.idempotence=true) round-trips.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';

describe('idempotent producer', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  let c: KafkaConnection;

  before(async () => {
    broker = await startBrokerProcess();
    c = await KafkaConnection.connect('127.0.0.1', broker.port);
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'idem', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  });

  after(async () => {
    c.close();
    await broker.stop();
    removeDir(broker.dataDir);
  });

  const produce = async (batch: Buffer) => (await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records: batch }] }] })).responses[0]!.partitionResponses[0]!;
  const endOffset = async () => (await c.request(ApiKey.ListOffsets, 9, { replicaId: -1, topics: [{ name: 'idem', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] })).topics[0]!.partitions[0]!.offset;

  it('hands out distinct producer ids; a transactional id goes to the transaction coordinator', async () => {
    const a = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 });
    const b = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 });
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.equal(a.producerEpoch, 0);
    assert.notEqual(a.producerId, b.producerId);
    // No FindCoordinator has created __transaction_state yet: no broker coordinates the id.
    const txn = await c.request(ApiKey.InitProducerId, 4, { transactionalId: 'tx-1', transactionTimeoutMs: 60000 });
    assert.equal(txn.errorCode, ErrorCode.NOT_COORDINATOR);
  });

  it('answers a retried batch with its original offset and stores it once; refuses gaps and stale epochs', async () => {
    const { producerId } = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 });
    const first = recordBatch([{ value: 'a' }, { value: 'b' }], Date.now(), { producerId, producerEpoch: 0, baseSequence: 0 });
    const sent = await produce(Buffer.from(first));
    assert.equal(sent.errorCode, ErrorCode.NONE);
    const end = await endOffset();
    const retried = await produce(Buffer.from(first));
    assert.equal(retried.errorCode, ErrorCode.NONE);
    assert.equal(retried.baseOffset, sent.baseOffset, 'the duplicate gets the original offset');
    assert.equal(await endOffset(), end, 'and is not stored again');

    const gap = await produce(recordBatch([{ value: 'c' }], Date.now(), { producerId, producerEpoch: 0, baseSequence: 5 }));
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const next = await produce(recordBatch([{ value: 'c' }], Date.now(), { producerId, producerEpoch: 0, baseSequence: 2 }));
    assert.equal(next.errorCode, ErrorCode.NONE);
    assert.equal(next.baseOffset, sent.baseOffset + 2);

    const bumped = await produce(recordBatch([{ value: 'd' }], Date.now(), { producerId, producerEpoch: 1, baseSequence: 0 }));
    assert.equal(bumped.errorCode, ErrorCode.NONE);
    const stale = await produce(recordBatch([{ value: 'e' }], Date.now(), { producerId, producerEpoch: 0, baseSequence: 3 }));
    assert.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it("round-trips librdkafka's idempotent producer", async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `k${i % 31}:idempotent-${i}`);
    const produced = await kcat(['-b', broker.bootstrap, '-t', 'idem-kcat', '-P', '-K', ':', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5'], `${lines.join('\n')}\n`);
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await kcat(['-b', broker.bootstrap, '-t', 'idem-kcat', '-C', '-e', '-o', 'beginning', '-f', '%k:%s\\n', '-q']);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(consumed.stdout.trim().split('\n').sort(), [...lines].sort());
  });
});
