// Produce, read back and on-disk bytes of partition 0 of one topic, for the replication tests:
// Produce v9 with our own KafkaConnection (the test sees exactly what was acknowledged),
// Fetch v12 as a consumer from offset 0 to the high watermark, and the segment files of a
// replica concatenated (replicas copy batches verbatim, so their logs match byte for byte).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/client/record-batch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';

export async function produce(port: number, topic: string, values: string[], acks: number): Promise<{ errorCode: number; baseOffset: number }> {
  const conn = await KafkaConnection.connect('127.0.0.1', port, 'replication-test');
  try {
    const records = encodeRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })));
    const r = await conn.request(ApiKey.Produce, 9, { transactionalId: null, acks, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    const p = r.responses[0]!.partitionResponses[0]!;
    return { errorCode: p.errorCode, baseOffset: p.baseOffset };
  } finally {
    conn.close();
  }
}

/** Offset → value of every record from offset 0 to the high watermark, read from `port` (the leader) as a consumer. */
export async function consumeAll(port: number, topic: string): Promise<{ records: Map<number, string>; highWatermark: number }> {
  const conn = await KafkaConnection.connect('127.0.0.1', port, 'replication-test');
  try {
    const records = new Map<number, string>();
    let offset = 0;
    for (;;) {
      const r = await conn.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1 }] }] });
      const p = r.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, ErrorCode.NONE);
      const batches = p.records ? decodeRecordBatches(p.records).batches : [];
      for (const b of batches) for (const rec of b.records) if (rec.offset >= offset) records.set(rec.offset, rec.value!.toString());
      if (batches.length > 0) offset = batches[batches.length - 1]!.lastOffset + 1;
      if (batches.length === 0 || offset >= p.highWatermark) return { records, highWatermark: p.highWatermark };
    }
  } finally {
    conn.close();
  }
}

/** The partition's segment files (.log) on one broker, concatenated in offset order. */
export function logBytes(dataDir: string, topic: string): Buffer {
  const dir = path.join(dataDir, `${topic}-0`);
  return Buffer.concat(readdirSync(dir).filter((f) => f.endsWith('.log')).sort().map((f) => readFileSync(path.join(dir, f))));
}
