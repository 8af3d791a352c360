// FrameReader (src/client/kafka-connection.ts): size-prefixed frames cut out of a byte stream
// that arrives in arbitrary pieces, read from one reused buffer, and a real connection reading
// a response far larger than one socket read, and response frames read into a pool and given back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader, KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { removeDir, startBrokerProcess } from '../helpers/broker-process.js';
import { recordBatch } from '../helpers/batch.js';
import { FrameBufferPool } from '../../src/frame-buffer-pool.js';

function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(payloads.flatMap((p) => [Buffer.from([p.length >>> 24, (p.length >>> 16) & 255, (p.length >>> 8) & 255, p.length & 255]), p]));
}

test('frames come out whole whatever the read boundaries, from one reused read buffer', () => {
  const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from('hello world'), Buffer.alloc(5, 1)];
  const stream = framed(payloads);
  for (const step of [1, 2, 3, 4, 5, 7, 4096, 65_536, stream.length]) {
    const got: Buffer[] = [];
    const reader = new FrameReader(
      (f) => got.push(f),
      (e) => assert.fail(e),
    );
    const shared = Buffer.alloc(step);
    for (let pos = 0; pos < stream.length; pos += step) {
      const n = stream.copy(shared, 0, pos, Math.min(stream.length, pos + step));
      reader.push(shared, n);
      shared.fill(0xee); // the next read overwrites it: frames must own their bytes
    }
    assert.deepEqual(got, payloads, `read step ${step}`);
  }
});

test('a negative frame size is an error', () => {
  let error: Error | undefined;
  const reader = new FrameReader(
    () => assert.fail('no frame expected'),
    (e) => (error = e),
  );
  reader.push(Buffer.from([0xff, 0xff, 0xff, 0xfe, 1, 2]));
  assert.match(error?.message ?? '', /invalid frame size -2/);
});

test('a plaintext connection reads a multi-MiB fetch response into whole frames', async () => {
  const broker = await startBrokerProcess();
  try {
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    try {
      await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'big', numPartitions: 1, replicationFactor: 1, configs: [] }], timeoutMs: 10_000 });
      const value = Buffer.alloc(8 * 1024, 3).toString('latin1');
      const records = recordBatch(Array.from({ length: 64 }, () => ({ value })));
      for (let i = 0; i < 6; i++) {
        const r = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 10_000, topicData: [{ name: 'big', partitionData: [{ index: 0, records }] }] });
        assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
      }
      const f = await c.request(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 16 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 'big', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 16 * 1024 * 1024 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const p = f.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, 0);
      assert.ok(p.records && p.records.length > 3 * 1024 * 1024, `records ${p.records?.length}`);
      // Every value byte is intact (a frame cut wrongly would shift or overwrite them).
      let threes = 0;
      for (const b of p.records!) if (b === 3) threes++;
      assert.ok(threes >= 6 * 512 * 1024, `value bytes ${threes}`);
    } finally {
      c.close();
    }
  } finally {
    await broker.stop();
    removeDir(broker.dataDir);
  }
});

test('pooled response frames: a held response keeps its bytes until released, then its frame is reused; others are not given back', async () => {
  const broker = await startBrokerProcess();
  try {
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    const pool = new FrameBufferPool(1024 * 1024, 4 * 1024, 1024 * 1024);
    c.poolResponseFrames(pool);
    try {
      await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'pooled', numPartitions: 1, replicationFactor: 1, configs: [] }], timeoutMs: 10_000 });
      for (const fill of [1, 2]) {
        const records = recordBatch(Array.from({ length: 4 }, () => ({ value: Buffer.alloc(4000, fill).toString('latin1') })));
        const r = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 10_000, topicData: [{ name: 'pooled', partitionData: [{ index: 0, records }] }] });
        assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
      }
      const fetchAt = (offset: number) =>
        c.requestHoldingFrame(ApiKey.Fetch, 12, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 1,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          // One byte: the one batch at `offset` (a fetch returns a first batch whatever its size).
          topics: [{ topic: 'pooled', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 }] }],
          forgottenTopicsData: [],
          rackId: '',
        });
      // Two held at once: different frames, each with its own batch's bytes.
      const first = await fetchAt(0);
      const second = await fetchAt(4);
      const bytesOf = (h: typeof first) => h.body.responses[0]!.partitions[0]!.records!;
      assert.notEqual(bytesOf(first).buffer, bytesOf(second).buffer);
      assert.ok(bytesOf(first).includes(Buffer.alloc(4000, 1)) && !bytesOf(first).includes(Buffer.alloc(4000, 2)));
      assert.ok(bytesOf(second).includes(Buffer.alloc(4000, 2)));
      assert.equal(pool.idleBytes, 0);
      const firstFrame = bytesOf(first).buffer;
      first.release();
      first.release(); // a second release gives nothing back twice
      const kept = pool.idleBytes;
      assert.ok(kept > 0, 'the released frame is back in the pool');
      // The next response is read into that frame: its views now show the new bytes.
      const third = await fetchAt(4);
      assert.equal(bytesOf(third).buffer, firstFrame);
      assert.ok(bytesOf(third).includes(Buffer.alloc(4000, 2)));
      assert.equal(pool.idleBytes, 0);
      // A plain request's frame comes from the pool too but is never given back.
      await c.request(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 'pooled', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1024 * 1024 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      assert.equal(pool.idleBytes, 0);
      second.release();
      third.release();
      assert.equal(pool.idleBytes, 2 * kept);
    } finally {
      c.close();
    }
  } finally {
    await broker.stop();
    removeDir(broker.dataDir);
  }
});
