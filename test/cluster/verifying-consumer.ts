// Reads back what the failover tests produced and checks it against what was acknowledged.
//
// consumePartition: Fetch v11 (replica id -1, read uncommitted) from the partition's current
// leader, from offset 0 up to the high watermark, batches decoded by src/client/record-batch.ts.
// verifyPartition: offsets 0, 1, 2, ... with no repeat and no gap (no compaction, no
// transactions); every acknowledged (offset, value) at exactly that offset and below the high
// watermark; values in order of first appearance; a value seen twice only when its first
// attempt was not acknowledged. readReplicaLog: the same records read from a broker's segment
// files on disk, to compare the three replicas.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { decodeRecordBatches } from '../../src/client/record-batch.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode, errorName } from '../../src/protocol/errors.js';
import type { ThreeBrokerCluster } from './three-brokers.js';
import { ADMIN_REQUEST_TIMEOUT_MS, withTimeout } from './three-brokers.js';
import type { PartitionProducer } from './verifying-producer.js';

const FETCH_VERSION = 11;
const FETCH_MAX_BYTES = 1 << 20;

export interface LoggedRecord {
  readonly offset: number;
  /** The value as text (the producer writes decimal sequence numbers). */
  readonly value: string;
}

export interface ConsumedPartition {
  readonly partition: number;
  readonly leader: number;
  readonly highWatermark: number;
  readonly records: LoggedRecord[];
}

function recordsOf(bytes: Buffer | null, fromOffset: number): LoggedRecord[] {
  if (bytes === null || bytes.length === 0) return [];
  const out: LoggedRecord[] = [];
  const { batches } = decodeRecordBatches(bytes);
  batches.forEach((b, i) => {
    if (b.isControl) return;
    for (const r of b.records) {
      // Kafka returns the whole batch holding fetchOffset: skip its records before it (only
      // in the first batch; anything else out of order is for verifyPartition to catch).
      if (i === 0 && r.offset < fromOffset) continue;
      out.push({ offset: r.offset, value: r.value === null ? '<null>' : r.value.toString('utf8') });
    }
  });
  return out;
}

/** Every record of the partition from offset 0 to the high watermark, from its current leader. */
export async function consumePartition(cluster: ThreeBrokerCluster, topic: string, partition: number, timeoutMs: number): Promise<ConsumedPartition> {
  const deadline = Date.now() + timeoutMs;
  const records: LoggedRecord[] = [];
  let fetchOffset = 0;
  let lastError = '';
  let conn: KafkaConnection | null = null;
  let leader = -1;
  try {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`consuming ${topic}-${partition}: timed out after ${timeoutMs} ms at offset ${fetchOffset} (last error: ${lastError || 'none'})`);
      if (conn === null) {
        try {
          const view = await cluster.metadata(topic);
          const p = view.partitions.find((x) => x.partition === partition);
          const port = p && p.leader >= 0 ? view.brokers.get(p.leader)?.port : undefined;
          if (!p || port === undefined) {
            lastError = `no leader (${p ? errorName(p.errorCode) : 'partition missing'})`;
            await sleep(200);
            continue;
          }
          leader = p.leader;
          conn = await KafkaConnection.connect('127.0.0.1', port, 'verifying-consumer', 2_000);
        } catch (err) {
          lastError = (err as Error).message;
          await sleep(200);
          continue;
        }
      }
      const c: KafkaConnection = conn;
      let r;
      try {
        r = await withTimeout(
          c.request(ApiKey.Fetch, FETCH_VERSION, {
            replicaId: -1,
            maxWaitMs: 0,
            minBytes: 1,
            maxBytes: FETCH_MAX_BYTES,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1, partitionMaxBytes: FETCH_MAX_BYTES }] }],
            forgottenTopicsData: [],
            rackId: '',
          }),
          ADMIN_REQUEST_TIMEOUT_MS,
          `Fetch ${topic}-${partition} from broker ${leader}`,
          () => c.close(),
        );
      } catch (err) {
        lastError = (err as Error).message;
        c.close();
        conn = null;
        await sleep(200);
        continue;
      }
      const part = r.responses[0]?.partitions[0];
      if (r.errorCode !== ErrorCode.NONE || !part || part.errorCode !== ErrorCode.NONE) {
        lastError = errorName(r.errorCode !== ErrorCode.NONE ? r.errorCode : (part?.errorCode ?? -1));
        c.close();
        conn = null;
        await sleep(200);
        continue;
      }
      const got = recordsOf(part.records, fetchOffset);
      if (got.length === 0) {
        if (fetchOffset >= part.highWatermark) return { partition, leader, highWatermark: part.highWatermark, records };
        // Below the high watermark and nothing returned: a broker bug; keep trying until the deadline.
        lastError = `no records at offset ${fetchOffset} below the high watermark ${part.highWatermark}`;
        await sleep(200);
        continue;
      }
      // Only what is below the high watermark counts as consumed (Kafka never returns more to a consumer).
      const visible = got.filter((x) => x.offset < part.highWatermark);
      records.push(...visible);
      fetchOffset = got[got.length - 1]!.offset + 1;
      if (visible.length < got.length) lastError = `records above the high watermark ${part.highWatermark} returned to a consumer`;
    }
  } finally {
    (conn as KafkaConnection | null)?.close();
  }
}

export interface LostRecord {
  readonly offset: number;
  readonly value: number;
  /** What is at that offset instead ('missing' when nothing is). */
  readonly found: string;
}

export interface PartitionVerification {
  readonly partition: number;
  readonly acknowledged: number;
  readonly consumed: number;
  readonly highWatermark: number;
  readonly lost: LostRecord[];
  /** Values consumed more than once. */
  readonly duplicateValues: number[];
  /** Extra copies of those values (a value consumed three times counts two). */
  readonly duplicateCopies: number;
  /** Duplicated values whose first attempt was acknowledged: never allowed. */
  readonly unexpectedDuplicates: number[];
  /** Repeated, decreasing or missing offsets, values that were never sent, values out of order. */
  readonly problems: string[];
}

export function verifyPartition(consumed: ConsumedPartition, producer: PartitionProducer): PartitionVerification {
  const problems: string[] = [];
  const byOffset = new Map<number, string>();
  const counts = new Map<number, number>();
  let previousOffset = -1;
  let highestFirstValue = -1;
  for (const r of consumed.records) {
    if (r.offset <= previousOffset) problems.push(`offset ${r.offset} after ${previousOffset} (not strictly increasing)`);
    else if (r.offset !== previousOffset + 1) problems.push(`offsets ${previousOffset + 1}..${r.offset - 1} missing (gap)`);
    previousOffset = Math.max(previousOffset, r.offset);
    byOffset.set(r.offset, r.value);
    const v = Number(r.value);
    if (!/^\d+$/.test(r.value) || v >= producer.nextValue) {
      problems.push(`offset ${r.offset} holds ${JSON.stringify(r.value)}, a value never sent`);
      continue;
    }
    const seen = counts.get(v) ?? 0;
    counts.set(v, seen + 1);
    if (seen === 0) {
      if (v <= highestFirstValue) problems.push(`value ${v} at offset ${r.offset} first appears after value ${highestFirstValue} (out of order)`);
      highestFirstValue = Math.max(highestFirstValue, v);
    }
  }
  if (consumed.records.length > 0 && consumed.records[consumed.records.length - 1]!.offset !== consumed.highWatermark - 1) {
    problems.push(`last record at offset ${consumed.records[consumed.records.length - 1]!.offset}, high watermark ${consumed.highWatermark}`);
  }
  const lost: LostRecord[] = [];
  for (const a of producer.acked) {
    const found = byOffset.get(a.offset);
    if (found !== String(a.value)) lost.push({ offset: a.offset, value: a.value, found: found ?? (a.offset >= consumed.highWatermark ? `missing (at or above the high watermark ${consumed.highWatermark})` : 'missing') });
  }
  const duplicateValues = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  const duplicateCopies = [...counts.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
  const unexpectedDuplicates = duplicateValues.filter((v) => !producer.retried.has(v) && !producer.unresolved.has(v));
  return {
    partition: consumed.partition,
    acknowledged: producer.acked.length,
    consumed: consumed.records.length,
    highWatermark: consumed.highWatermark,
    lost,
    duplicateValues,
    duplicateCopies,
    unexpectedDuplicates,
    problems,
  };
}

/**
 * The records in a broker's segment files for the partition (`<log.dirs>/<topic>-<partition>/`,
 * `*.log` in base-offset order), as they are on disk, whatever the high watermark.
 */
export function readReplicaLog(dataDir: string, topic: string, partition: number): LoggedRecord[] {
  const dir = path.join(dataDir, `${topic}-${partition}`);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d{20}\.log$/.test(n)).sort();
  } catch {
    return [];
  }
  const out: LoggedRecord[] = [];
  for (const name of names) {
    const bytes = readFileSync(path.join(dir, name));
    const { batches } = decodeRecordBatches(bytes);
    for (const b of batches) {
      if (b.isControl) continue;
      for (const r of b.records) out.push({ offset: r.offset, value: r.value === null ? '<null>' : r.value.toString('utf8') });
    }
  }
  return out;
}

/** A short fingerprint of a replica's log: record count, last offset, and a hash of (offset, value) pairs. */
export function logSummary(records: readonly LoggedRecord[]): string {
  let h = 0x811c9dc5;
  for (const r of records) {
    const s = `${r.offset}:${r.value};`;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  }
  const last = records.length === 0 ? -1 : records[records.length - 1]!.offset;
  return `${records.length} records, last offset ${last}, fnv ${h.toString(16).padStart(8, '0')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
