// The routes the console's Topics and Operations pages read besides the topic and group
// routes (src/admin/routes/cluster-ops.ts), against a real broker: configs with their source
// and the default an override replaces, broker configs, log dirs, elections, throughput
// counters; and their 4xx answers with reasons.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigListSchema, ElectLeadersSchema, LogDirsSchema, ThroughputSchema } from '../../src/admin/routes/cluster-ops.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { AdminHttp, type HttpResult } from '../admin/http.js';
import { kcat } from '../helpers/kcat.js';

const TOPIC = 'console-ops';

function assertError(r: HttpResult, status: number, code: string, message?: RegExp): void {
  assert.equal(r.status, status, r.text);
  const body = r.json as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, r.text);
  if (message) assert.match(body.error.message, message);
}

describe('web console: config, log dir, election and throughput routes', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  let http: AdminHttp;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'log.segment.bytes': 2097152 } });
    http = new AdminHttp(broker.adminUrl!);
    assert.equal((await http.post('/v1/topics', { name: TOPIC, partitions: 2, configs: { 'segment.bytes': '1048576' } })).status, 201);
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it("gives each topic config its source, and an override the default it replaces", async () => {
    const r = await http.get(`/v1/topics/${TOPIC}/configs`);
    assert.equal(r.status, 200, r.text);
    const configs = new Map(ConfigListSchema.parse(r.json).configs.map((c) => [c.name, c]));
    const segment = configs.get('segment.bytes')!;
    assert.deepEqual([segment.value, segment.source, segment.isDefault], ['1048576', 'TOPIC_CONFIG', false]);
    // log.segment.bytes on the broker: the default the override replaces.
    assert.deepEqual([segment.defaultValue, segment.defaultSource], ['2097152', 'STATIC_BROKER_CONFIG']);
    const cleanup = configs.get('cleanup.policy')!;
    assert.deepEqual([cleanup.value, cleanup.source, cleanup.isDefault, cleanup.defaultValue], ['delete', 'DEFAULT_CONFIG', true, 'delete']);
    // Reset to the default through the existing PATCH route: the source changes.
    assert.equal((await http.patch(`/v1/topics/${TOPIC}/configs`, { delete: ['segment.bytes'] })).status, 200);
    const after = ConfigListSchema.parse((await http.get(`/v1/topics/${TOPIC}/configs`)).json).configs.find((c) => c.name === 'segment.bytes')!;
    assert.deepEqual([after.value, after.source], ['2097152', 'STATIC_BROKER_CONFIG']);
    assertError(await http.get('/v1/topics/nope/configs'), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND', /nope/);
  });

  it("describes a broker's configs; an unknown broker is 404", async () => {
    const r = await http.get('/v1/brokers/0/configs');
    assert.equal(r.status, 200, r.text);
    const configs = new Map(ConfigListSchema.parse(r.json).configs.map((c) => [c.name, c]));
    assert.equal(configs.get('log.segment.bytes')?.value, '2097152');
    assert.equal(configs.get('log.segment.bytes')?.source, 'STATIC_BROKER_CONFIG');
    assert.equal(configs.get('num.partitions')?.source, 'DEFAULT_CONFIG');
    assertError(await http.get('/v1/brokers/9/configs'), 404, 'TIDELOG_ERR_BROKER_NOT_FOUND', /Broker 9/);
    assertError(await http.get('/v1/brokers/x/configs'), 400, 'TIDELOG_ERR_VALIDATION', /params\.id/);
  });

  it('lists the log dirs with their usage and partitions', async () => {
    const r = await http.get('/v1/log-dirs');
    assert.equal(r.status, 200, r.text);
    const [b] = LogDirsSchema.parse(r.json).brokers;
    assert.equal(b?.brokerId, 0);
    const dir = b!.logDirs[0]!;
    assert.equal(dir.path, broker.dataDir);
    assert.ok(dir.totalBytes > 0 && dir.usableBytes > 0 && dir.usableBytes <= dir.totalBytes);
    assert.deepEqual(dir.partitions.filter((p) => p.topic === TOPIC).map((p) => p.partition).sort(), [0, 1]);
  });

  it('elects leaders and refuses unknown partitions and kinds', async () => {
    const r = await http.post('/v1/elections', { type: 'preferred', partitions: [{ topic: TOPIC, partition: 1 }] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(ElectLeadersSchema.parse(r.json).results.map((x) => [x.topic, x.partition, x.error]), [[TOPIC, 1, 'ELECTION_NOT_NEEDED']]);
    assertError(await http.post('/v1/elections', { type: 'preferred', partitions: [{ topic: TOPIC, partition: 7 }] }), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND', /console-ops-7/);
    assertError(await http.post('/v1/elections', { type: 'sideways' }), 400, 'TIDELOG_ERR_VALIDATION', /body\.type/);
  });

  it('counts bytes and records in and out per topic, for rates', async () => {
    const before = ThroughputSchema.parse((await http.get('/v1/throughput')).json);
    assert.equal(before.brokerId, 0);
    assert.equal((await kcat(['-b', broker.bootstrap, '-P', '-t', TOPIC, '-p', '0'], 'a\nb\nc\n')).code, 0);
    assert.equal((await kcat(['-b', broker.bootstrap, '-C', '-t', TOPIC, '-p', '0', '-e', '-q', '-o', 'beginning'])).code, 0);
    const after = ThroughputSchema.parse((await http.get('/v1/throughput')).json);
    assert.ok(after.timestampMs >= before.timestampMs);
    const was = before.topics.find((t) => t.topic === TOPIC) ?? { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
    const now = after.topics.find((t) => t.topic === TOPIC)!;
    assert.equal(now.messagesIn - was.messagesIn, 3);
    assert.ok(now.messagesOut - was.messagesOut >= 3);
    assert.ok(now.bytesIn > was.bytesIn && now.bytesOut > was.bytesOut);
  });
});
