// Kafka's broker metrics under Prometheus names, after real traffic on one broker process:
// the active controller, leaders, offline partitions, errors per API and error code, and a
// consumer group's lag per partition; and the error walk itself on a nested response body.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { encodeRecordBatch } from '../../src/client/record-batch.js';
import { countErrorCodes } from '../../src/metrics/broker-metrics.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { removeDir, repoRoot, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { scrapeMetric } from '../helpers/limits.js';

describe('broker metrics', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'num.partitions': 2 } });
  });
  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('counts controller, leaders, offline partitions, errors per API and error, and group lag', async () => {
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    try {
      assert.equal((await client.createTopic('measured', { partitions: 2, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
      for (let i = 0; i < 5; i++) {
        const r = await client.produce('measured', 0, encodeRecordBatch([{ key: null, value: Buffer.from(`v${i}`) }]));
        assert.equal(r.errorCode, ErrorCode.NONE);
      }
      const committed = await client.commitOffsets('lagging', [{ topic: 'measured', partition: 0, offset: 2 }]);
      assert.deepEqual(committed.map((c) => c.errorCode), [ErrorCode.NONE]);
    } finally {
      client.close();
    }
    // Two requests that fail: acks 5 for one partition, and ListOffsets for a partition that does not exist.
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'metrics-test');
    try {
      const produced = await conn.request(ApiKey.Produce, 9, { transactionalId: null, acks: 5, timeoutMs: 1000, topicData: [{ name: 'measured', partitionData: [{ index: 0, records: encodeRecordBatch([{ key: null, value: Buffer.from('x') }]) }] }] });
      assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
      const listed = await conn.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'measured', partitions: [{ partitionIndex: 9, currentLeaderEpoch: -1, timestamp: -1 }] }] });
      assert.equal(listed.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    } finally {
      conn.close();
    }
    const admin = broker.adminUrl!;
    assert.equal(await scrapeMetric(admin, 'tidelog_active_controller_count'), 1);
    // The topic's 2 partitions and the 50 of __consumer_offsets, all led here.
    assert.equal(await scrapeMetric(admin, 'tidelog_leader_count'), 52);
    assert.equal(await scrapeMetric(admin, 'tidelog_offline_partitions'), 0);
    assert.equal(await scrapeMetric(admin, 'tidelog_under_replicated_partitions'), 0);
    assert.equal(await scrapeMetric(admin, 'tidelog_request_errors_total', { api: 'Produce', error: 'INVALID_REQUIRED_ACKS' }), 1);
    assert.equal(await scrapeMetric(admin, 'tidelog_request_errors_total', { api: 'ListOffsets', error: 'UNKNOWN_TOPIC_OR_PARTITION' }), 1);
    assert.equal(await scrapeMetric(admin, 'tidelog_consumer_group_lag', { group: 'lagging', topic: 'measured', partition: '0' }), 3);
    assert.equal(await scrapeMetric(admin, 'tidelog_isr_shrinks_total'), 0);
  });

  it("splits a request's time as Kafka does: a response waiting behind a long-poll fetch shows in the response queue, not in its handler", async () => {
    const LONG_POLL_MS = 600;
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap });
    try {
      assert.equal((await client.createTopic('timed', { partitions: 1, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    } finally {
      client.close();
    }
    const admin = broker.adminUrl!;
    const slowApiVersions = async (): Promise<number> => (await scrapeMetric(admin, 'tidelog_response_queue_time_seconds_count', { api: 'ApiVersions' })) - (await scrapeMetric(admin, 'tidelog_response_queue_time_seconds_bucket', { le: '0.25', api: 'ApiVersions' }));
    const slowBefore = await slowApiVersions();
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'time-split-test');
    try {
      // Pipelined on one connection: a fetch of an empty partition that waits its MaxWaitMs,
      // then ApiVersions, answered at once but sent only after the fetch's response.
      const fetched = conn.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: LONG_POLL_MS, minBytes: 1, maxBytes: 1 << 20, topics: [{ topic: 'timed', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] });
      const versions = conn.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '0' });
      assert.equal((await fetched).responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
      assert.equal((await versions).errorCode, ErrorCode.NONE);
    } finally {
      conn.close();
    }
    // The ApiVersions response waited behind the fetch (600 ms) in the response queue.
    assert.equal((await slowApiVersions()) - slowBefore, 1);
    // The fetch's wait is its remote time (Kafka's purgatory), not its local time.
    const slowFetches = async (metric: string): Promise<number> => (await scrapeMetric(admin, `${metric}_count`, { api: 'Fetch' })) - (await scrapeMetric(admin, `${metric}_bucket`, { le: '0.25', api: 'Fetch' }));
    assert.equal(await slowFetches('tidelog_request_remote_time_seconds'), 1);
    assert.equal(await slowFetches('tidelog_request_local_time_seconds'), 0);
    assert.equal(await scrapeMetric(admin, 'tidelog_request_remote_time_seconds_sum', { api: 'ApiVersions' }), 0);
    // The fetch's handler time holds its wait; every response counted has a total time.
    assert.ok((await scrapeMetric(admin, 'tidelog_request_duration_seconds_count', { api: 'Fetch' })) - (await scrapeMetric(admin, 'tidelog_request_duration_seconds_bucket', { le: '0.25', api: 'Fetch' })) >= 1);
    for (const api of ['Fetch', 'ApiVersions', 'Metadata', 'CreateTopics']) {
      for (const metric of ['tidelog_request_queue_time_seconds_count', 'tidelog_response_send_time_seconds_count', 'tidelog_request_total_time_seconds_count']) {
        assert.ok((await scrapeMetric(admin, metric, { api })) >= 1, `${metric} for ${api}`);
      }
    }
    assert.ok((await scrapeMetric(admin, 'tidelog_request_total_time_seconds_count', { api: 'Fetch' })) - (await scrapeMetric(admin, 'tidelog_request_total_time_seconds_bucket', { le: '0.25', api: 'Fetch' })) >= 1);
  });

  it("has every metric the Grafana dashboard (config/grafana) queries", async () => {
    const text = await (await fetch(`${broker.adminUrl}/metrics`)).text();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!])));
    const dashboard = JSON.parse(readFileSync(path.join(repoRoot, 'config', 'grafana', 'tidelog-brokers.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/tidelog_[a-z_]+/g)].map((m) => m[0]))));
    assert.ok(queried.size >= 15, `${queried.size} metrics queried`);
    assert.deepEqual([...queried].filter((m) => !exported.has(m)), []);
  });

  it('walks plain objects and arrays of a response for error codes, not buffers or records', () => {
    const seen: number[] = [];
    const records = Object.assign(Object.create({ kind: 'slice' }) as object, { errorCode: 99 });
    countErrorCodes({ errorCode: 0, topics: [{ errorCode: 3, partitions: [{ errorCode: 6, records }, { errorCode: 0, records: Buffer.from([1, 2]) }] }] }, (c) => seen.push(c));
    assert.deepEqual(seen, [3, 6]);
  });
});
