// Golden frames written out byte by byte from the Kafka protocol guide's BNF
// (https://kafka.apache.org/protocol.html, "Headers" and the message sections), not produced
// by our encoder: each is decoded and checked field by field, then re-encoded to the
// identical bytes. Plus the header-version rules and the unknown/unsupported paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ApiKey,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  encodeResponseBuffer,
  loadAllApiCodecs,
  ProtocolDecodeError,
  ProtocolEncodeError,
  Reader,
  readResponseCorrelationId,
  requestHeaderVersion,
  responseHeaderVersion,
  Writer,
  ZERO_UUID,
  type RecordsSource,
} from '../../src/protocol/index.js';
import { decodeApiVersionsResponse, encodeApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.js';

await loadAllApiCodecs();

/** Concatenates hex fragments (comments in the call sites say what each is). */
const bytes = (...parts: Array<string | Buffer>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p.replace(/\s+/g, ''), 'hex') : p)));
const int16Str = (s: string): Buffer => bytes(Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s, 'latin1'));
const compactStr = (s: string): Buffer => bytes(Buffer.from([s.length + 1]), Buffer.from(s, 'latin1'));
/** Prefixes a frame with its int32 size. */
const sized = (frame: Buffer): Buffer => {
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  return Buffer.concat([size, frame]);
};

/** A v2 RecordBatch with one record (key null, value "hello"). The CRC is left zero: the codec never looks inside records. */
const RECORD_BATCH = bytes(
  '0000000000000000', // baseOffset 0
  '0000003d', // batchLength 61
  'ffffffff', // partitionLeaderEpoch -1
  '02', // magic 2
  '00000000', // crc (not computed)
  '0000', // attributes
  '00000000', // lastOffsetDelta 0
  '0000018e8b2c0a00', // baseTimestamp
  '0000018e8b2c0a00', // maxTimestamp
  'ffffffffffffffff', // producerId -1
  'ffff', // producerEpoch -1
  'ffffffff', // baseSequence -1
  '00000001', // records count 1
  '16', // record length varint 11
  '00', // attributes
  '00', // timestampDelta varlong 0
  '00', // offsetDelta varint 0
  '01', // keyLength varint -1 (null key)
  '0a', // valueLength varint 5
  Buffer.from('hello'),
  '00', // headers count 0
);

test('golden: ApiVersions v3 request as librdkafka sends it (request header v2, client id not compact)', () => {
  // ApiVersions Request (Version: 3) => client_software_name client_software_version TAG_BUFFER
  const frame = sized(
    bytes(
      '0012', // request_api_key 18
      '0003', // request_api_version 3
      '00000001', // correlation_id 1
      int16Str('rdkafka'), // client_id NULLABLE_STRING: int16 length even in header v2
      '00', // header TAG_BUFFER: no tagged fields
      compactStr('librdkafka'), // client_software_name COMPACT_STRING: uvarint 11 + 10 bytes
      compactStr('2.3.0'), // client_software_version COMPACT_STRING
      '00', // body TAG_BUFFER
    ),
  );
  assert.equal(frame.length, 4 + 36);
  const d = decodeRequest(frame.subarray(4));
  assert.ok(d.ok && d.apiKey === ApiKey.ApiVersions);
  assert.equal(d.header.apiVersion, 3);
  assert.equal(d.header.headerVersion, 2);
  assert.equal(d.header.correlationId, 1);
  assert.equal(d.header.clientId, 'rdkafka');
  assert.equal(d.body.clientSoftwareName, 'librdkafka');
  assert.equal(d.body.clientSoftwareVersion, '2.3.0');
  assert.deepEqual(encodeRequest(ApiKey.ApiVersions, 3, 1, 'rdkafka', d.body), frame);
});

test('golden: Metadata v1 request, with topics and with a null topic array (all topics)', () => {
  // Metadata Request (Version: 1) => [topics]   topics => name STRING   (request header v1)
  const header = bytes('0003', '0001', '00000002', int16Str('kcat'));
  const some = sized(bytes(header, '00000002', int16Str('orders'), int16Str('payments')));
  const all = sized(bytes(header, 'ffffffff'));

  const d = decodeRequest(some.subarray(4));
  assert.ok(d.ok && d.apiKey === ApiKey.Metadata);
  assert.equal(d.header.headerVersion, 1);
  assert.equal(d.header.clientId, 'kcat');
  assert.deepEqual(d.body, {
    topics: [
      { topicId: ZERO_UUID, name: 'orders' },
      { topicId: ZERO_UUID, name: 'payments' },
    ],
    allowAutoTopicCreation: true, // v4+ field: its default, true
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  assert.deepEqual(encodeRequest(ApiKey.Metadata, 1, 2, 'kcat', d.body), some);

  const a = decodeRequest(all.subarray(4));
  assert.ok(a.ok && a.apiKey === ApiKey.Metadata);
  assert.equal(a.body.topics, null);
  assert.deepEqual(encodeRequest(ApiKey.Metadata, 1, 2, 'kcat', { topics: null }), all);
  // v0 cannot say "all topics" with null, and v1 cannot carry allowAutoTopicCreation = false.
  assert.throws(() => encodeRequest(ApiKey.Metadata, 0, 2, 'kcat', { topics: null }), ProtocolEncodeError);
  assert.throws(() => encodeRequest(ApiKey.Metadata, 1, 2, 'kcat', { topics: [], allowAutoTopicCreation: false }), ProtocolEncodeError);
});

test('golden: Produce v3 request with a records payload (records decoded without a copy)', () => {
  // Produce Request (Version: 3) => transactional_id acks timeout_ms [topic_data]
  //   topic_data => name [partition_data]   partition_data => index records
  const frame = sized(
    bytes(
      '0000', // request_api_key 0
      '0003', // request_api_version 3
      '00000003', // correlation_id 3
      int16Str('kcat'), // client_id
      'ffff', // transactional_id NULLABLE_STRING null
      'ffff', // acks -1
      '00007530', // timeout_ms 30000
      '00000001', // [topic_data] count 1
      int16Str('orders'), // name
      '00000001', // [partition_data] count 1
      '00000002', // index 2
      '00000049', // records: int32 length 73
      RECORD_BATCH,
    ),
  );
  const body = frame.subarray(4);
  const d = decodeRequest(body);
  assert.ok(d.ok && d.apiKey === ApiKey.Produce);
  assert.equal(d.body.transactionalId, null);
  assert.equal(d.body.acks, -1);
  assert.equal(d.body.timeoutMs, 30000);
  assert.equal(d.body.topicData.length, 1);
  const topic = d.body.topicData[0]!;
  assert.equal(topic.name, 'orders');
  const partition = topic.partitionData[0]!;
  assert.equal(partition.index, 2);
  assert.deepEqual(partition.records, RECORD_BATCH);
  // Zero copy: the records Buffer is a view of the frame.
  assert.equal(partition.records!.buffer, body.buffer);
  assert.equal(partition.records!.byteOffset, body.byteOffset + body.length - RECORD_BATCH.length);
  assert.deepEqual(encodeRequest(ApiKey.Produce, 3, 3, 'kcat', d.body), frame);
  // Our client sends records from memory: a file slice cannot go into encodeRequest's single Buffer.
  const slice: RecordsSource = { byteLength: 73 };
  assert.throws(
    () => encodeRequest(ApiKey.Produce, 3, 3, 'kcat', { acks: -1, topicData: [{ name: 'orders', partitionData: [{ index: 2, records: slice }] }] }),
    ProtocolEncodeError,
  );
});

test('golden: Fetch v4 response, re-encoded from a Buffer and from a RecordsSource', () => {
  // Response header v0 => correlation_id
  // Fetch Response (Version: 4) => throttle_time_ms [responses]
  //   responses => topic [partitions]
  //   partitions => partition_index error_code high_watermark last_stable_offset [aborted_transactions] records
  //   aborted_transactions => producer_id first_offset
  const prefix = bytes(
    '00000004', // correlation_id 4
    '00000000', // throttle_time_ms 0
    '00000001', // [responses] count 1
    int16Str('orders'), // topic STRING
    '00000001', // [partitions] count 1
    '00000000', // partition_index 0
    '0000', // error_code 0
    '000000000000000a', // high_watermark 10
    '0000000000000008', // last_stable_offset 8
    '00000001', // [aborted_transactions] count 1
    '00000000000003e9', // producer_id 1001
    '0000000000000008', // first_offset 8
    '00000049', // records: int32 length 73
  );
  const frame = sized(bytes(prefix, RECORD_BATCH));
  assert.equal(readResponseCorrelationId(frame.subarray(4)), 4);
  const { correlationId, body } = decodeResponse(ApiKey.Fetch, 4, frame.subarray(4));
  assert.equal(correlationId, 4);
  assert.equal(body.throttleTimeMs, 0);
  assert.equal(body.errorCode, 0); // v7+ field: default
  assert.equal(body.sessionId, 0);
  const topic = body.responses[0]!;
  assert.equal(topic.topic, 'orders');
  assert.equal(topic.topicId, ZERO_UUID);
  const p = topic.partitions[0]!;
  assert.equal(p.partitionIndex, 0);
  assert.equal(p.errorCode, 0);
  assert.equal(p.highWatermark, 10);
  assert.equal(p.lastStableOffset, 8);
  assert.equal(p.logStartOffset, -1); // v5+ field: default -1
  assert.equal(p.preferredReadReplica, -1); // v11+ field: default -1
  assert.deepEqual(p.abortedTransactions, [{ producerId: 1001, firstOffset: 8 }]);
  assert.deepEqual(p.records, RECORD_BATCH);
  assert.deepEqual(p.currentLeader, { leaderId: -1, leaderEpoch: -1 }); // v12+ tagged: default

  assert.deepEqual(encodeResponseBuffer(ApiKey.Fetch, 4, 4, body), frame);

  // The same response with the records as a file slice: size prefix counts the slice, and the
  // slice is its own part, to be sent with sendfile after the in-memory prefix.
  const slice: RecordsSource = { byteLength: RECORD_BATCH.length };
  const parts = encodeResponse(ApiKey.Fetch, 4, 4, {
    responses: [
      {
        topic: 'orders',
        partitions: [{ partitionIndex: 0, highWatermark: 10, lastStableOffset: 8, abortedTransactions: [{ producerId: 1001, firstOffset: 8 }], records: slice }],
      },
    ],
  });
  assert.equal(parts.length, 2);
  assert.equal(parts[1], slice);
  assert.deepEqual(Buffer.concat([parts[0] as Buffer, RECORD_BATCH]), frame);
});

test('unknown tagged fields are skipped on read and not written back', () => {
  // ApiVersions Response (Version: 3) => error_code [api_keys] throttle_time_ms TAG_BUFFER
  const body = bytes(
    '0000', // error_code 0
    '02', // [api_keys] compact count 1
    '0000', '0000', '000b', '00', // api_key 0, min 0, max 11, TAG_BUFFER
    '00000000', // throttle_time_ms 0
    '02', // TAG_BUFFER: 2 fields
    '01', '08', '0000000000000005', // tag 1 (FinalizedFeaturesEpoch) size 8: 5
    '09', '03', 'aabbcc', // tag 9 (unknown) size 3: skipped
  );
  const r = new Reader(body);
  const d = decodeApiVersionsResponse(r, 3);
  assert.equal(r.remaining, 0);
  assert.equal(d.finalizedFeaturesEpoch, 5);
  assert.deepEqual(d.apiKeys, [{ apiKey: 0, minVersion: 0, maxVersion: 11 }]);
  assert.deepEqual(d.supportedFeatures, []);
  assert.equal(d.zkMigrationReady, false);
  const w = new Writer();
  encodeApiVersionsResponse(w, 3, d);
  assert.deepEqual(w.finish(), bytes(body.subarray(0, 14), '01', '01', '08', '0000000000000005'));

  // A known tag whose declared size does not match its value is malformed.
  const bad = bytes(body.subarray(0, 14), '01', '01', '09', '000000000000000500');
  assert.throws(() => decodeApiVersionsResponse(new Reader(bad), 3), ProtocolDecodeError);
});

test('header versions: flexible requests v2, ControlledShutdown v0 header v0, ApiVersions responses v0', () => {
  assert.equal(requestHeaderVersion(ApiKey.Produce, 8), 1);
  assert.equal(requestHeaderVersion(ApiKey.Produce, 9), 2);
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 0), 0);
  assert.equal(requestHeaderVersion(ApiKey.ControlledShutdown, 1), 1);
  assert.equal(requestHeaderVersion(ApiKey.SaslHandshake, 1), 1); // never flexible
  assert.equal(requestHeaderVersion(ApiKey.ApiVersions, 99), 2); // unknown future versions parse as flexible
  assert.equal(responseHeaderVersion(ApiKey.Metadata, 8), 0);
  assert.equal(responseHeaderVersion(ApiKey.Metadata, 9), 1);
  assert.equal(responseHeaderVersion(ApiKey.ApiVersions, 3), 0);

  // ControlledShutdown v0: header v0 has no client id at all.
  const cs = encodeRequest(ApiKey.ControlledShutdown, 0, 9, 'ignored', { brokerId: 1 });
  assert.equal(cs.toString('hex'), '0000000c' + '0007' + '0000' + '00000009' + '00000001');
  const h = decodeRequestHeader(cs.subarray(4));
  assert.equal(h.headerVersion, 0);
  assert.equal(h.clientId, ''); // RequestHeaderData's default, as in Kafka
  assert.equal(h.bodyOffset, 8);

  // ApiVersions v3 response: header v0 (no TAG_BUFFER after the correlation id) even though flexible.
  const av = encodeResponseBuffer(ApiKey.ApiVersions, 3, 5, { apiKeys: [] });
  assert.equal(av.subarray(4, 10).toString('hex'), '00000005' + '0000');
  // Metadata v12 response: header v1 (correlation id + TAG_BUFFER).
  const md = encodeResponseBuffer(ApiKey.Metadata, 12, 6, {});
  assert.equal(md.subarray(4, 9).toString('hex'), '00000006' + '00');
  assert.equal(md.readInt32BE(0), md.length - 4);
});

test('unknown api keys and unsupported versions are reported, not thrown; malformed frames throw', () => {
  const unknown = bytes('03e7', '0000', '0000000b', int16Str('c'), 'ffff');
  const u = decodeRequest(unknown);
  assert.equal(u.ok, false);
  assert.ok(!u.ok && u.reason === 'unknown-api-key');
  assert.equal(u.header.correlationId, 11);
  assert.equal(u.header.api, undefined);

  // ApiVersions v9 (newer than we know): header v2 is still parsed, including its tagged fields.
  const future = bytes('0012', '0009', '0000000c', int16Str('newclient'), '01', '03', '02', 'abcd', '0102');
  const f = decodeRequest(future);
  assert.ok(!f.ok && f.reason === 'unsupported-version');
  assert.equal(f.header.clientId, 'newclient');
  assert.equal(f.header.bodyOffset, future.length - 2);
  assert.equal(f.header.versionSupported, false);

  assert.throws(() => decodeRequest(bytes('0012', '00')), ProtocolDecodeError, 'shorter than a header');
  assert.throws(() => decodeRequest(bytes('0012', '0003', '00000001', '0005', '6162')), ProtocolDecodeError, 'client id cut');
  const trailing = bytes('0012', '0000', '00000001', int16Str('c'), '00');
  assert.throws(() => decodeRequest(trailing), ProtocolDecodeError, 'bytes after the body');
  assert.throws(() => encodeResponse(ApiKey.Produce, 99, 1, {}), ProtocolEncodeError);
});
