// The benchmark's ConsumerPerformance wrapper (bench/load-tools.ts) reads the consumer's fetch
// metrics from --print-metrics: run against a Tidelog broker with Kafka's own tools, the
// fetch count, bytes and records per fetch and the fetch latency come back as numbers that
// agree with what was read (the replicated consumer comparison in BENCHMARKS.md rests on them).
//
// Needs Java and Kafka's jars (scripts/fetch-kafka.sh, fetched on first use); never skips.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, type KafkaLibs } from '../../bench/kafka-dist.js';
import { consumerPerformance, producerPerformance } from '../../bench/load-tools.js';
import { startBroker, type EmbeddedBroker } from '../../src/embedded.js';
import { tempDir } from '../helpers/broker-process.js';

const TOPIC = 'perf-metrics';
const RECORDS = 20_000;
const RECORD_SIZE = 100;

describe('bench: ConsumerPerformance --print-metrics', () => {
  let libs: KafkaLibs;
  let broker: EmbeddedBroker;
  let dataDir: string;

  before(async () => {
    libs = await ensureKafkaLibs();
    dataDir = tempDir('tidelog-consumer-perf-');
    broker = await startBroker({ dataDir });
    // Auto-created on the first produce (auto.create.topics.enable is on by default).
    const p = await producerPerformance(libs, { bootstrap: broker.bootstrap, topic: TOPIC, records: RECORDS, recordSize: RECORD_SIZE, throughput: -1, acks: '1' });
    assert.equal(p.records, RECORDS);
  });

  after(async () => {
    await broker?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('reports the fetches that read the topic', async () => {
    const r = await consumerPerformance(libs, { bootstrap: broker.bootstrap, topic: TOPIC, records: RECORDS, group: 'perf-metrics-group' });
    assert.equal(r.records, RECORDS);
    const f = r.fetches;
    assert.ok(f, 'no consumer-fetch-manager-metrics in the output');
    assert.ok(Number.isInteger(f.fetchTotal) && f.fetchTotal >= 1 && f.fetchTotal <= RECORDS, `fetch-total ${f.fetchTotal}`);
    assert.ok(f.recordsPerRequestAvg > 0 && f.recordsPerRequestAvg <= RECORDS, `records-per-request-avg ${f.recordsPerRequestAvg}`);
    // Each record carries a value of RECORD_SIZE bytes, so a fetch holds at least that many per record.
    assert.ok(f.fetchSizeAvgBytes >= f.recordsPerRequestAvg * RECORD_SIZE, `fetch-size-avg ${f.fetchSizeAvgBytes} for ${f.recordsPerRequestAvg} records`);
    assert.ok(f.fetchLatencyAvgMs >= 0 && f.fetchLatencyMaxMs >= f.fetchLatencyAvgMs, `fetch-latency avg ${f.fetchLatencyAvgMs} max ${f.fetchLatencyMaxMs}`);
  });
});
