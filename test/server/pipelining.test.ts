// The network layer against a real broker process: pipelined requests are answered strictly
// in the order sent, even when an earlier one (a long-poll fetch) finishes last; a long-poll
// fetch wakes as soon as data arrives; an idle connection is closed after
// connections.max.idle.ms; a frame over socket.request.max.bytes closes only its connection.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

describe('connections', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'connections.max.idle.ms': 1500, 'socket.request.max.bytes': 64 * 1024 } });
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'pipe', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    c.close();
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('answers pipelined requests in order although the first one finishes last', async () => {
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    const order: string[] = [];
    const slowFetch = c
      .request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 400, minBytes: 1, maxBytes: 1024, topics: [{ topic: 'pipe', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 }] }] })
      .then(() => order.push('fetch'));
    const quick = Array.from({ length: 20 }, (_, i) => c.request(ApiKey.Metadata, 12, { topics: [] }).then(() => order.push(`metadata-${i}`)));
    await Promise.all([slowFetch, ...quick]);
    assert.deepEqual(order, ['fetch', ...Array.from({ length: 20 }, (_, i) => `metadata-${i}`)]);
    c.close();
  });

  it('wakes a long-poll fetch when a record is appended', async () => {
    const consumer = await KafkaConnection.connect('127.0.0.1', broker.port);
    const producer = await KafkaConnection.connect('127.0.0.1', broker.port);
    const end = await consumer.request(ApiKey.ListOffsets, 9, { replicaId: -1, topics: [{ name: 'pipe', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
    const offset = end.topics[0]!.partitions[0]!.offset;
    const started = Date.now();
    const fetch = consumer.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic: 'pipe', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }] });
    await new Promise((r) => setTimeout(r, 100));
    await producer.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'pipe', partitionData: [{ index: 0, records: recordBatch([{ value: 'wake-up' }]) }] }] });
    const fetched = await fetch;
    assert.ok(fetched.responses[0]!.partitions[0]!.records!.includes(Buffer.from('wake-up')));
    // Woken by the append, not by MaxWaitMs: far less than the 30 s wait elapsed.
    assert.ok(Date.now() - started < 25_000);
    consumer.close();
    producer.close();
  });

  it('closes a connection over socket.request.max.bytes and one idle past connections.max.idle.ms', async () => {
    const big = await KafkaConnection.connect('127.0.0.1', broker.port);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(64 * 1024 + 1, 0);
    await big.writeRaw(prefix);
    assert.equal(await big.waitClosed(5000), true);

    const idle = await KafkaConnection.connect('127.0.0.1', broker.port);
    await idle.request(ApiKey.Metadata, 12, { topics: [] });
    assert.equal(await idle.waitClosed(10_000), true, 'idle connection closed');
  });
});
