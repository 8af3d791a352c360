// Append-time record validation against a running broker (crates/storage log_validator,
// Kafka's LogValidator): batches whose CRC is right but whose inside is broken get Kafka's
// error code per partition, nothing of them is stored, and a real consumer (kcat) reads
// everything stored before and after them. Also: keys on compacted topics, zstd below v7.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { crc32c, recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { seededBytes } from '../helpers/seeded-bytes.js';

const TOPIC = 'checked';
const BEFORE_MAX_MS = 3_600_000;
const HEADER_BYTES = 61;

/** `batch` with its records section replaced by `records` and attribute bits 0-2 set to `codec`; length and CRC fixed. */
function withRecords(batch: Buffer, records: Buffer, codec: number): Buffer {
  const out = Buffer.concat([batch.subarray(0, HEADER_BYTES), records]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeUInt16BE((out.readUInt16BE(21) & ~0x07) | codec, 21);
  return fixCrc(out);
}

function fixCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}


/** A valid uncompressed batch of `values` and its records section gzipped, as a producer with compression.type=gzip sends it. */
function gzipBatch(values: string[]): Buffer {
  const plain = recordBatch(values.map((value) => ({ value })));
  return withRecords(plain, zlib.gzipSync(plain.subarray(HEADER_BYTES)), 1);
}

/** The hostile batches, one per partition, with the error each must get. */
function hostileBatches(): { name: string; batch: Buffer; errorCode: number }[] {
  const three = recordBatch([{ value: 'r0' }, { value: 'r1' }, { value: 'r2' }]);
  const randomRecords = withRecords(three, seededBytes(0x2545f491, three.length - HEADER_BYTES), 0);

  const gz = gzipBatch(['g0', 'g1', 'g2', 'g3']);
  const corruptGzip = Buffer.from(gz);
  for (let i = HEADER_BYTES + 12; i < corruptGzip.length - 8; i++) corruptGzip[i] = corruptGzip[i]! ^ 0x5a; // keep the gzip header, break the deflate stream
  fixCrc(corruptGzip);

  const codec7 = withRecords(recordBatch([{ value: 'seven' }]), recordBatch([{ value: 'seven' }]).subarray(HEADER_BYTES), 7);

  // Header says 3 records (and lastOffsetDelta 2, so the header check passes); 2 are there.
  const wrongCount = recordBatch([{ value: 'c0' }, { value: 'c1' }]);
  wrongCount.writeInt32BE(2, 23);
  wrongCount.writeInt32BE(3, 57);
  fixCrc(wrongCount);

  const tooOld = recordBatch([{ value: 'old' }], Date.now() - 2 * BEFORE_MAX_MS);

  return [
    { name: 'random record bytes', batch: randomRecords, errorCode: ErrorCode.INVALID_RECORD },
    { name: 'corrupt gzip stream', batch: corruptGzip, errorCode: ErrorCode.CORRUPT_MESSAGE },
    { name: 'codec id 7', batch: codec7, errorCode: ErrorCode.CORRUPT_MESSAGE },
    { name: 'wrong record count', batch: wrongCount, errorCode: ErrorCode.INVALID_RECORD },
    { name: 'timestamp before message.timestamp.before.max.ms', batch: tooOld, errorCode: ErrorCode.INVALID_TIMESTAMP },
  ];
}

describe('record validation on produce', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  let c: KafkaConnection;

  const produce = async (partitionData: { index: number; records: Buffer }[], version = 9) => {
    const r = await c.request(ApiKey.Produce, version, { acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData }] });
    return r.responses[0]!.partitionResponses;
  };

  before(async () => {
    broker = await startBrokerProcess();
    c = await KafkaConnection.connect('127.0.0.1', broker.port, 'validation-test');
    const created = await c.request(ApiKey.CreateTopics, 7, {
      topics: [{ name: TOPIC, numPartitions: 6, replicationFactor: 1, configs: [{ name: 'message.timestamp.before.max.ms', value: String(BEFORE_MAX_MS) }] }],
      timeoutMs: 5000,
    });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  });

  after(async () => {
    c.close();
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('refuses each broken batch with its Kafka error, stores none, and kcat reads everything around them', async () => {
    const hostile = hostileBatches();
    const partitions = [...hostile.keys(), hostile.length];
    const first = await produce(partitions.map((index) => ({ index, records: recordBatch([{ value: `before-${index}` }]) })));
    for (const p of first) assert.equal(p.errorCode, ErrorCode.NONE);

    // One request: a broken batch on partitions 0-4, a valid gzip batch on partition 5.
    const mixed = await produce([...hostile.map((h, index) => ({ index, records: h.batch })), { index: hostile.length, records: gzipBatch(['gz-0', 'gz-1']) }]);
    for (const [index, h] of hostile.entries()) {
      const p = mixed.find((r) => r.index === index)!;
      assert.equal(p.errorCode, h.errorCode, `${h.name}: ${p.errorMessage}`);
      assert.equal(Number(p.baseOffset), -1, h.name);
      assert.ok(p.errorMessage && !p.errorMessage.startsWith('INVALID') && !p.errorMessage.startsWith('CORRUPT'), `a plain message: ${p.errorMessage}`);
    }
    assert.equal(mixed.find((r) => r.index === hostile.length)!.errorCode, ErrorCode.NONE, 'a valid gzip batch is accepted');

    const last = await produce(partitions.map((index) => ({ index, records: recordBatch([{ value: `after-${index}` }]) })));
    for (const p of last) assert.equal(p.errorCode, ErrorCode.NONE);

    const consumed = await kcat(['-b', broker.bootstrap, '-t', TOPIC, '-C', '-e', '-o', 'beginning', '-q', '-X', 'check.crcs=true', '-f', '%p %o %s\\n']);
    assert.equal(consumed.code, 0, consumed.stderr);
    const lines = consumed.stdout.trim().split('\n').sort();
    const expected = [
      ...hostile.flatMap((_, p) => [`${p} 0 before-${p}`, `${p} 1 after-${p}`]),
      `5 0 before-5`,
      `5 1 gz-0`,
      `5 2 gz-1`,
      `5 3 after-5`,
    ].sort();
    assert.deepEqual(lines, expected);
    assert.doesNotMatch(consumed.stderr, /Decompression failed|corrupt|error/i);
  });

  it('refuses a record without a key on a compacted topic with INVALID_RECORD', async () => {
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'checked-compact', numPartitions: 1, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    const send = async (records: Buffer) =>
      (await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'checked-compact', partitionData: [{ index: 0, records }] }] })).responses[0]!.partitionResponses[0]!;
    const keyless = await send(recordBatch([{ key: 'k', value: 'a' }, { key: null, value: 'b' }]));
    assert.equal(keyless.errorCode, ErrorCode.INVALID_RECORD, keyless.errorMessage ?? '');
    assert.match(keyless.errorMessage ?? '', /Compacted topic cannot accept message without key/);
    const keyed = await send(recordBatch([{ key: 'k', value: 'a' }, { key: 'k', value: null }]));
    assert.equal(keyed.errorCode, ErrorCode.NONE);
    assert.equal(Number(keyed.baseOffset), 0, 'nothing of the refused batch took an offset');
  });

  it('answers a zstd batch in a produce request below v7 with UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const zstdMarked = withRecords(recordBatch([{ value: 'z' }]), recordBatch([{ value: 'z' }]).subarray(HEADER_BYTES), 4);
    const [p] = await produce([{ index: 0, records: zstdMarked }], 6);
    assert.equal(p!.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE); // v6 responses carry no message
  });
});
