// Internal topics are protected on every path (topic-name.ts's internalTopicRefusal): the
// admin API's DELETE /v1/topics/__consumer_offsets and POST .../partitions, Kafka's
// DeleteTopics, DeleteRecords and CreatePartitions are refused with a reason, and every group's committed offsets survive, against a broker
// process with real HTTP and a real Kafka connection.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { AdminHttp } from './http.js';

const GROUP = 'internal-topic-readers';
const TOPIC = 'internal-topic-orders';

describe('internal topics', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  let http: AdminHttp;
  let client: KafkaClient;
  let offsetsTopicId: string;

  async function committed(): Promise<number | undefined> {
    return (await client.fetchOffsets(GROUP, [{ topic: TOPIC, partitions: [0] }])).get(TOPIC)?.get(0);
  }

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false } });
    http = new AdminHttp(broker.adminUrl!);
    client = await KafkaClient.connect({ bootstrap: broker.bootstrap, clientId: 'internal-topics-test' });
    assert.equal((await http.post('/v1/topics', { name: TOPIC, partitions: 1 })).status, 201);
    // The commit creates __consumer_offsets and stores the group's offset in it.
    const results = await client.commitOffsets(GROUP, [{ topic: TOPIC, partition: 0, offset: 42 }]);
    assert.deepEqual(results.map((r) => r.errorCode), [ErrorCode.NONE]);
    assert.equal(await committed(), 42);
    const described = await http.get('/v1/topics/__consumer_offsets');
    assert.equal(described.status, 200);
    assert.equal(described.json.internal, true);
    offsetsTopicId = described.json.topicId;
  });

  after(async () => {
    client?.close();
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('refuses DELETE /v1/topics/__consumer_offsets with 403 and a reason; the offsets survive', async () => {
    const r = await http.delete('/v1/topics/__consumer_offsets');
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'TIDELOG_ERR_TOPIC_INTERNAL');
    assert.match(r.json.error.message, /Internal topic __consumer_offsets cannot be deleted/);
    const after = await http.get('/v1/topics/__consumer_offsets');
    assert.equal(after.status, 200);
    assert.equal(after.json.topicId, offsetsTopicId, 'the same topic, not a recreated one');
    assert.equal(await committed(), 42, 'the committed offset survives');
  });

  it('refuses DeleteTopics over the Kafka protocol with INVALID_REQUEST, by name and by id', async () => {
    const c = await KafkaConnection.connect('127.0.0.1', broker.port, 'internal-topics-test');
    try {
      const byName = await c.request(ApiKey.DeleteTopics, 5, { topicNames: ['__consumer_offsets'], timeoutMs: 5000 });
      assert.equal(byName.responses[0]!.errorCode, ErrorCode.INVALID_REQUEST);
      assert.match(byName.responses[0]!.errorMessage ?? '', /Internal topic __consumer_offsets cannot be deleted/);
      const byId = await c.request(ApiKey.DeleteTopics, 6, { topics: [{ name: null, topicId: offsetsTopicId }], timeoutMs: 5000 });
      assert.equal(byId.responses[0]!.errorCode, ErrorCode.INVALID_REQUEST);
    } finally {
      c.close();
    }
    assert.equal((await http.get('/v1/topics/__consumer_offsets')).json.topicId, offsetsTopicId);
    assert.equal(await committed(), 42);
  });

  it("refuses DeleteRecords on __consumer_offsets with Kafka's INVALID_TOPIC_EXCEPTION; its log start stays", async () => {
    const before = (await http.get('/v1/topics/__consumer_offsets')).json.partitions as { partition: number; logStartOffset: number; highWatermark: number }[];
    const withRecords = before.find((p) => p.highWatermark > 0)!;
    assert.ok(withRecords, 'some partition holds the commit');
    const c = await KafkaConnection.connect('127.0.0.1', broker.port, 'internal-topics-test');
    try {
      const r = await c.request(ApiKey.DeleteRecords, 2, { topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: withRecords.partition, offset: -1 }] }], timeoutMs: 5000 });
      assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
      assert.equal(r.topics[0]!.partitions[0]!.lowWatermark, -1);
    } finally {
      c.close();
    }
    const after = (await http.get('/v1/topics/__consumer_offsets')).json.partitions as { partition: number; logStartOffset: number }[];
    assert.equal(after.find((p) => p.partition === withRecords.partition)!.logStartOffset, withRecords.logStartOffset);
    assert.equal(await committed(), 42);
  });

  it('refuses to grow __consumer_offsets over HTTP (403) and CreatePartitions (INVALID_REQUEST); its partition count and the offsets stay', async () => {
    const before = (await http.get('/v1/topics/__consumer_offsets')).json.partitions.length as number;
    const r = await http.post('/v1/topics/__consumer_offsets/partitions', { count: before + 1 });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, 'TIDELOG_ERR_TOPIC_INTERNAL');
    assert.match(r.json.error.message, /number of partitions for the internal topic __consumer_offsets cannot be changed/);
    const c = await KafkaConnection.connect('127.0.0.1', broker.port, 'internal-topics-test');
    try {
      const k = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: '__consumer_offsets', count: before + 1, assignments: null }], timeoutMs: 5000, validateOnly: false });
      assert.equal(k.results[0]!.errorCode, ErrorCode.INVALID_REQUEST);
    } finally {
      c.close();
    }
    assert.equal((await http.get('/v1/topics/__consumer_offsets')).json.partitions.length, before);
    assert.equal(await committed(), 42);
  });

  it('still deletes an ordinary topic over HTTP', async () => {
    assert.equal((await http.post('/v1/topics', { name: 'internal-topic-scratch', partitions: 1 })).status, 201);
    assert.equal((await http.delete('/v1/topics/internal-topic-scratch')).status, 204);
    assert.equal((await http.get('/v1/topics/internal-topic-scratch')).status, 404);
  });
});
