// A connection muted at queued.max.requests reads again once its requests are answered, also
// when they have no response at all (Produce with acks=0): more than queued.max.requests
// such requests arrive in one write, and a request after them is answered.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey, loadAllApiCodecs } from '../../src/protocol/generated/index.js';
import { encodeRequest } from '../../src/protocol/framing.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, type BrokerProcess } from '../helpers/broker-process.js';
import { scrapeMetric, startBrokerWithTopic } from '../helpers/limits.js';

// The framing functions used here are synchronous: every API's codecs first.
await loadAllApiCodecs();

const QUEUED_MAX_REQUESTS = 50;
const REQUESTS = 500;
const TOPIC = 'limits-acks0';

describe('a muted connection', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBrokerWithTopic({ 'queued.max.requests': QUEUED_MAX_REQUESTS }, TOPIC);
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('reads again after requests that have no response (acks=0)', async () => {
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    const frames = Array.from({ length: REQUESTS }, (_, i) =>
      Buffer.from(encodeRequest(ApiKey.Produce, 9, 1000 + i, 'acks0', { acks: 0, timeoutMs: 5000, transactionalId: null, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: recordBatch([{ value: `r${i}` }]) }] }] })),
    );
    await c.writeRaw(Buffer.concat(frames));
    const end = await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
    assert.equal(end.topics[0]!.partitions[0]!.offset, REQUESTS);
    assert.ok((await scrapeMetric(broker.adminUrl!, 'tidelog_connection_mutes_total', { limit: 'queued.max.requests' })) >= 1);
    c.close();
  });
});
