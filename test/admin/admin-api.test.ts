// The HTTP admin API against a broker process, with real HTTP requests: every route, its
// success and its error answers (one JSON error body with a registry code), the OpenAPI
// document (validated against the OpenAPI 3.1 schema), and a last test that every route the
// document lists was exercised.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { ADMIN_ERRORS } from '../../src/admin/errors.js';
import { ClusterSchema, BrokersSchema } from '../../src/admin/routes/cluster.js';
import { TopicDetailSchema, TopicListSchema, TopicConfigsSchema } from '../../src/admin/routes/topics.js';
import { GroupDetailSchema, GroupListSchema, ResetOffsetsSchema } from '../../src/admin/routes/groups.js';
import { ReadySchema } from '../../src/admin/routes/operations.js';
import { ShareGroupDetailSchema, ShareGroupListSchema } from '../../src/admin/routes/share-groups.js';
import { tidelog } from '../cli/run.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';
import { AdminHttp, type HttpResult } from './http.js';

const TOPIC = 'admin-orders';
const GROUP = 'admin-readers';
const MESSAGES = 20;

function assertError(r: HttpResult, status: number, code: keyof typeof ADMIN_ERRORS, message?: RegExp): void {
  assert.equal(r.status, status, `status of ${r.text}`);
  assert.match(r.contentType, /application\/json/);
  const body = r.json as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, r.text);
  assert.equal(ADMIN_ERRORS[code].status, status, 'the registry has the same status');
  assert.ok(body.error.message.length > 0);
  if (message) assert.match(body.error.message, message);
}

describe('admin API', { timeout: 180_000 }, () => {
  let broker: BrokerProcess;
  let http: AdminHttp;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: Consumer | null = null;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'admin.listener': 'http://127.0.0.1:0', 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false } });
    assert.ok(broker.adminUrl, 'the broker logged its bound admin port');
    http = new AdminHttp(broker.adminUrl);
    kafka = new Kafka({ clientId: 'admin-api-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('logs the bound admin port in an "admin listening" line', () => {
    const line = broker.logLines.map((l) => JSON.parse(l) as { msg: string; port?: number }).find((e) => e.msg === 'admin listening');
    assert.ok(line);
    assert.equal(`http://127.0.0.1:${line.port}`, broker.adminUrl);
  });

  it('describes the cluster and its brokers', async () => {
    const cluster = await http.get('/v1/cluster');
    assert.equal(cluster.status, 200);
    const c = ClusterSchema.parse(cluster.json);
    assert.equal(c.controllerId, 0);
    assert.equal(c.clusterId.length, 22, 'a Kafka cluster id (base64 UUID)');
    assert.deepEqual(c.brokers.map((b) => [b.id, b.host, b.port]), [[0, '127.0.0.1', broker.port]]);
    const brokers = BrokersSchema.parse((await http.get('/v1/brokers')).json);
    assert.deepEqual(brokers.brokers, c.brokers);
    assert.equal(brokers.brokers[0]!.listeners[0]!.securityProtocol, 'PLAINTEXT');
  });

  it('creates a topic and describes its partitions', async () => {
    const created = await http.post('/v1/topics', { name: TOPIC, partitions: 3, replicationFactor: 1, configs: { 'retention.ms': 86_400_000, 'cleanup.policy': 'delete' } });
    assert.equal(created.status, 201, created.text);
    const t = TopicDetailSchema.parse(created.json);
    assert.equal(t.name, TOPIC);
    assert.deepEqual(t.configs, { 'retention.ms': '86400000', 'cleanup.policy': 'delete' });
    assert.deepEqual(t.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr, p.logEndOffset]), [0, 1, 2].map((i) => [i, 0, [0], [0], 0]));

    const listed = TopicListSchema.parse((await http.get('/v1/topics')).json);
    assert.deepEqual(listed.topics.find((x) => x.name === TOPIC), { name: TOPIC, topicId: t.topicId, internal: false, partitions: 3, replicationFactor: 1 });

    await producer.send({ topic: TOPIC, messages: Array.from({ length: MESSAGES }, (_, i) => ({ key: `k${i % 5}`, value: `order-${i}` })) });
    const described = await http.get(`/v1/topics/${TOPIC}`);
    assert.equal(described.status, 200);
    const d = TopicDetailSchema.parse(described.json);
    assert.equal(d.partitions.reduce((n, p) => n + p.logEndOffset, 0), MESSAGES);
    for (const p of d.partitions) {
      assert.equal(p.highWatermark, p.logEndOffset);
      assert.equal(p.logStartOffset, 0);
      assert.ok(p.logEndOffset === 0 || p.sizeBytes > 0, 'size on disk grows with the log');
      assert.equal(p.segments, 1);
    }
  });

  it('refuses bad topic creations with a code and leaves nothing behind', async () => {
    assertError(await http.post('/v1/topics', { name: TOPIC, partitions: 1 }), 409, 'TIDELOG_ERR_TOPIC_EXISTS', /already exists/);
    assertError(await http.post('/v1/topics', { name: 'no spaces', partitions: 1 }), 400, 'TIDELOG_ERR_TOPIC_NAME_INVALID');
    assertError(await http.post('/v1/topics', { name: 'zero', partitions: 0 }), 400, 'TIDELOG_ERR_PARTITIONS_INVALID');
    assertError(await http.post('/v1/topics', { name: 'many-replicas', partitions: 1, replicationFactor: 3 }), 400, 'TIDELOG_ERR_REPLICATION_FACTOR_INVALID', /larger than available brokers/);
    assertError(await http.post('/v1/topics', { name: 'bad-config', partitions: 1, configs: { 'retention.ms': 'soon' } }), 400, 'TIDELOG_ERR_CONFIG_INVALID', /retention\.ms/);
    assertError(await http.post('/v1/topics', { name: 'unknown-config', configs: { 'no.such.config': '1' } }), 400, 'TIDELOG_ERR_CONFIG_INVALID');
    for (const name of ['zero', 'many-replicas', 'bad-config', 'unknown-config']) assertError(await http.get(`/v1/topics/${name}`), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');

    const invalid = await http.post('/v1/topics', { name: 42, partitions: 'three', extra: true });
    assertError(invalid, 400, 'TIDELOG_ERR_VALIDATION');
    const details = (invalid.json as { error: { details: { path: string }[] } }).error.details.map((x) => x.path).sort();
    assert.deepEqual(details, ['body', 'body.name', 'body.partitions'], 'each problem, with where it is');
    assertError(await http.post('/v1/topics'), 400, 'TIDELOG_ERR_VALIDATION', /body/);
    assertError(await http.request('POST', '/v1/topics', '{"name": "broken', { 'content-type': 'application/json' }), 400, 'TIDELOG_ERR_BAD_REQUEST');
    assertError(await http.request('POST', '/v1/topics', 'name=x', { 'content-type': 'text/plain' }), 415, 'TIDELOG_ERR_UNSUPPORTED_MEDIA_TYPE');
    assertError(await http.post('/v1/topics', { name: 'huge', configs: { big: 'x'.repeat(1024 * 1024) } }), 413, 'TIDELOG_ERR_BODY_TOO_LARGE');

    const dry = await http.post('/v1/topics', { name: 'dry-run', partitions: 2, validateOnly: true });
    assert.equal(dry.status, 201);
    assert.equal(TopicDetailSchema.parse(dry.json).partitions.length, 2);
    assertError(await http.get('/v1/topics/dry-run'), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
  });

  it('adds partitions, and refuses shrinking or unknown topics', async () => {
    const grown = await http.post(`/v1/topics/${TOPIC}/partitions`, { count: 4 });
    assert.equal(grown.status, 200, grown.text);
    assert.equal(TopicDetailSchema.parse(grown.json).partitions.length, 4);
    assertError(await http.post(`/v1/topics/${TOPIC}/partitions`, { count: 4 }), 400, 'TIDELOG_ERR_PARTITIONS_INVALID', /already has 4/);
    assertError(await http.post(`/v1/topics/${TOPIC}/partitions`, { count: 2 }), 400, 'TIDELOG_ERR_PARTITIONS_INVALID');
    assertError(await http.post('/v1/topics/nope/partitions', { count: 2 }), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
    assertError(await http.post(`/v1/topics/${TOPIC}/partitions`, { count: 'five' }), 400, 'TIDELOG_ERR_VALIDATION');
  });

  it('sets and deletes config overrides, all or nothing', async () => {
    const changed = await http.patch(`/v1/topics/${TOPIC}/configs`, { set: { 'segment.bytes': 1048576, 'max.message.bytes': '2000000' }, delete: ['cleanup.policy'] });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(TopicConfigsSchema.parse(changed.json).configs, { 'retention.ms': '86400000', 'segment.bytes': '1048576', 'max.message.bytes': '2000000' });
    assertError(await http.patch(`/v1/topics/${TOPIC}/configs`, { set: { 'segment.bytes': 'big', 'retention.ms': '5' } }), 400, 'TIDELOG_ERR_CONFIG_INVALID', /segment\.bytes/);
    assertError(await http.patch(`/v1/topics/${TOPIC}/configs`, { delete: ['no.such.config'] }), 400, 'TIDELOG_ERR_CONFIG_INVALID');
    assertError(await http.patch(`/v1/topics/${TOPIC}/configs`, { set: { 'retention.ms': '5' }, delete: ['retention.ms'] }), 400, 'TIDELOG_ERR_VALIDATION');
    assertError(await http.patch('/v1/topics/nope/configs', { set: { 'retention.ms': '5' } }), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
    const after = TopicDetailSchema.parse((await http.get(`/v1/topics/${TOPIC}`)).json);
    assert.equal(after.configs['retention.ms'], '86400000', 'the failed changes changed nothing');
  });

  it('describes a consumer group with members, assignments and lag, and refuses resets while it has members', async () => {
    consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    let consumed = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => void consumed++ });
    await waitFor('the consumer reads every message', () => consumed >= MESSAGES);

    const listed = GroupListSchema.parse((await http.get('/v1/groups')).json);
    assert.deepEqual(listed.groups, [{ groupId: GROUP, state: 'Stable', protocolType: 'consumer', groupType: 'classic' }]);

    let group = GroupDetailSchema.parse((await http.get(`/v1/groups/${GROUP}`)).json);
    await waitFor('lag 0 on every partition', async () => {
      group = GroupDetailSchema.parse((await http.get(`/v1/groups/${GROUP}`)).json);
      return group.offsets.length === 4 && group.offsets.every((o) => o.lag === 0 || (o.committedOffset === null && o.logEndOffset === 0));
    });
    assert.equal(group.state, 'Stable');
    assert.equal(group.protocolType, 'consumer');
    assert.ok(group.protocol.length > 0, 'the assignor');
    assert.equal(group.members.length, 1);
    const member = group.members[0]!;
    assert.equal(member.clientId, 'admin-api-test');
    assert.deepEqual(member.assignment, [{ topic: TOPIC, partitions: [0, 1, 2, 3] }]);
    assert.ok(group.offsets.every((o) => o.memberId === member.memberId));
    assert.equal(group.offsets.reduce((n, o) => n + o.logEndOffset, 0), MESSAGES);

    assertError(await http.post(`/v1/groups/${GROUP}/offsets/reset`, { to: 'earliest' }), 409, 'TIDELOG_ERR_GROUP_NOT_EMPTY', /Stable/);
    assertError(await http.delete(`/v1/groups/${GROUP}`), 409, 'TIDELOG_ERR_GROUP_NOT_EMPTY');
  });

  it('resets the offsets of an Empty group: earliest, latest, offset, timestamp, dry run', async () => {
    await consumer!.disconnect();
    consumer = null;
    await waitFor('the group to be Empty', async () => GroupDetailSchema.parse((await http.get(`/v1/groups/${GROUP}`)).json).state === 'Empty');

    const dry = await http.post(`/v1/groups/${GROUP}/offsets/reset`, { to: 'earliest', dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    const dryRun = ResetOffsetsSchema.parse(dry.json);
    assert.equal(dryRun.dryRun, true);
    assert.ok(dryRun.offsets.every((o) => o.newOffset === 0));
    let group = GroupDetailSchema.parse((await http.get(`/v1/groups/${GROUP}`)).json);
    assert.equal(group.offsets.reduce((n, o) => n + (o.lag ?? 0), 0), 0, 'a dry run commits nothing');

    const earliest = ResetOffsetsSchema.parse((await http.post(`/v1/groups/${GROUP}/offsets/reset`, { to: 'earliest' })).json);
    // Without a topic: the partitions with a committed offset (the empty partition 3 has none).
    assert.deepEqual(earliest.offsets.map((o) => o.partition), group.offsets.filter((o) => o.committedOffset !== null).map((o) => o.partition));
    group = GroupDetailSchema.parse((await http.get(`/v1/groups/${GROUP}`)).json);
    assert.equal(group.offsets.reduce((n, o) => n + (o.lag ?? 0), 0), MESSAGES, 'lag is everything again');
    assert.deepEqual(group.members, []);

    const one = ResetOffsetsSchema.parse((await http.post(`/v1/groups/${GROUP}/offsets/reset`, { topic: TOPIC, partitions: [0], to: { offset: 1_000_000 } })).json);
    const p0 = group.offsets.find((o) => o.partition === 0)!;
    assert.deepEqual(one.offsets, [{ topic: TOPIC, partition: 0, previousOffset: 0, newOffset: p0.logEndOffset }], 'clamped to the high watermark');

    const byTime = ResetOffsetsSchema.parse((await http.post(`/v1/groups/${GROUP}/offsets/reset`, { topic: TOPIC, to: { timestamp: Date.now() + 60_000 } })).json);
    const topic = TopicDetailSchema.parse((await http.get(`/v1/topics/${TOPIC}`)).json);
    assert.deepEqual(
      byTime.offsets.map((o) => o.newOffset),
      topic.partitions.map((p) => p.highWatermark),
      'no record that late: the high watermark',
    );
    const latest = ResetOffsetsSchema.parse((await http.post(`/v1/groups/${GROUP}/offsets/reset`, { to: 'latest' })).json);
    assert.ok(latest.offsets.every((o) => o.previousOffset === o.newOffset));
    const fromZero = ResetOffsetsSchema.parse((await http.post(`/v1/groups/${GROUP}/offsets/reset`, { topic: TOPIC, to: { timestamp: 0 } })).json);
    assert.ok(fromZero.offsets.every((o) => o.newOffset === 0));

    assertError(await http.post(`/v1/groups/${GROUP}/offsets/reset`, { topic: 'nope', to: 'earliest' }), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
    assertError(await http.post(`/v1/groups/${GROUP}/offsets/reset`, { topic: TOPIC, partitions: [9], to: 'earliest' }), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
    assertError(await http.post(`/v1/groups/${GROUP}/offsets/reset`, { to: 'yesterday' }), 400, 'TIDELOG_ERR_VALIDATION');
    assertError(await http.post(`/v1/groups/${GROUP}/offsets/reset`, { partitions: [0], to: 'earliest' }), 400, 'TIDELOG_ERR_VALIDATION');
    assertError(await http.post('/v1/groups/fresh-group/offsets/reset', { to: 'earliest' }), 400, 'TIDELOG_ERR_NOTHING_TO_RESET');
    // A group that does not exist yet gets its offsets when a topic is named (as Kafka's tool).
    const created = ResetOffsetsSchema.parse((await http.post('/v1/groups/fresh-group/offsets/reset', { topic: TOPIC, to: 'latest' })).json);
    assert.equal(created.offsets.length, 4);
    assert.equal(GroupDetailSchema.parse((await http.get('/v1/groups/fresh-group')).json).state, 'Empty');
  });

  it('lists and describes share groups (one given start offsets by AlterShareGroupOffsets)', async () => {
    // `tidelog share-groups --reset-offsets --execute` on a group that does not exist yet creates its state.
    const reset = await tidelog(['share-groups', '--bootstrap-server', broker.bootstrap, '--reset-offsets', '--group', 'admin-share', '--topic', TOPIC, '--to-earliest', '--execute']);
    assert.equal(reset.code, 0, reset.stderr);
    const listed = ShareGroupListSchema.parse((await http.get('/v1/share-groups')).json);
    assert.deepEqual(listed.groups, [{ groupId: 'admin-share', state: 'Empty' }]);
    const d = ShareGroupDetailSchema.parse((await http.get('/v1/share-groups/admin-share')).json);
    assert.equal(d.state, 'Empty');
    assert.deepEqual(d.members, []);
    assert.ok(d.offsets.length > 0 && d.offsets.every((o) => o.topic === TOPIC && o.startOffset === 0));
    assertError(await http.get('/v1/share-groups/no-such-share-group'), 404, 'TIDELOG_ERR_GROUP_NOT_FOUND');
  });

  it('deletes an Empty group; unknown groups are 404', async () => {
    assert.equal((await http.delete(`/v1/groups/${GROUP}`)).status, 204);
    assertError(await http.get(`/v1/groups/${GROUP}`), 404, 'TIDELOG_ERR_GROUP_NOT_FOUND');
    assertError(await http.delete(`/v1/groups/${GROUP}`), 404, 'TIDELOG_ERR_GROUP_NOT_FOUND');
    assertError(await http.get('/v1/groups/never-existed'), 404, 'TIDELOG_ERR_GROUP_NOT_FOUND');
  });

  it('serves Prometheus metrics: traffic per topic, latency per API, gauges and process metrics', async () => {
    const r = await http.get('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.contentType, /^text\/plain/);
    const value = (name: string): number => {
      const line = r.text.split('\n').find((l) => l.startsWith(`${name} `));
      assert.ok(line, `metric ${name} in\n${r.text.slice(0, 2000)}`);
      return Number(line.split(' ').pop());
    };
    assert.equal(value(`tidelog_topic_records_in_total{topic="${TOPIC}"}`), MESSAGES);
    assert.ok(value(`tidelog_topic_bytes_in_total{topic="${TOPIC}"}`) > MESSAGES * 'order-0'.length);
    assert.ok(value(`tidelog_topic_bytes_out_total{topic="${TOPIC}"}`) > 0);
    assert.ok(value(`tidelog_topic_records_out_total{topic="${TOPIC}"}`) >= 1, 'records fetched are counted');
    assert.ok(value('tidelog_request_duration_seconds_count{api="Produce"}') >= 1);
    assert.ok(value('tidelog_request_duration_seconds_count{api="Fetch"}') >= 1);
    assert.ok(value('tidelog_request_duration_seconds_bucket{le="+Inf",api="Metadata"}') >= 1);
    assert.equal(value('tidelog_under_replicated_partitions'), 0);
    assert.ok(value('tidelog_partitions') >= 4);
    assert.ok(value('tidelog_connections') >= 1, 'the producer is connected');
    assert.equal(value('tidelog_produce_purgatory_size'), 0);
    assert.ok(value('tidelog_fetch_purgatory_size') >= 0);
    assert.ok(value(`tidelog_log_size_bytes{topic="${TOPIC}"}`) > 0);
    assert.ok(value('process_cpu_user_seconds_total') > 0, 'default process metrics');
    assert.ok(value('nodejs_heap_size_used_bytes') > 0);
  });

  it('lists and describes transactions, the producers of a partition, hanging ones, and aborts one', async () => {
    const txProducer = kafka.producer({ transactionalId: 'admin-txn', idempotent: true, maxInFlightRequests: 1 });
    await txProducer.connect();
    try {
      const tx = await txProducer.transaction();
      await tx.send({ topic: TOPIC, messages: [{ partition: 0, value: 'in a transaction' }] });
      const listed = await http.get<{ transactions: { transactionalId: string; state: string; producerId: number }[] }>('/v1/transactions');
      assert.equal(listed.status, 200);
      const mine = listed.json.transactions.find((t) => t.transactionalId === 'admin-txn');
      assert.equal(mine?.state, 'Ongoing');
      const described = await http.get<{ state: string; partitions: { topic: string; partition: number }[]; producerId: number }>('/v1/transactions/admin-txn');
      assert.equal(described.status, 200);
      assert.deepEqual(described.json.partitions, [{ topic: TOPIC, partition: 0 }]);
      assertError(await http.get('/v1/transactions/nobody'), 404, 'TIDELOG_ERR_TRANSACTION_NOT_FOUND');
      const producers = await http.get<{ producers: { producerId: number; producerEpoch: number; currentTxnStartOffset: number }[] }>(`/v1/topics/${TOPIC}/partitions/0/producers`);
      assert.equal(producers.status, 200);
      const open = producers.json.producers.find((x) => x.producerId === mine!.producerId);
      assert.ok(open && open.currentTxnStartOffset >= 0, producers.text);
      // Its coordinator knows the transaction: not hanging.
      const hanging = await http.get<{ transactions: unknown[] }>(`/v1/transactions/hanging?topic=${TOPIC}&maxTransactionTimeoutMinutes=0`);
      assert.equal(hanging.status, 200);
      assert.deepEqual(hanging.json.transactions, []);
      assertError(await http.post(`/v1/topics/${TOPIC}/partitions/0/transactions/abort`, { startOffset: open.currentTxnStartOffset + 1000 }), 404, 'TIDELOG_ERR_NO_OPEN_TRANSACTION');
      const aborted = await http.post<{ producerId: number }>(`/v1/topics/${TOPIC}/partitions/0/transactions/abort`, { startOffset: open.currentTxnStartOffset });
      assert.equal(aborted.status, 200, aborted.text);
      assert.equal(aborted.json.producerId, open.producerId);
      const after = await http.get<{ producers: { producerId: number; currentTxnStartOffset: number }[] }>(`/v1/topics/${TOPIC}/partitions/0/producers`);
      assert.equal(after.json.producers.find((x) => x.producerId === open.producerId)?.currentTxnStartOffset, -1, 'the partition closed the transaction');
      await tx.abort();
    } finally {
      await txProducer.disconnect();
    }
  });

  it("serves the console's routes: messages, configs with sources, log dirs, elections, throughput", async () => {
    // Their behaviour in depth is test/console/*; here each answers once, for the route count.
    const read = await http.get<{ messages: { offset: number }[] }>(`/v1/topics/${TOPIC}/partitions/0/messages?order=oldest&limit=2`);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.json.messages.length, 2);
    const produced = await http.post<{ partition: number; offset: number }>(`/v1/topics/${TOPIC}/messages`, { partition: 0, value: 'from the admin API' });
    assert.equal(produced.status, 201, produced.text);
    const configs = await http.get<{ configs: { name: string; source: string }[] }>(`/v1/topics/${TOPIC}/configs`);
    assert.equal(configs.status, 200, configs.text);
    assert.ok(configs.json.configs.some((c) => c.name === 'retention.ms'));
    const broker = await http.get<{ configs: { name: string }[] }>('/v1/brokers/0/configs');
    assert.equal(broker.status, 200, broker.text);
    assert.ok(broker.json.configs.some((c) => c.name === 'broker.id'));
    assertError(await http.get('/v1/brokers/77/configs'), 404, 'TIDELOG_ERR_BROKER_NOT_FOUND');
    const dirs = await http.get<{ brokers: { brokerId: number }[] }>('/v1/log-dirs');
    assert.equal(dirs.status, 200, dirs.text);
    assert.deepEqual(dirs.json.brokers.map((b) => b.brokerId), [0]);
    const elected = await http.post<{ results: unknown[] }>('/v1/elections', { type: 'preferred' });
    assert.equal(elected.status, 200, elected.text);
    const rates = await http.get<{ topics: { topic: string; messagesIn: number }[] }>('/v1/throughput');
    assert.equal(rates.status, 200, rates.text);
    assert.ok((rates.json.topics.find((t) => t.topic === TOPIC)?.messagesIn ?? 0) >= MESSAGES);
  });

  it('deletes a topic; unknown topics are 404', async () => {
    assert.equal((await http.delete(`/v1/topics/${TOPIC}`)).status, 204);
    assertError(await http.get(`/v1/topics/${TOPIC}`), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
    assertError(await http.delete(`/v1/topics/${TOPIC}`), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
    const metrics = (await http.get('/metrics')).text;
    assert.doesNotMatch(metrics, new RegExp(`topic="${TOPIC}"`), 'per-topic series go with the topic');
  });

  it('answers health probes, unknown routes and the docs page', async () => {
    assert.deepEqual((await http.get('/health/live')).json, { status: 'ok' });
    const ready = await http.get('/health/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ReadySchema.parse(ready.json).checks, { listeners: true, groupCoordinator: true });
    assertError(await http.get('/v2/nothing'), 404, 'TIDELOG_ERR_ROUTE_NOT_FOUND', /GET \/v2\/nothing/);
    assertError(await http.request('PUT', '/v1/topics'), 404, 'TIDELOG_ERR_ROUTE_NOT_FOUND');
    const docs = await http.get('/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.text, /swagger-ui/i);
    const docsJson = await http.get('/docs/json');
    assert.equal((docsJson.json as { openapi: string }).openapi, '3.1.0');
  });

  it('publishes a valid OpenAPI 3.1 document whose error codes are the registry', async () => {
    const r = await http.get('/openapi.json');
    assert.equal(r.status, 200);
    const doc = r.json as { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: { ErrorBody: { properties: { error: { properties: { code: { enum: string[] } } } } } } } };
    const result = await new Validator().validate(doc as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.deepEqual(doc.components.schemas.ErrorBody.properties.error.properties.code.enum, Object.keys(ADMIN_ERRORS));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) assert.ok(op.responses['500'], `${method} ${path} documents its internal error`);
      for (const [method, op] of Object.entries(ops)) assert.ok(op.responses['421'] && op.responses['403'], `${method} ${path} documents the Host and Origin refusals`);
    }
  });

  it('exercised every route of /openapi.json (this test runs last)', async () => {
    const doc = (await http.get('/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    const missing: string[] = [];
    let routes = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        routes++;
        if (!http.hit(method.toUpperCase(), path, 2)) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    assert.deepEqual(missing, [], 'routes without a successful request in this suite');
    assert.equal(routes, 30, `${routes} routes`);
  });
});

describe('admin listener', { timeout: 60_000 }, () => {
  it("is off with admin.listener='' and answers TIDELOG_ERR_TOPIC_DELETION_DISABLED when deletion is off", async () => {
    const off = await startBrokerProcess({ overrides: { 'admin.listener': '' } });
    try {
      assert.equal(off.adminUrl, null);
      assert.ok(!off.logLines.some((l) => l.includes('admin listening')));
    } finally {
      await off.stop();
      removeDir(off.dataDir);
    }
    const noDelete = await startBrokerProcess({ overrides: { 'delete.topic.enable': false } });
    try {
      const http = new AdminHttp(noDelete.adminUrl!);
      assert.equal((await http.post('/v1/topics', { name: 'kept', partitions: 1 })).status, 201);
      assertError(await http.delete('/v1/topics/kept'), 403, 'TIDELOG_ERR_TOPIC_DELETION_DISABLED');
      assert.equal((await http.get('/v1/topics/kept')).status, 200);

      // A second broker on the same admin port stops at start-up with one line naming the key.
      const { spawnSync } = await import('node:child_process');
      const { cliPath, tempDir } = await import('../helpers/broker-process.js');
      const dir = tempDir();
      try {
        const clash = spawnSync(process.execPath, [cliPath, 'broker', '--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `admin.listener=${noDelete.adminUrl}`], {
          encoding: 'utf8',
          timeout: 30_000,
        });
        assert.notEqual(clash.status, 0);
        assert.match(clash.stderr, /^tidelog: broker failed to start: admin API cannot listen on http:\/\/127\.0\.0\.1:\d+ \(admin\.listener\): EADDRINUSE\n$/);
      } finally {
        removeDir(dir);
      }
    } finally {
      await noDelete.stop();
      removeDir(noDelete.dataDir);
    }
  });
});
