// The console's API and page against a three-broker cluster (ZooKeeper), through a broker
// that is not the controller and leads only some partitions: every partition's leader and
// offsets, reads and produces on partitions other brokers lead, another broker's configs,
// every broker's log dirs, a group's lag, an election; the page shows the same; the group's
// reset and deletion and the topic's deletion, after which every broker answers 404. Then the
// whole browser flow of the single-node test (flow.ts, the same steps): create a replicated
// topic from the form, produce to and browse a partition another broker leads, watch a group's
// lag rise and fall and reset it from the page, delete the topic; every broker then answers 404.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import puppeteer, { type Browser } from 'puppeteer-core';
import { ThreeBrokerCluster } from '../cluster/three-brokers.js';
import { waitFor } from '../helpers/wait.js';
import { AdminHttp } from '../admin/http.js';
import { ConsoleFlow } from './flow.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((p): p is string => p !== undefined && existsSync(p));
const TOPIC = 'cluster-console';
const GROUP = 'cluster-console-readers';
const FLOW_TOPIC = 'cluster-browser-orders';
const FLOW_GROUP = 'cluster-browser-readers';

interface Partition { partition: number; leader: number; isr: number[]; replicas: number[]; highWatermark: number; logStartOffset: number }

describe('web console on a three-broker cluster, through a broker that is not the controller', { timeout: 240_000 }, () => {
  let cluster: ThreeBrokerCluster;
  let http: AdminHttp;
  let brokerId: number;
  let controllerId: number;

  before(async () => {
    cluster = await ThreeBrokerCluster.start({ chroot: '/tidelog-console', overrides: { 'admin.listener': 'http://127.0.0.1:0', 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false } });
    const any = new AdminHttp([...cluster.brokers.values()][0]!.adminUrl!);
    controllerId = (await any.get<{ controllerId: number }>('/v1/cluster')).json.controllerId;
    brokerId = [...cluster.brokers.keys()].find((id) => id !== controllerId)!;
    http = new AdminHttp(cluster.brokers.get(brokerId)!.adminUrl!);
  });

  after(async () => {
    await cluster?.close(); // kills the brokers, removes their data dirs, stops ZooKeeper
  });

  it("describes every partition with its leader and offsets, including those other brokers lead", async () => {
    const created = await http.post('/v1/topics', { name: TOPIC, partitions: 3, replicationFactor: 1 });
    assert.equal(created.status, 201, created.text);
    let partitions: Partition[] = [];
    await waitFor('every partition has a leader, seen from a broker that is not the controller', async () => {
      partitions = (await http.get<{ partitions: Partition[] }>(`/v1/topics/${TOPIC}`)).json.partitions;
      return partitions.length === 3 && partitions.every((p) => p.leader > 0 && p.highWatermark === 0 && p.logStartOffset === 0);
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.deepEqual(partitions.map((p) => p.isr), partitions.map((p) => p.replicas));
    assert.ok(partitions.some((p) => p.leader !== brokerId), 'some partition is led elsewhere');
  });

  it('produces to and reads from every partition through this broker', async () => {
    for (const partition of [0, 1, 2]) {
      for (let i = 0; i < 3; i++) {
        const r = await http.post<{ partition: number; offset: number }>(`/v1/topics/${TOPIC}/messages`, { partition, key: `k${i}`, value: `p${partition}-m${i}` });
        assert.equal(r.status, 201, r.text);
        assert.deepEqual([r.json.partition, r.json.offset], [partition, i]);
      }
      const read = await http.get<{ highWatermark: number; messages: { offset: number; value: string }[] }>(`/v1/topics/${TOPIC}/partitions/${partition}/messages?order=oldest`);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json.highWatermark, 3);
      assert.deepEqual(read.json.messages.map((m) => Buffer.from(m.value, 'base64').toString()), [`p${partition}-m0`, `p${partition}-m1`, `p${partition}-m2`]);
    }
    const partitions = (await http.get<{ partitions: Partition[] }>(`/v1/topics/${TOPIC}`)).json.partitions;
    assert.deepEqual(partitions.map((p) => p.highWatermark), [3, 3, 3], 'offsets of partitions led elsewhere too');
  });

  it("answers another broker's configs, every broker's log dirs, topic configs and an election", async () => {
    const other = (await http.get<{ configs: { name: string; value: string }[] }>(`/v1/brokers/${controllerId}/configs`));
    assert.equal(other.status, 200, other.text);
    assert.equal(other.json.configs.find((c) => c.name === 'broker.id')?.value, String(controllerId));
    const dirs = await http.get<{ brokers: { brokerId: number; error: string | null; logDirs: { partitions: { topic: string }[] }[] }[] }>('/v1/log-dirs');
    assert.equal(dirs.status, 200, dirs.text);
    assert.deepEqual(dirs.json.brokers.map((b) => [b.brokerId, b.error]), [[1, null], [2, null], [3, null]]);
    assert.equal(dirs.json.brokers.flatMap((b) => b.logDirs.flatMap((d) => d.partitions)).filter((p) => p.topic === TOPIC).length, 3);
    const configs = await http.get<{ configs: { name: string }[] }>(`/v1/topics/${TOPIC}/configs`);
    assert.equal(configs.status, 200, configs.text);
    const elected = await http.post<{ results: { error: string | null }[] }>('/v1/elections', { type: 'preferred', partitions: [{ topic: TOPIC, partition: 0 }] });
    assert.equal(elected.status, 200, elected.text);
    assert.deepEqual(elected.json.results.map((r) => r.error), ['ELECTION_NOT_NEEDED']);
  });

  it("shows a group's lag through this broker", async () => {
    const kafka = new Kafka({ clientId: 'cluster-console', brokers: cluster.livePorts().map((p) => `127.0.0.1:${p}`), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '1' })) });
    } finally {
      await admin.disconnect();
    }
    const g = await http.get<{ offsets: { lag: number }[] }>(`/v1/groups/${GROUP}`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.json.offsets.map((o) => o.lag), [2, 2, 2]);
  });

  it('shows the topic, its leaders and its messages in the page', { skip: CHROMIUM ? false : 'no chromium installed' }, async () => {
    const browser = await puppeteer.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 800 });
      await page.goto(`${http.baseUrl}/console#/topics/${TOPIC}`, { waitUntil: 'load' });
      await page.waitForFunction(() => document.querySelectorAll('main table tbody tr').length >= 3, { timeout: 20_000 });
      const leaders = await page.$$eval('main table:first-of-type tbody tr td:nth-of-type(1)', (tds) => tds.slice(0, 3).map((td) => td.textContent));
      assert.ok(leaders.every((l) => l !== 'none'), `leaders shown: ${leaders.join(', ')}`);
      await page.evaluate(() => (location.hash = '#/messages/cluster-console/2'));
      await page.waitForFunction(() => document.querySelector('table.messages')?.textContent?.includes('p2-m2') ?? false, { timeout: 20_000 });
      await page.evaluate(() => (location.hash = `#/groups/cluster-console-readers`));
      await page.waitForFunction(() => document.querySelector('#total-lag')?.textContent === '6', { timeout: 20_000 });
    } finally {
      await browser.close();
    }
  });

  it('resets the group and deletes the topic through this broker; then they answer 404', async () => {
    const reset = await http.post<{ offsets: { partition: number; newOffset: number }[] }>(`/v1/groups/${GROUP}/offsets/reset`, { topic: TOPIC, to: 'latest' });
    assert.equal(reset.status, 200, reset.text);
    assert.deepEqual(reset.json.offsets.map((o) => [o.partition, o.newOffset]), [[0, 3], [1, 3], [2, 3]]);
    assert.equal((await http.delete(`/v1/groups/${GROUP}`)).status, 204);
    assert.equal((await http.get(`/v1/groups/${GROUP}`)).status, 404);
    assert.equal((await http.delete(`/v1/topics/${TOPIC}`)).status, 204);
    await waitFor('the topic is gone on every broker', async () => {
      const answers = await Promise.all([...cluster.brokers.values()].map(async (b) => (await fetch(`${b.adminUrl}/v1/topics/${TOPIC}/partitions/0/messages`)).status));
      return answers.every((s) => s === 404);
    }, { timeoutMs: 30_000, intervalMs: 200 });
  });

  describe('the browser flow of the single-node test, through the same broker', { skip: CHROMIUM ? false : 'no chromium installed' }, () => {
    let browser: Browser;
    let admin: Admin;
    let flow: ConsoleFlow;
    /** Partitions of the flow's topic that another broker leads (the first one gets the produced message). */
    let ledElsewhere: number[] = [];

    before(async () => {
      const bootstrap = cluster.livePorts().map((p) => `127.0.0.1:${p}`).join(',');
      admin = new Kafka({ clientId: 'cluster-console-flow', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      browser = await puppeteer.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 800 });
      await page.goto(`${http.baseUrl}/console#/topics`, { waitUntil: 'load' });
      flow = new ConsoleFlow({ page, http, bootstrap, admin, topic: FLOW_TOPIC, group: FLOW_GROUP, partitions: 3, replicationFactor: 2, screenshotsDir: null });
    });

    after(async () => {
      await admin?.disconnect().catch(() => {});
      await browser?.close().catch(() => {});
    });

    it('creates a replicated topic from the form; every partition gets a leader and a full ISR', async () => {
      await flow.createTopic();
      let partitions: Awaited<ReturnType<ConsoleFlow['partitions']>> = [];
      await waitFor('every partition of the new topic has a leader and two replicas in sync', async () => {
        partitions = await flow.partitions();
        return partitions.length === 3 && partitions.every((p) => p.leader > 0 && p.replicas.length === 2 && p.isr.length === 2);
      }, { timeoutMs: 30_000, intervalMs: 200 });
      ledElsewhere = partitions.filter((p) => p.leader !== brokerId).map((p) => p.partition);
      assert.ok(ledElsewhere.length > 0, `some partition is led by another broker than ${brokerId}: leaders ${partitions.map((p) => p.leader).join(', ')}`);
    });

    it('produces from the page to a partition another broker leads and browses it', async () => {
      await flow.produceAndBrowse(ledElsewhere[0]!);
    });

    it("shows the group's lag rise and fall, and resets its offsets from the page", async () => {
      await flow.lagRiseAndFall(ledElsewhere.at(-1)!);
    });

    it('deletes the topic from the page; then every broker answers 404', async () => {
      await flow.deleteTopic();
      await waitFor('the topic is gone on every broker', async () => {
        const answers = await Promise.all([...cluster.brokers.values()].map(async (b) => (await fetch(`${b.adminUrl}/v1/topics/${FLOW_TOPIC}`)).status));
        return answers.every((s) => s === 404);
      }, { timeoutMs: 30_000, intervalMs: 200 });
    });
  });
});
