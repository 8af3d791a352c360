// fetch.purgatory.max.requests against a real broker process: consumers' long-poll fetches
// parked waiting for data are bounded over the broker; one more is answered at once with what
// there is (nothing), counted in /metrics, while the parked ones still wait and wake with the
// next record.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, type BrokerProcess } from '../helpers/broker-process.js';
import { scrapeMetric, startBrokerWithTopic } from '../helpers/limits.js';

const MAX_PARKED = 2;
const TOPIC = 'limits-fetch-purgatory';

describe('fetch.purgatory.max.requests', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBrokerWithTopic({ 'fetch.purgatory.max.requests': MAX_PARKED }, TOPIC);
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('answers a long-poll fetch over the bound at once, while the parked ones wake with data', async () => {
    const notParked = () => scrapeMetric(broker.adminUrl!, 'tidelog_fetches_not_parked_total', { limit: 'fetch.purgatory.max.requests' });
    const consumers = await Promise.all(Array.from({ length: MAX_PARKED + 1 }, () => KafkaConnection.connect('127.0.0.1', broker.port, 'consumer')));
    const longPoll = (c: KafkaConnection) =>
      c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 60_000, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
    // Park the first ones, one at a time, so that the broker has them before the next arrives.
    const parked = [];
    for (const c of consumers.slice(0, MAX_PARKED)) {
      const before = await scrapeMetric(broker.adminUrl!, 'tidelog_fetch_purgatory_size');
      parked.push(longPoll(c));
      while ((await scrapeMetric(broker.adminUrl!, 'tidelog_fetch_purgatory_size')) === before) await new Promise((r) => setTimeout(r, 20));
    }
    // One more is answered at once, empty (its MaxWaitMs is a minute: this test's timeout).
    const over = await longPoll(consumers[MAX_PARKED]!);
    assert.equal(over.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal(over.responses[0]!.partitions[0]!.records?.length ?? 0, 0);
    assert.equal(await notParked(), 1);
    // The parked ones were still waiting: they answer with the record produced now.
    const producer = await KafkaConnection.connect('127.0.0.1', broker.port);
    await producer.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: recordBatch([{ value: 'wake-up' }]) }] }] });
    for (const fetched of await Promise.all(parked)) assert.ok(fetched.responses[0]!.partitions[0]!.records!.includes(Buffer.from('wake-up')));
    assert.equal(await notParked(), 1);
    for (const c of [...consumers, producer]) c.close();
  });
});
