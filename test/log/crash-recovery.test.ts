// Start-up recovery after SIGKILL, on a real broker process: with many partitions the
// broker opens every log again (on the thread pool, several at a time) and keeps every
// acknowledged record; and a byte flipped in the middle of a segment is cut off with a WARN
// line naming the file, byte position, offset, bytes and records dropped, counted in /metrics,
// while the records before the damaged batch stay readable.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { decodeBatches } from './records.js';

const PARTITIONS_PER_TOPIC = 10;

async function createTopics(c: KafkaConnection, names: readonly string[], partitions: number): Promise<void> {
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: names.map((name) => ({ name, numPartitions: partitions, replicationFactor: 1 })), timeoutMs: 60_000 });
  for (const t of r.topics) assert.equal(t.errorCode, ErrorCode.NONE, `${t.name}: ${t.errorMessage}`);
}

/** Every record of one partition from offset 0, as decoded batches. */
async function fetchAll(c: KafkaConnection, topic: string, partition: number): Promise<{ offset: number; value: string | null }[]> {
  const out: { offset: number; value: string | null }[] = [];
  for (;;) {
    const r = await c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 8 << 20, topics: [{ topic, partitions: [{ partition, fetchOffset: out.length, partitionMaxBytes: 8 << 20 }] }] });
    const p = r.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.NONE, `fetch ${topic}-${partition}`);
    const batches = p.records ? decodeBatches(Buffer.from(p.records)) : [];
    const records = batches.flatMap((b) => b.records).filter((rec) => rec.offset >= out.length);
    if (records.length === 0) return out;
    out.push(...records.map((rec) => ({ offset: rec.offset, value: rec.value })));
  }
}

function logEntries(b: BrokerProcess): Record<string, unknown>[] {
  return b.logLines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('crash recovery', { timeout: 300_000 }, () => {
  it('serves again after SIGKILL with 500 partitions and keeps every acknowledged record', async () => {
    const dataDir = tempDir();
    const overrides = { 'num.recovery.threads.per.data.dir': 4 };
    const topics = Array.from({ length: 50 }, (_, i) => `many-${i}`);
    const first = await startBrokerProcess({ dataDir, overrides });
    const c = await KafkaConnection.connect('127.0.0.1', first.port);
    await createTopics(c, topics, PARTITIONS_PER_TOPIC);
    // Two records in every partition but the last of each topic (left empty), acks=1.
    for (let round = 0; round < 2; round++) {
      const topicData = topics.map((name) => ({ name, partitionData: Array.from({ length: PARTITIONS_PER_TOPIC - 1 }, (_, index) => ({ index, records: recordBatch([{ value: `${name}-${index}-${round}` }]) })) }));
      const r = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 30_000, topicData });
      for (const t of r.responses) for (const p of t.partitionResponses) assert.equal(p.errorCode, ErrorCode.NONE, `${t.name}-${p.index}`);
    }
    c.close();
    await first.kill();

    const second = await startBrokerProcess({ dataDir, overrides });
    const c2 = await KafkaConnection.connect('127.0.0.1', second.port);
    try {
      const m = await c2.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      const served = m.topics.filter((t) => t.name?.startsWith('many-')).flatMap((t) => t.partitions.filter((p) => p.errorCode === ErrorCode.NONE && p.leaderId === 0));
      assert.equal(served.length, topics.length * PARTITIONS_PER_TOPIC, 'every partition has its leader back');
      for (const name of topics) {
        for (let index = 0; index < PARTITIONS_PER_TOPIC; index++) {
          const expected = index === PARTITIONS_PER_TOPIC - 1 ? [] : [0, 1].map((round) => ({ offset: round, value: `${name}-${index}-${round}` }));
          assert.deepEqual(await fetchAll(c2, name, index), expected, `${name}-${index}`);
        }
      }
      // The empty partitions take writes again.
      const last = topics[topics.length - 1]!;
      const r = await c2.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 10_000, topicData: [{ name: last, partitionData: [{ index: PARTITIONS_PER_TOPIC - 1, records: recordBatch([{ value: 'after' }]) }] }] });
      assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
      assert.deepEqual(await fetchAll(c2, last, PARTITIONS_PER_TOPIC - 1), [{ offset: 0, value: 'after' }]);
      assert.ok(!logEntries(second).some((e) => e.level === 40 && String(e.msg).startsWith('Found invalid messages')), 'a kill after whole writes truncates nothing');
    } finally {
      c2.close();
      await second.stop();
      removeDir(dataDir);
    }
  });

  it('logs a WARN with the file, position and what was dropped when a flipped byte cuts the log, and counts it in /metrics', async () => {
    const dataDir = tempDir();
    const first = await startBrokerProcess({ dataDir });
    const c = await KafkaConnection.connect('127.0.0.1', first.port);
    await createTopics(c, ['flipped'], 1);
    const batches = 200;
    const perBatch = 10;
    for (let b = 0; b < batches; b++) {
      const records = Array.from({ length: perBatch }, (_, i) => ({ key: `k${i}`, value: `value-${b * perBatch + i}` }));
      const r = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 10_000, topicData: [{ name: 'flipped', partitionData: [{ index: 0, records: recordBatch(records) }] }] });
      assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    }
    c.close();
    await first.kill();

    // Flip a byte inside the records of the batch in the middle of the segment.
    const segment = path.join(dataDir, 'flipped-0', '00000000000000000000.log');
    const bytes = readFileSync(segment);
    const starts: number[] = [];
    for (let pos = 0; pos < bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) starts.push(pos);
    assert.equal(starts.length, batches);
    const bad = batches / 2;
    const badPosition = starts[bad]!;
    bytes[badPosition + 70]! ^= 0x20;
    writeFileSync(segment, bytes);
    const fileBytes = statSync(segment).size;

    const second = await startBrokerProcess({ dataDir });
    const c2 = await KafkaConnection.connect('127.0.0.1', second.port);
    try {
      const warns = logEntries(second).filter((e) => e.level === 40 && String(e.msg).startsWith('Found invalid messages in log segment'));
      assert.equal(warns.length, 1, 'one WARN line for the truncation');
      const w = warns[0]!;
      assert.equal(w.topic, 'flipped');
      assert.equal(w.partition, 0);
      assert.equal(w.segment, segment);
      assert.equal(w.position, badPosition);
      assert.equal(w.offset, bad * perBatch, 'the first offset lost');
      assert.equal(w.reason, 'crc_mismatch');
      assert.equal(w.truncatedBytes, fileBytes - badPosition);
      assert.equal(w.droppedBytes, fileBytes - badPosition);
      assert.equal(w.droppedBatches, batches - bad);
      assert.equal(w.droppedRecords, (batches - bad) * perBatch);
      assert.equal(w.countsComplete, true);
      assert.match(String(w.msg), new RegExp(`at byte offset ${badPosition}: .*Truncated ${fileBytes - badPosition} bytes from offset ${bad * perBatch}`));

      const metrics = await (await fetch(`${second.adminUrl}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
      assert.equal(value('tidelog_log_recovery_truncations_total'), 1);
      assert.equal(value('tidelog_log_recovery_dropped_bytes_total'), fileBytes - badPosition);
      assert.equal(value('tidelog_log_recovery_dropped_records_total'), (batches - bad) * perBatch);

      const kept = await fetchAll(c2, 'flipped', 0);
      assert.deepEqual(
        kept,
        Array.from({ length: bad * perBatch }, (_, i) => ({ offset: i, value: `value-${i}` })),
        'every record before the damaged batch is readable',
      );
    } finally {
      c2.close();
      await second.stop();
      removeDir(dataDir);
    }
  });
});
