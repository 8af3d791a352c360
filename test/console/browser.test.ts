// The web console in a real headless browser (Debian's chromium driven by puppeteer-core; no
// browser download) against a real broker: the topic list, create a topic, produce and browse
// the message, watch a group's lag rise and fall and reset its offsets from the page, delete
// the topic, keyboard navigation, a narrow window, and the banner once the broker is down.
// Skipped, saying so, where no chromium is installed (scripts/install-test-deps.sh installs it).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { AdminHttp } from '../admin/http.js';
import { kcat } from '../helpers/kcat.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => p !== undefined && existsSync(p));
const TOPIC = 'browser-orders';
const GROUP = 'browser-readers';
const WAIT_MS = 20_000;
/** Set to a directory to keep a screenshot of each page the test shows (for the README or a review). */
const SCREENSHOTS_DIR = process.env.TIDELOG_CONSOLE_SCREENSHOTS ?? null;

describe('web console in a browser', { timeout: 240_000, skip: CHROMIUM ? false : 'no chromium installed (apt-get install chromium; scripts/install-test-deps.sh does)' }, () => {
  let broker: BrokerProcess;
  let http: AdminHttp;
  let browser: Browser;
  let page: Page;
  let admin: Admin;

  /** Waits until the page's text contains `text` (within `selector`). */
  const seeText = async (text: string, selector = 'main') => {
    try {
      await page.waitForFunction((sel: string, t: string) => document.querySelector(sel)?.textContent?.includes(t) ?? false, { timeout: WAIT_MS }, selector, text);
    } catch (err) {
      const shown = await page.evaluate((sel: string) => document.querySelector(sel)?.textContent ?? '(nothing)', selector).catch(() => '(no page)');
      throw new Error(`${(err as Error).message}: no "${text}" in ${selector}, which shows: ${shown.slice(0, 1500)}`);
    }
  };
  const shot = async (name: string) => {
    if (!SCREENSHOTS_DIR) return;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`) });
  };
  const go = async (hash: string) => {
    await page.evaluate((h: string) => (location.hash = h), hash);
  };

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false } });
    http = new AdminHttp(broker.adminUrl!);
    browser = await puppeteer.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    (page as unknown as { errors: string[] }).errors = errors;
    const kafka = new Kafka({ clientId: 'browser-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect().catch(() => {});
    await browser?.close().catch(() => {});
    if (broker) {
      await broker.stop();
      removeDir(broker.dataDir);
    }
  });

  it('loads at / with no script error and shows the overview, then the empty topic list', async () => {
    await page.goto(`${broker.adminUrl}/`, { waitUntil: 'load' });
    await seeText('Brokers up');
    await seeText('127.0.0.1');
    await go('#/topics');
    await seeText('No topics yet');
    assert.deepEqual((page as unknown as { errors: string[] }).errors, []);
  });

  it('creates a topic from the form and lists it', async () => {
    await page.type('input[name=name]', TOPIC);
    await page.type('input[name=partitions]', '2');
    await page.type('textarea[name=configs]', 'retention.ms=3600000');
    await page.click('form[aria-labelledby=create-topic] button[type=submit]');
    await seeText(`Topic ${TOPIC} created.`);
    await seeText(TOPIC, '#topic-list');
    const described = await http.get<{ partitions: unknown[]; configs: Record<string, string> }>(`/v1/topics/${TOPIC}`);
    assert.equal(described.json.partitions.length, 2);
    assert.equal(described.json.configs['retention.ms'], '3600000');
    // The topic page: partitions, and the override among the configs with its default.
    await page.click(`#topic-list a[href="#/topics/${TOPIC}"]`);
    await seeText('replication factor 1');
    await seeText('TOPIC_CONFIG');
    // Edit a config in place (Enter saves), then reset it to its default.
    await page.click('button[aria-label="Edit retention.ms"]');
    await page.click('#cfg-retention\\.ms', { count: 3 });
    await page.keyboard.press('Backspace');
    await page.type('#cfg-retention\\.ms', '7200000');
    await page.keyboard.press('Enter');
    await seeText('retention.ms set to 7200000.');
    assert.equal((await http.get<{ configs: Record<string, string> }>(`/v1/topics/${TOPIC}`)).json.configs['retention.ms'], '7200000');
    await page.click('button[aria-label="Reset retention.ms to its default"]');
    await seeText('retention.ms back to its default.');
    await shot('topic');
    assert.deepEqual((await http.get<{ configs: Record<string, string> }>(`/v1/topics/${TOPIC}`)).json.configs, {});
  });

  it('produces a message from the page and browses it, pretty JSON in the details', async () => {
    await go(`#/messages/${TOPIC}/0`);
    await seeText('Produce a message');
    await seeText('No messages in this range');
    await page.type('form[aria-labelledby=produce] label:nth-of-type(1) input', 'k1');
    await page.type('form[aria-labelledby=produce] textarea', '{"hello":"browser","n":1}');
    await page.click('form[aria-labelledby=produce] button[type=submit]');
    await seeText('Produced to partition 0 at offset 0.');
    await seeText('{"hello":"browser","n":1}', 'table.messages');
    await page.click('table.messages summary');
    await page.waitForFunction(() => [...document.querySelectorAll('table.messages pre.json')].some((p) => p.textContent?.includes('"hello": "browser"')), { timeout: WAIT_MS });
    const consumed = await kcat(['-b', broker.bootstrap, '-C', '-t', TOPIC, '-p', '0', '-c', '1', '-e', '-q', '-f', '%k %s\n']);
    assert.equal(consumed.stdout, 'k1 {"hello":"browser","n":1}\n');
    // A binary value is shown as hex.
    assert.equal((await http.post(`/v1/topics/${TOPIC}/messages`, { partition: 0, encoding: 'base64', value: Buffer.from([0, 1, 2, 255]).toString('base64') })).status, 201);
    await page.click('form[aria-label="Which messages"] button[type=submit]');
    await seeText('00 01 02 ff', 'table.messages');
    await shot('messages');
  });

  it("shows a group's lag rise and fall, and resets its offsets from the page", async () => {
    await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '0' }] });
    await go(`#/groups/${GROUP}`);
    await seeText('Empty');
    await page.waitForFunction(() => document.querySelector('#total-lag')?.textContent === '0', { timeout: WAIT_MS });
    const lines = Array.from({ length: 12 }, (_, i) => `m${i}`).join('\n');
    assert.equal((await kcat(['-b', broker.bootstrap, '-P', '-t', TOPIC, '-p', '1'], `${lines}\n`)).code, 0);
    await page.waitForFunction(() => document.querySelector('#total-lag')?.textContent === '12', { timeout: WAIT_MS });
    // Reset to latest: the lag falls to 0.
    await page.select('form[aria-labelledby=reset] select:nth-of-type(1)', TOPIC);
    await page.evaluate(() => {
      const selects = document.querySelectorAll<HTMLSelectElement>('form[aria-labelledby=reset] select');
      const to = selects[1]!;
      to.value = 'latest';
      to.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.click('form[aria-labelledby=reset] button[type=submit]');
    await seeText('Reset:');
    await page.waitForFunction(() => document.querySelector('#total-lag')?.textContent === '0', { timeout: WAIT_MS });
    const described = await http.get<{ offsets: { partition: number; committedOffset: number }[] }>(`/v1/groups/${GROUP}`);
    assert.deepEqual(described.json.offsets.map((o) => [o.partition, o.committedOffset]), [[0, 2], [1, 12]]);
    // The lag chart drew its samples.
    assert.ok(await page.$('.chart canvas'), 'a uPlot canvas');
    await shot('group');
  });

  it('moves through the sections with the keyboard', async () => {
    await go('#/overview');
    await seeText('Brokers up');
    if (SCREENSHOTS_DIR) {
      // The README's overview: a topic listed and the throughput chart with a few samples.
      await page.waitForFunction(() => !document.querySelector('.chart-summary')?.textContent?.includes('Collecting'), { timeout: 30_000 });
      await shot('overview');
    }
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.focus('body');
    // Skip link, brand, then the sections: Tab to "Topics" and press Enter.
    const focused: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
    }
    assert.deepEqual(focused, ['Skip to content', 'Tidelog', 'Overview', 'Topics']);
    await page.keyboard.press('Enter');
    await seeText('Create a topic');
    assert.equal(await page.evaluate(() => document.querySelector('nav a[aria-current=page]')?.textContent), 'Topics');
  });

  it('stays readable in a narrow window: nothing wider than the page', async () => {
    await page.setViewport({ width: 420, height: 800 });
    for (const hash of ['#/overview', '#/topics', `#/messages/${TOPIC}/1`, `#/groups/${GROUP}`, '#/operations']) {
      await go(hash);
      await page.waitForFunction(() => document.querySelector('main h1') !== null && document.querySelector('.loading') === null, { timeout: WAIT_MS });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${hash} is ${overflow}px wider than the window`);
    }
    await page.setViewport({ width: 1280, height: 800 });
  });

  it('deletes the topic after typing its name, and says so when it is gone', async () => {
    await go(`#/topics/${TOPIC}`);
    await seeText('Delete topic…');
    const [button] = await page.$$('xpath/.//button[contains(., "Delete topic…")]');
    await button!.click();
    const confirm = 'form.confirm button.danger';
    assert.equal(await page.$eval(confirm, (b) => (b as HTMLButtonElement).disabled), true, 'disabled until the name is typed');
    await page.type('form.confirm input', TOPIC);
    await page.click(confirm);
    await seeText(`Topic ${TOPIC} was deleted.`);
    assert.equal((await http.get(`/v1/topics/${TOPIC}`)).status, 404);
    // A page that shows a topic deleted elsewhere says so too.
    await go('#/topics/never-there');
    await seeText('does not exist (any more)');
  });

  it('says "Not authorized" when the API answers 401 (as it will with authentication)', async () => {
    // No authentication yet: the browser's answers are replaced with the 401 an
    // authenticating API gives, to see what a person would see.
    const other = await browser.newPage();
    try {
      await other.setRequestInterception(true);
      other.on('request', (request) => {
        if (new URL(request.url()).pathname.startsWith('/v1/')) {
          void request.respond({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: { code: 'TIDELOG_ERR_UNAUTHORIZED', message: 'Credentials are required.' } }) });
        } else {
          void request.continue();
        }
      });
      await other.goto(`${broker.adminUrl}/console#/topics`, { waitUntil: 'load' });
      await other.waitForFunction(() => document.querySelector('.banner.auth')?.textContent?.includes('Not authorized') ?? false, { timeout: WAIT_MS });
      const banner = await other.$eval('.banner', (b) => b.textContent ?? '');
      assert.match(banner, /Credentials are required/);
    } finally {
      await other.close();
    }
  });

  it('shows a banner when the broker is down', async () => {
    await go('#/overview');
    await seeText('Brokers up');
    await broker.stop();
    await page.waitForFunction(() => document.querySelector('.banner')?.textContent?.includes('Cannot reach the broker') ?? false, { timeout: WAIT_MS });
  });
});
