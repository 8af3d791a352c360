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
