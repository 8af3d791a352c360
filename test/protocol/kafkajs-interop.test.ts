// Interop with an independent implementation: kafkajs (a devDependency) encodes requests
// the way a real client sends them and decodes our responses the way a real client reads
// them. kafkajs only speaks non-flexible versions; the flexible ones are covered by the
// golden frames and the reference encoder.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { ApiKey, decodeRequest, encodeRequest, encodeResponseBuffer } from '../../src/protocol/index.js';
import { loadAllApiCodecs } from '../../src/protocol/generated/index.js';

// The framing functions used here are synchronous: every API's codecs first.
await loadAllApiCodecs();

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buffer: Buffer;
}
interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<KafkajsEncoder>;
}
type RequestFactory = (args: Record<string, unknown>) => KafkajsRequest;
type ResponseDecoder = { decode(raw: Buffer): Promise<Record<string, unknown>> };

const frameRequest = require('kafkajs/src/protocol/request.js') as (args: {
  correlationId: number;
  clientId: string;
  request: KafkajsRequest;
}) => Promise<KafkajsEncoder>;
const kRequest = (api: string, version: number): RequestFactory =>
  require(`kafkajs/src/protocol/requests/${api}/v${version}/request.js`) as RequestFactory;
const kResponse = (api: string, version: number): ResponseDecoder =>
  require(`kafkajs/src/protocol/requests/${api}/v${version}/response.js`) as ResponseDecoder;

/** The frame kafkajs would put on the socket for this request. */
async function kafkajsFrame(request: KafkajsRequest, correlationId: number): Promise<Buffer> {
  return (await frameRequest({ correlationId, clientId: 'kafkajs-test', request })).buffer;
}

test('kafkajs Metadata v0-v6 requests decode and re-encode to the same bytes', async () => {
  for (let v = 0; v <= 6; v++) {
    const frame = await kafkajsFrame(kRequest('metadata', v)({ topics: ['orders', 'payments'], allowAutoTopicCreation: true }), 100 + v);
    const d = decodeRequest(frame.subarray(4));
    assert.ok(d.ok && d.apiKey === ApiKey.Metadata, `v${v}`);
    assert.equal(d.header.clientId, 'kafkajs-test');
    assert.equal(d.header.correlationId, 100 + v);
    assert.deepEqual(d.body.topics?.map((t) => t.name), ['orders', 'payments']);
    assert.deepEqual(encodeRequest(ApiKey.Metadata, v, 100 + v, 'kafkajs-test', d.body), frame, `Metadata v${v}`);
  }
});

test('kafkajs Fetch v4-v11 requests decode and re-encode to the same bytes', async () => {
  for (let v = 4; v <= 11; v++) {
    const args = {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1048576,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: 'orders', partitions: [{ partition: 3, fetchOffset: '42', maxBytes: 1048576, currentLeaderEpoch: 7 }] }],
      rackId: 'rack-a',
    };
    const frame = await kafkajsFrame(kRequest('fetch', v)(args), v);
    const d = decodeRequest(frame.subarray(4));
    assert.ok(d.ok && d.apiKey === ApiKey.Fetch, `v${v}`);
    const p = d.body.topics[0]!.partitions[0]!;
    assert.equal(d.body.topics[0]!.topic, 'orders');
    assert.equal(p.partition, 3);
    assert.equal(p.fetchOffset, 42);
    assert.equal(p.currentLeaderEpoch, v >= 9 ? 7 : -1);
    assert.equal(d.body.isolationLevel, 1);
    assert.deepEqual(encodeRequest(ApiKey.Fetch, v, v, 'kafkajs-test', d.body), frame, `Fetch v${v}`);
  }
});

test('kafkajs Produce v3-v7 record batches pass through us and back into kafkajs Fetch v4 decoding', async () => {
  const messages = [
    { key: 'k1', value: 'hello', timestamp: '1711648200000' },
    { key: null, value: 'world', timestamp: '1711648200001', headers: { h: 'v' } },
  ];
  let batch: Buffer | null = null;
  for (let v = 3; v <= 7; v++) {
    const request = kRequest('produce', v)({ acks: -1, timeout: 30000, topicData: [{ topic: 'orders', partitions: [{ partition: 0, messages }] }] });
    const frame = await kafkajsFrame(request, v);
    const d = decodeRequest(frame.subarray(4));
    assert.ok(d.ok && d.apiKey === ApiKey.Produce, `v${v}`);
    assert.equal(d.body.acks, -1);
    const records = d.body.topicData[0]!.partitionData[0]!.records!;
    assert.equal(records.readInt8(16), 2, 'a magic v2 RecordBatch');
    assert.deepEqual(encodeRequest(ApiKey.Produce, v, v, 'kafkajs-test', d.body), frame, `Produce v${v}`);
    batch = records;
  }

  // Serve that batch in a Fetch v4 response and let kafkajs's consumer-side decoder read it.
  const response = encodeResponseBuffer(ApiKey.Fetch, 4, 9, {
    throttleTimeMs: 0,
    responses: [
      {
        topic: 'orders',
        partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 2, lastStableOffset: 2, abortedTransactions: [], records: batch }],
      },
    ],
  });
  const decoded = await kResponse('fetch', 4).decode(response.subarray(8)); // after size and correlation id
  const partition = (decoded['responses'] as Array<{ topicName: string; partitions: Array<Record<string, unknown>> }>)[0]!;
  assert.equal(partition.topicName, 'orders');
  const p = partition.partitions[0]!;
  assert.equal(p['highWatermark'], '2');
  const got = (p['messages'] as Array<{ key: Buffer | null; value: Buffer; offset: string }>).map((m) => [m.key?.toString() ?? null, m.value.toString(), m.offset]);
  assert.deepEqual(got, [
    ['k1', 'hello', '0'],
    [null, 'world', '1'],
  ]);
});

test('our Metadata v1 and Produce v3 responses decode in kafkajs', async () => {
  const metadata = encodeResponseBuffer(ApiKey.Metadata, 1, 1, {
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
    controllerId: 1,
    topics: [{ errorCode: 0, name: 'orders', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }] }],
  });
  const m = await kResponse('metadata', 1).decode(metadata.subarray(8));
  assert.deepEqual(m, {
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
    controllerId: 1,
    topicMetadata: [
      { topicErrorCode: 0, topic: 'orders', isInternal: false, partitionMetadata: [{ partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1], isr: [1] }] },
    ],
  });

  const produce = encodeResponseBuffer(ApiKey.Produce, 3, 2, {
    responses: [{ name: 'orders', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 2 ** 40, logAppendTimeMs: -1 }] }],
    throttleTimeMs: 5,
  });
  const p = await kResponse('produce', 3).decode(produce.subarray(8));
  assert.deepEqual(p, {
    topics: [{ topicName: 'orders', partitions: [{ partition: 0, errorCode: 0, baseOffset: String(2 ** 40), logAppendTime: '-1' }] }],
    throttleTime: 5,
  });
});
