// Fetch responses on the wire, against a real broker process: the bytes before a partition's
// records, the records (sendfile from the page cache on the event loop while the socket takes
// them, the rest from the thread pool) and the bytes after them must arrive in order and
// whole, also when the client stops reading mid-response so the socket fills, and when
// pipelined responses queue behind one another.
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

const TOPIC = 'fetch-send';
const PARTITIONS = 3;
/** Per partition: 12 batches of ~600 kB, 7.2 MB, so a 3-partition response is ~21 MB. */
const BATCHES = 12;
const BATCH_VALUE_BYTES = 200_000;
const RECORDS_PER_BATCH = 3;

/**
 * Reads response frames off a raw socket that starts paused, slowly: `resumeAfterMs` lets the
 * broker's writes back up first, then a pause after every read keeps its socket filling up.
 */
function collectResponses(socket: net.Socket, expected: number, resumeAfterMs: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const frames: Buffer[] = [];
    let chunks: Buffer[] = [];
    let buffered = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      buffered += chunk.length;
      socket.pause();
      setTimeout(() => socket.resume(), 1);
      // Frames are megabytes: join the chunks only once a whole frame has arrived.
      for (;;) {
        if (buffered < 4) break;
        const head = chunks[0]!.length >= 4 ? chunks[0]! : Buffer.concat(chunks);
        const size = head.readInt32BE(0);
        if (size < 0 || size > 256 << 20) {
          socket.destroy(new Error(`response frame of ${size} bytes: the stream is out of step`));
          return;
        }
        if (buffered < 4 + size) break;
        const all = Buffer.concat(chunks);
        frames.push(all.subarray(4, 4 + size));
        const rest = all.subarray(4 + size);
        chunks = rest.length > 0 ? [rest] : [];
        buffered = rest.length;
      }
      if (frames.length === expected) resolve(frames);
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${frames.length} of ${expected} responses`)));
    setTimeout(() => socket.resume(), resumeAfterMs);
  });
}

/** A raw connection to the broker that reads nothing until resumed. */
async function pausedConnection(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.pause();
  return socket;
}

/** Creates `topic` and fills it; returns each partition's record values in offset order. */
async function fillTopic(broker: BrokerProcess, topic = TOPIC, partitions = PARTITIONS, batches = BATCHES): Promise<Buffer[][]> {
  const produced: Buffer[][] = [];
  const c = await KafkaConnection.connect('127.0.0.1', broker.port);
  const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1 }], timeoutMs: 5000 });
  assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  for (let partition = 0; partition < partitions; partition++) {
    const values: Buffer[] = [];
    for (let b = 0; b < batches; b++) {
      const batchValues = Array.from({ length: RECORDS_PER_BATCH }, () => randomBytes(BATCH_VALUE_BYTES));
      const r = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeRecordBatch(batchValues.map((value) => ({ value }))) }] }] });
      assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
      values.push(...batchValues);
    }
    produced.push(values);
  }
  c.close();
  return produced;
}

function fetchAllFrame(version: number, correlationId: number, offsets: readonly number[], topic = TOPIC): Buffer {
  return Buffer.from(
    encodeRequest(ApiKey.Fetch, version, correlationId, 'fetch-send-test', {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 64 << 20,
      isolationLevel: 0,
      topics: [{ topic, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes: 64 << 20 })) }],
    }),
  );
}

describe('fetch responses on the wire', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  const produced: Buffer[][] = [];

  before(async () => {
    broker = await startBrokerProcess();
    produced.push(...(await fillTopic(broker)));
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('sends every partition whole and in order to a reader that stalls, for pipelined flexible and non-flexible fetches', async () => {
    const socket = await pausedConnection(broker.port);
    // Four pipelined fetches: all partitions from the start (v12: flexible, tagged fields
    // after the records; v4: not), then from the middle, with one partition read past its end
    // (empty records between two file ranges).
    const middle = (BATCHES / 2) * RECORDS_PER_BATCH;
    const end = BATCHES * RECORDS_PER_BATCH;
    const fetches = [
      { version: 12, offsets: [0, 0, 0] },
      { version: 4, offsets: [0, 0, 0] },
      { version: 12, offsets: [middle, end, middle] },
      { version: 4, offsets: [middle, end, 0] },
    ];
    const frames = fetches.map((f, i) => fetchAllFrame(f.version, 100 + i, f.offsets));
    const responses = collectResponses(socket, fetches.length, 500);
    socket.write(Buffer.concat(frames));
    // A response short of bytes would never complete: fail instead of waiting forever.
    const timer = setTimeout(() => socket.destroy(new Error('the responses did not all arrive within 30 s')), 30_000);
    const received = await responses.finally(() => clearTimeout(timer));
    socket.destroy();

    received.forEach((frame, i) => {
      const { version, offsets } = fetches[i]!;
      const { correlationId, body } = decodeResponse(ApiKey.Fetch, version, frame);
      assert.equal(correlationId, 100 + i, 'responses in request order');
      assert.equal(body.errorCode, ErrorCode.NONE);
      const partitions = body.responses[0]!.partitions;
      assert.deepEqual(
        partitions.map((p) => p.partitionIndex),
        [0, 1, 2],
      );
      partitions.forEach((p, partition) => {
        assert.equal(p.errorCode, ErrorCode.NONE);
        const from = offsets[partition]!;
        const values = p.records && p.records.length > 0 ? decodeRecordBatches(Buffer.from(p.records)).batches.flatMap((b) => b.records.map((r) => r.value!)) : [];
        const expected = produced[partition]!.slice(from);
        assert.equal(values.length, expected.length, `fetch ${i} (v${version}) partition ${partition} from ${from}: record count`);
        values.forEach((v, k) => assert.ok(v.equals(expected[k]!), `fetch ${i} partition ${partition}: record ${from + k} intact`));
      });
    });
  });
});

describe('a fetch response sent from the thread pool', { timeout: 120_000 }, () => {
  const topic = 'fetch-cut';
  /** One partition of 60 batches of ~600 kB: a 36 MB range, far more than both sockets' buffers hold. */
  const batches = 60;
  let broker: BrokerProcess;

  before(async () => {
    // A fixed send buffer, so what is in flight when the broker stops does not depend on the
    // machine's autotuning limits.
    broker = await startBrokerProcess({ overrides: { 'connections.max.idle.ms': 1000, 'socket.send.buffer.bytes': 131072 } });
    await fillTopic(broker, topic, 1, batches);
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  /** Counts the bytes of the response until the connection ends; `frameBytes` from its size prefix. */
  function countUntilEnd(socket: net.Socket, onChunk: () => void = () => {}): Promise<{ received: number; frameBytes: number }> {
    let received = 0;
    let frameBytes = -1;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (frameBytes < 0) frameBytes = 4 + chunk.readInt32BE(0);
      received += chunk.length;
      onChunk();
    });
    return new Promise((resolve) => socket.once('close', () => resolve({ received, frameBytes })));
  }

  it('ends when the broker closes the connection, although the thread pool still holds its send', async () => {
    const socket = await pausedConnection(broker.port);
    socket.write(fetchAllFrame(12, 1, [0], topic));
    // Once the response has begun, the rest of its records waits in a thread-pool send through
    // a copy of the socket's descriptor, while nothing is read.
    await new Promise<void>((resolve) => {
      socket.once('data', (first: Buffer) => {
        socket.pause();
        socket.unshift(first);
        resolve();
      });
      socket.resume();
    });
    // A frame of size 0 is malformed: the broker closes this connection.
    socket.write(Buffer.alloc(4));
    await new Promise((r) => setTimeout(r, 500));
    const ended = countUntilEnd(socket);
    socket.resume();
    const { received, frameBytes } = await ended;
    // Had the copy kept the connection open, reading again would have let that send finish
    // all 36 MB of records; the stream ends with what the buffers held when it was closed.
    assert.ok(frameBytes > 36_000_000, `a response of ${frameBytes} bytes`);
    assert.ok(received < frameBytes - 18_000_000, `the stream ended after ${received} of the response's ${frameBytes} bytes`);

    // The broker serves everyone else as before.
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    const metadata = await c.request(ApiKey.Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.equal(metadata.topics[0]!.errorCode, ErrorCode.NONE);
    c.close();
  });

  it('is not cut off by connections.max.idle.ms while it is still being sent', async () => {
    const socket = await pausedConnection(broker.port);
    socket.write(fetchAllFrame(12, 2, [0], topic));
    // Read slowly, a pause after every chunk: the 36 MB take seconds, several idle timeouts,
    // and none of the bytes passes through the broker's Node socket.
    const ended = countUntilEnd(socket, () => {
      socket.pause();
      setTimeout(() => socket.resume(), 5);
    });
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), 60_000);
    // The broker closes the connection once it is idle after the response.
    const { received, frameBytes } = await ended;
    clearTimeout(timer);
    assert.ok(frameBytes > 36_000_000, `a response of ${frameBytes} bytes`);
    assert.equal(received, frameBytes, 'the whole response arrived before the connection ended');
  });
});
