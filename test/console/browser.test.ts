// The web console in a real headless browser (Debian's chromium driven by puppeteer-core; no
// browser download) against a real broker: the topic list, then the flow shared with the
// three-broker test (flow.ts: create a topic, produce and browse the message, watch a group's
// lag rise and fall and reset its offsets from the page, delete the topic), keyboard
// navigation, a narrow window, and the banner once the broker is down.
// Skipped, saying so, where no chromium is installed (scripts/install-test-deps.sh installs it).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { AdminHttp } from '../admin/http.js';
import { ConsoleFlow, WAIT_MS } from './flow.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => p !== undefined && existsSync(p));
const TOPIC = 'browser-orders';
const GROUP = 'browser-readers';
/** Set to a directory to keep a screenshot of each page the test shows (for the README or a review). */
const SCREENSHOTS_DIR = process.env.TIDELOG_CONSOLE_SCREENSHOTS ?? null;

describe('web console in a browser', { timeout: 240_000, skip: CHROMIUM ? false : 'no chromium installed (apt-get install chromium; scripts/install-test-deps.sh does)' }, () => {
  let broker: BrokerProcess;
  let http: AdminHttp;
  let browser: Browser;
  let page: Page;
  let admin: Admin;
  let flow: ConsoleFlow;
  const seeText = (text: string, selector = 'main') => flow.seeText(text, selector);
  const shot = (name: string) => flow.shot(name);
  const go = (hash: string) => flow.go(hash);

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
    flow = new ConsoleFlow({ page, http, bootstrap: broker.bootstrap, admin, topic: TOPIC, group: GROUP, partitions: 2, screenshotsDir: SCREENSHOTS_DIR });
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
    await flow.createTopic();
  });

  it('produces a message from the page and browses it, pretty JSON in the details', async () => {
    await flow.produceAndBrowse(0);
  });

  it("shows a group's lag rise and fall, and resets its offsets from the page", async () => {
    await flow.lagRiseAndFall(1);
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
    await flow.deleteTopic();
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
