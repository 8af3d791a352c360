// Request frames assembled from socket reads, against a real broker process: the broker reads
// every connection into one shared buffer and copies each frame into a pooled buffer, so a
// frame split anywhere (inside its size prefix, across reads, larger than the read buffer)
// and frames from two connections arriving interleaved must each reach the log intact, and a
// pooled buffer must not be reused while a pipelined request still holds it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/client/record-batch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/framing.js';
import { ApiKey, loadAllApiCodecs } from '../../src/protocol/generated/index.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

// The framing functions used here are synchronous: every API's codecs first.
await loadAllApiCodecs();

const TOPIC = 'frames';
/** Batch sizes around the pool's edges (4 KiB, 8 MiB classes) and the 256 KiB read buffer. */
const BATCH_BYTES = [90, 3_000, 4_096, 5_000, 70_000, 262_144, 300_000, 1_200_000, 3_000_000, 16_000];
const REQUESTS_PER_CONNECTION = 24;

/** Deterministic piece sizes: many tiny ones (split size prefixes) and some larger than the read buffer. */
function* pieceSizes(seed: number): Generator<number> {
  let state = seed >>> 0;
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  for (;;) {
    const x = next();
    const kind = x % 4;
    yield kind === 0 ? 1 + (x % 3) : kind === 1 ? 1 + (x % 5000) : kind === 2 ? 1 + (x % 70_000) : 1 + (x % 400_000);
  }
}

interface SentRequest {
  readonly correlationId: number;
  readonly values: Buffer[];
}

/** Produce requests for one partition, each one batch of a few records of random bytes. */
function produceRequests(partition: number): { stream: Buffer; sent: SentRequest[] } {
  const frames: Buffer[] = [];
  const sent: SentRequest[] = [];
  for (let i = 0; i < REQUESTS_PER_CONNECTION; i++) {
    const total = BATCH_BYTES[(i + partition * 3) % BATCH_BYTES.length]!;
    const count = 1 + (i % 4);
    const values = Array.from({ length: count }, () => randomBytes(Math.max(1, Math.floor(total / count) - 20)));
    const batch = encodeRecordBatch(values.map((value) => ({ value })));
    const correlationId = 1000 * (partition + 1) + i;
    frames.push(Buffer.from(encodeRequest(ApiKey.Produce, 9, correlationId, 'frame-test', { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: batch }] }] })));
    sent.push({ correlationId, values });
  }
  return { stream: Buffer.concat(frames), sent };
}

/** Reads response frames off a raw socket. */
function collectResponses(socket: net.Socket, expected: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const frames: Buffer[] = [];
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        frames.push(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
      }
      if (frames.length === expected) resolve(frames);
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${frames.length} of ${expected} responses`)));
  });
}

async function writeInPieces(socket: net.Socket, stream: Buffer, seed: number): Promise<number> {
  const sizes = pieceSizes(seed);
  let pieces = 0;
  for (let pos = 0; pos < stream.length; pieces++) {
    const n = Math.min(sizes.next().value!, stream.length - pos);
    const piece = stream.subarray(pos, pos + n);
    pos += n;
    await new Promise<void>((resolve, reject) => socket.write(piece, (err) => (err ? reject(err) : resolve())));
    // Let the other connection's pieces and the broker's reads interleave with ours.
    await new Promise((r) => setImmediate(r));
  }
  return pieces;
}

describe('frame assembly', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'message.max.bytes': 8 * 1024 * 1024 } });
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    c.close();
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('stores pipelined produce requests split at arbitrary points on two connections at once', async () => {
    const connections = await Promise.all(
      [0, 1].map(async (partition) => {
        const socket = net.connect({ host: '127.0.0.1', port: broker.port, noDelay: true });
        await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
        return { partition, socket, ...produceRequests(partition) };
      }),
    );
    const results = await Promise.all(
      connections.map(async ({ partition, socket, stream, sent }) => {
        const responses = collectResponses(socket, sent.length);
        const pieces = await writeInPieces(socket, stream, 7 + partition);
        return { partition, sent, pieces, responses: await responses };
      }),
    );

    for (const { partition, sent, pieces, responses } of results) {
      assert.ok(pieces > sent.length * 4, `the requests went out in ${pieces} pieces`);
      let nextOffset = 0;
      responses.forEach((frame, i) => {
        const { correlationId, body } = decodeResponse(ApiKey.Produce, 9, frame);
        assert.equal(correlationId, sent[i]!.correlationId, 'responses in request order');
        const p = body.responses[0]!.partitionResponses[0]!;
        assert.equal(p.errorCode, ErrorCode.NONE, `request ${i} on partition ${partition}: ${p.errorMessage}`);
        assert.equal(Number(p.baseOffset), nextOffset);
        nextOffset += sent[i]!.values.length;
      });

      const reader = await KafkaConnection.connect('127.0.0.1', broker.port);
      const stored: Buffer[] = [];
      while (stored.length < nextOffset) {
        const fetched = await reader.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 16 << 20, topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset: stored.length, partitionMaxBytes: 16 << 20 }] }] });
        const records = fetched.responses[0]!.partitions[0]!.records;
        assert.ok(records && records.length > 0, `fetch at ${stored.length} returned records`);
        for (const batch of decodeRecordBatches(Buffer.from(records)).batches) for (const r of batch.records) stored.push(r.value!);
      }
      reader.close();
      const expected = sent.flatMap((s) => s.values);
      assert.equal(stored.length, expected.length);
      stored.forEach((value, i) => assert.ok(value.equals(expected[i]!), `record ${i} of partition ${partition} stored intact`));
    }
    for (const { socket } of connections) socket.destroy();
  });
});
