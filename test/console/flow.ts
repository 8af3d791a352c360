// The console's main flow as a person goes through it in the browser, shared by the
// single-node test (browser.test.ts) and the three-broker one (cluster.test.ts, through a
// broker that is not the controller): create a topic from the form (with a config, edited in
// place and reset), produce a message from the page and browse it (JSON pretty-printed, a
// binary value in hex), watch a group's lag rise as records arrive and fall after a reset to
// latest from the page, and delete the topic after typing its name. Each step checks the
// result through the admin API and real clients (kcat, kafkajs), not only on the page.
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import type { Page } from 'puppeteer-core';
import type { AdminHttp } from '../admin/http.js';
import { kcat } from '../helpers/kcat.js';

export const WAIT_MS = 20_000;

export interface ConsoleFlowOptions {
  /** The page, already at the console of the broker under test. */
  readonly page: Page;
  /** The admin API of the same broker. */
  readonly http: AdminHttp;
  /** Bootstrap servers for kcat and kafkajs ("host:port,..."). */
  readonly bootstrap: string;
  /** A connected kafkajs admin client of the same cluster. */
  readonly admin: Admin;
  readonly topic: string;
  readonly group: string;
  readonly partitions: number;
  /** Typed into the form; the broker default when absent. */
  readonly replicationFactor?: number;
  /** Where to keep a screenshot of each page shown, or null. */
  readonly screenshotsDir: string | null;
}

export interface PartitionView {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly highWatermark: number;
}

export class ConsoleFlow {
  constructor(private readonly o: ConsoleFlowOptions) {}

  get page(): Page {
    return this.o.page;
  }

  /** Waits until the page's text contains `text` (within `selector`); the error shows what it holds instead. */
  async seeText(text: string, selector = 'main'): Promise<void> {
    try {
      await this.page.waitForFunction((sel: string, t: string) => document.querySelector(sel)?.textContent?.includes(t) ?? false, { timeout: WAIT_MS }, selector, text);
    } catch (err) {
      const shown = await this.page.evaluate((sel: string) => document.querySelector(sel)?.textContent ?? '(nothing)', selector).catch(() => '(no page)');
      throw new Error(`${(err as Error).message}: no "${text}" in ${selector}, which shows: ${shown.slice(0, 1500)}`);
    }
  }

  async go(hash: string): Promise<void> {
    await this.page.evaluate((h: string) => (location.hash = h), hash);
  }

  async shot(name: string): Promise<void> {
    if (!this.o.screenshotsDir) return;
    await this.page.evaluate(() => window.scrollTo(0, 0));
    await this.page.screenshot({ path: path.join(this.o.screenshotsDir, `${name}.png`) });
  }

  /** The topic's partitions as the admin API describes them. */
  async partitions(): Promise<PartitionView[]> {
    const r = await this.o.http.get<{ partitions: PartitionView[] }>(`/v1/topics/${this.o.topic}`);
    assert.equal(r.status, 200, r.text);
    return r.json.partitions;
  }

  /** From the topic list: the form creates the topic with retention.ms set; on its page the config is edited in place and reset to its default. */
  async createTopic(): Promise<void> {
    const { page, http, topic } = this.o;
    await this.go('#/topics');
    await this.seeText('Create a topic');
    await page.type('input[name=name]', topic);
    await page.type('input[name=partitions]', String(this.o.partitions));
    if (this.o.replicationFactor !== undefined) await page.type('input[name=replicationFactor]', String(this.o.replicationFactor));
    await page.type('textarea[name=configs]', 'retention.ms=3600000');
    await page.click('form[aria-labelledby=create-topic] button[type=submit]');
    await this.seeText(`Topic ${topic} created.`);
    await this.seeText(topic, '#topic-list');
    const described = await http.get<{ partitions: PartitionView[]; replicationFactor: number; configs: Record<string, string> }>(`/v1/topics/${topic}`);
    assert.equal(described.json.partitions.length, this.o.partitions);
    if (this.o.replicationFactor !== undefined) assert.equal(described.json.replicationFactor, this.o.replicationFactor);
    assert.equal(described.json.configs['retention.ms'], '3600000');
    // The topic page: partitions, and the override among the configs with its default.
    await page.click(`#topic-list a[href="#/topics/${topic}"]`);
    await this.seeText(`replication factor ${this.o.replicationFactor ?? 1}`);
    await this.seeText('TOPIC_CONFIG');
    // Edit a config in place (Enter saves), then reset it to its default.
    await page.click('button[aria-label="Edit retention.ms"]');
    await page.click('#cfg-retention\\.ms', { count: 3 });
    await page.keyboard.press('Backspace');
    await page.type('#cfg-retention\\.ms', '7200000');
    await page.keyboard.press('Enter');
    await this.seeText('retention.ms set to 7200000.');
    assert.equal((await http.get<{ configs: Record<string, string> }>(`/v1/topics/${topic}`)).json.configs['retention.ms'], '7200000');
    await page.click('button[aria-label="Reset retention.ms to its default"]');
    await this.seeText('retention.ms back to its default.');
    await this.shot('topic');
    assert.deepEqual((await http.get<{ configs: Record<string, string> }>(`/v1/topics/${topic}`)).json.configs, {});
  }

  /**
   * On the messages page of `partition`: a JSON message produced from the form, read back by
   * kcat and shown pretty-printed in its details; then a binary value (through the API), shown
   * as hex. The partition then holds two messages.
   */
  async produceAndBrowse(partition: number): Promise<void> {
    const { page, http, topic } = this.o;
    await this.go(`#/messages/${topic}/${partition}`);
    await this.seeText('Produce a message');
    await this.seeText('No messages in this range');
    await page.type('form[aria-labelledby=produce] label:nth-of-type(1) input', 'k1');
    await page.type('form[aria-labelledby=produce] textarea', '{"hello":"browser","n":1}');
    await page.click('form[aria-labelledby=produce] button[type=submit]');
    await this.seeText(`Produced to partition ${partition} at offset 0.`);
    await this.seeText('{"hello":"browser","n":1}', 'table.messages');
    await page.click('table.messages summary');
    await page.waitForFunction(() => [...document.querySelectorAll('table.messages pre.json')].some((p) => p.textContent?.includes('"hello": "browser"')), { timeout: WAIT_MS });
    const consumed = await kcat(['-b', this.o.bootstrap, '-C', '-t', topic, '-p', String(partition), '-c', '1', '-e', '-q', '-f', '%k %s\n']);
    assert.equal(consumed.stdout, 'k1 {"hello":"browser","n":1}\n', consumed.stderr);
    // A binary value is shown as hex.
    assert.equal((await http.post(`/v1/topics/${topic}/messages`, { partition, encoding: 'base64', value: Buffer.from([0, 1, 2, 255]).toString('base64') })).status, 201);
    await page.click('form[aria-label="Which messages"] button[type=submit]');
    await this.seeText('00 01 02 ff', 'table.messages');
    await this.shot('messages');
  }

  /**
   * The group (no members, offsets committed at every partition's end) on its page: its lag
   * rises to 12 as kcat writes 12 records to `partition`, then falls to 0 after a reset to
   * latest from the page's form; the committed offsets are then every partition's end.
   */
  async lagRiseAndFall(partition: number): Promise<void> {
    const { page, http, admin, topic, group } = this.o;
    const before = await this.partitions();
    await admin.setOffsets({ groupId: group, topic, partitions: before.map((p) => ({ partition: p.partition, offset: String(p.highWatermark) })) });
    await this.go(`#/groups/${group}`);
    await this.seeText('Empty');
    await page.waitForFunction(() => document.querySelector('#total-lag')?.textContent === '0', { timeout: WAIT_MS });
    const lines = Array.from({ length: 12 }, (_, i) => `m${i}`).join('\n');
    const produced = await kcat(['-b', this.o.bootstrap, '-P', '-t', topic, '-p', String(partition)], `${lines}\n`);
    assert.equal(produced.code, 0, produced.stderr);
    await page.waitForFunction(() => document.querySelector('#total-lag')?.textContent === '12', { timeout: WAIT_MS });
    // Reset to latest: the lag falls to 0.
    await page.select('form[aria-labelledby=reset] select:nth-of-type(1)', topic);
    await page.evaluate(() => {
      const selects = document.querySelectorAll<HTMLSelectElement>('form[aria-labelledby=reset] select');
      const to = selects[1]!;
      to.value = 'latest';
      to.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.click('form[aria-labelledby=reset] button[type=submit]');
    await this.seeText('Reset:');
    await page.waitForFunction(() => document.querySelector('#total-lag')?.textContent === '0', { timeout: WAIT_MS });
    const ends = before.map((p) => [p.partition, p.highWatermark + (p.partition === partition ? 12 : 0)]);
    const described = await http.get<{ offsets: { partition: number; committedOffset: number }[] }>(`/v1/groups/${group}`);
    assert.deepEqual(described.json.offsets.map((o) => [o.partition, o.committedOffset]), ends);
    // The lag chart drew its samples.
    assert.ok(await page.$('.chart canvas'), 'a uPlot canvas');
    await this.shot('group');
  }

  /** From the topic's page: the delete button is enabled once the name is typed; the topic is then gone, and a page of a missing topic says so. */
  async deleteTopic(): Promise<void> {
    const { page, http, topic } = this.o;
    await this.go(`#/topics/${topic}`);
    await this.seeText('Delete topic…');
    const [button] = await page.$$('xpath/.//button[contains(., "Delete topic…")]');
    await button!.click();
    const confirm = 'form.confirm button.danger';
    assert.equal(await page.$eval(confirm, (b) => (b as HTMLButtonElement).disabled), true, 'disabled until the name is typed');
    await page.type('form.confirm input', topic);
    await page.click(confirm);
    await this.seeText(`Topic ${topic} was deleted.`);
    assert.equal((await http.get(`/v1/topics/${topic}`)).status, 404);
    // A page that shows a topic deleted elsewhere says so too.
    await this.go('#/topics/never-there');
    await this.seeText('does not exist (any more)');
  }
}
