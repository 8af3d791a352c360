// What the web console costs the broker (issue #18): broker CPU per GiB of the produce and
// consume scenarios of `npm run bench` (ProducerPerformance, 100-byte records, acks=1; then
// ConsumerPerformance reading them back in a group), and broker CPU per second while nothing
// is produced or consumed, in three set-ups of one Tidelog broker:
//
//   admin-off     admin.listener= (empty): no HTTP server at all, so no console either
//   console-idle  the admin listener serving the console and the API, as `npm start` has it,
//                 and no page open (what `npm run bench` measures)
//   page-open     the same, with the console's overview page open in a headless chromium
//                 (Debian's, driven by puppeteer-core) for the whole measurement: its live
//                 charts poll the API every 2 s, its tables every 5 s
//
//   npm run build:ts && node dist/bench/console-cost.js [--records 5000000] [--rounds 3]
//       [--idle-seconds 20] [--page '#/overview']
//
// Each round runs the three set-ups in a rotated order, each on a fresh broker and data
// directory, warmed up first (1 M records produced and consumed, unmeasured), so that a
// drift in the machine's load spreads over all three. Around each phase the harness reads
// the broker's user and system CPU (/proc/<pid>/stat, all threads) and the rest of the
// machine's CPU ("other load", in cores: other helpers' work on this machine).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTopic, endOffsetSum } from './admin.js';
import { freePort, startTidelog, type RunningBroker } from './brokers.js';
import { ensureKafkaLibs } from './kafka-dist.js';
import { consumerPerformance, producerPerformance } from './load-tools.js';
import { cpuTimes, machineBusySeconds, selfAndReapedChildrenSeconds } from './proc-stats.js';

const GiB = 1024 * 1024 * 1024;
const RECORD_BYTES = 100;
const WARMUP_RECORDS = 1_000_000;
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => p !== undefined && existsSync(p));

type Setup = 'admin-off' | 'console-idle' | 'page-open';
const SETUPS: readonly Setup[] = ['admin-off', 'console-idle', 'page-open'];
type Phase = 'produce' | 'consume' | 'idle';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '5000000' },
    rounds: { type: 'string', default: '3' },
    'idle-seconds': { type: 'string', default: '20' },
    page: { type: 'string', default: '#/overview' },
  },
});
const records = Number(values.records);
const rounds = Number(values.rounds);
const idleSeconds = Number(values['idle-seconds']);

interface Row {
  readonly setup: Setup;
  readonly round: number;
  readonly phase: Phase;
  readonly recordsPerSec: number;
  /** produce/consume: CPU seconds per GiB; idle: CPU milliseconds per second. */
  readonly user: number;
  readonly system: number;
  readonly otherCores: number;
  /** Requests the page made to the broker during the phase. */
  readonly pageRequests: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface OpenPage {
  requests: number;
  close(): Promise<void>;
}

async function openConsole(url: string): Promise<OpenPage> {
  if (!CHROMIUM) throw new Error('page-open needs chromium (apt-get install chromium, or CHROMIUM_PATH)');
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const open: OpenPage = { requests: 0, close: () => browser.close() };
  page.on('request', () => open.requests++);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelector('main h1') !== null && document.querySelector('.loading') === null, { timeout: 30_000 });
  return open;
}

async function measure(broker: RunningBroker, setup: Setup, round: number, phase: Phase, page: OpenPage | null, run: () => Promise<number>): Promise<Row> {
  const before = cpuTimes(broker.pid);
  const machineBefore = machineBusySeconds();
  const selfBefore = selfAndReapedChildrenSeconds();
  const requestsBefore = page?.requests ?? 0;
  const t0 = performance.now();
  const recordsPerSec = await run();
  const wallSec = (performance.now() - t0) / 1000;
  const after = cpuTimes(broker.pid);
  const user = after.userSec - before.userSec;
  const system = after.systemSec - before.systemSec;
  // The rest of the machine: everything but the broker and this harness's children (the load
  // generators, chromium once it exits is not reaped by then: it counts as other load).
  const others = machineBusySeconds() - machineBefore - user - system - (selfAndReapedChildrenSeconds() - selfBefore);
  const per = phase === 'idle' ? wallSec / 1000 : (records * RECORD_BYTES) / GiB;
  const row: Row = { setup, round, phase, recordsPerSec, user: user / per, system: system / per, otherCores: Math.max(0, others / wallSec), pageRequests: (page?.requests ?? 0) - requestsBefore };
  const unit = phase === 'idle' ? 'ms/s' : 's/GiB';
  process.stdout.write(`round ${round} ${setup} ${phase}: ${phase === 'idle' ? '' : `${Math.round(recordsPerSec).toLocaleString('en-US')} records/s, `}broker ${(row.user + row.system).toFixed(phase === 'idle' ? 1 : 2)} ${unit} (user ${row.user.toFixed(2)}, system ${row.system.toFixed(2)}), page requests ${row.pageRequests}, other load ${row.otherCores.toFixed(2)} cores\n`);
  return row;
}

async function runSetup(setup: Setup, round: number, runDir: string, libs: Awaited<ReturnType<typeof ensureKafkaLibs>>): Promise<Row[]> {
  const adminPort = await freePort();
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const dataDir = path.join(runDir, `${setup}-${round}`);
  const broker = await startTidelog({ dataDir, logFile: `${dataDir}.log`, config: { 'admin.listener': setup === 'admin-off' ? '' : adminUrl } });
  const rows: Row[] = [];
  let page: OpenPage | null = null;
  try {
    const ep = { host: broker.host, port: broker.port };
    // Unmeasured: the JIT compiles the produce and fetch paths (as bench/run.ts's warm-up).
    await createTopic(ep, 'warmup', 1);
    await producerPerformance(libs, { bootstrap: broker.bootstrap, topic: 'warmup', records: WARMUP_RECORDS, recordSize: RECORD_BYTES, throughput: -1, acks: '1' });
    await consumerPerformance(libs, { bootstrap: broker.bootstrap, topic: 'warmup', records: WARMUP_RECORDS, group: 'warmup' });
    if (setup === 'page-open') page = await openConsole(`${adminUrl}/console${values.page}`);
    const topic = 'p100';
    await createTopic(ep, topic, 1);
    rows.push(
      await measure(broker, setup, round, 'produce', page, async () => {
        const r = await producerPerformance(libs, { bootstrap: broker.bootstrap, topic, records, recordSize: RECORD_BYTES, throughput: -1, acks: '1' });
        const end = await endOffsetSum(ep, topic, 1);
        if (end !== records) throw new Error(`end offset ${end}, sent ${records}`);
        return r.recordsPerSec;
      }),
    );
    rows.push(
      await measure(broker, setup, round, 'consume', page, async () => {
        const r = await consumerPerformance(libs, { bootstrap: broker.bootstrap, topic, records, group: `g-${round}` });
        if (r.records !== records) throw new Error(`consumed ${r.records} of ${records}`);
        return r.recordsPerSec;
      }),
    );
    rows.push(await measure(broker, setup, round, 'idle', page, () => new Promise((resolve) => setTimeout(() => resolve(0), idleSeconds * 1000))));
  } finally {
    await page?.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const libs = await ensureKafkaLibs();
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-console-cost-'));
  const rows: Row[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = SETUPS.map((_, i) => SETUPS[(i + round - 1) % SETUPS.length]!);
      for (const setup of order) rows.push(...(await runSetup(setup, round, runDir, libs)));
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
  process.stdout.write(`\nMedians over ${rounds} rounds (${records.toLocaleString('en-US')} records of ${RECORD_BYTES} B; idle ${idleSeconds} s; page ${values.page}):\n\n`);
  process.stdout.write('| set-up | produce records/s | produce broker CPU s/GiB (user / system) | consume records/s | consume broker CPU s/GiB (user / system) | idle broker CPU ms/s | page requests per idle phase | other load (cores), every phase |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n');
  for (const setup of SETUPS) {
    const of = (phase: Phase) => rows.filter((r) => r.setup === setup && r.phase === phase);
    const cell = (phase: Phase) => {
      const rs = of(phase);
      return `${median(rs.map((r) => r.user + r.system)).toFixed(2)} (${median(rs.map((r) => r.user)).toFixed(2)} / ${median(rs.map((r) => r.system)).toFixed(2)})`;
    };
    const rate = (phase: Phase) => Math.round(median(of(phase).map((r) => r.recordsPerSec))).toLocaleString('en-US');
    const idle = of('idle');
    process.stdout.write(`| ${setup} | ${rate('produce')} | ${cell('produce')} | ${rate('consume')} | ${cell('consume')} | ${median(idle.map((r) => r.user + r.system)).toFixed(1)} | ${median(idle.map((r) => r.pageRequests))} | ${rows.filter((r) => r.setup === setup).map((r) => r.otherCores.toFixed(2)).join(', ')} |\n`);
  }
  process.stdout.write('\nEvery round (broker CPU: s/GiB for produce and consume, ms/s idle):\n\n| set-up | phase | ' + Array.from({ length: rounds }, (_, i) => `round ${i + 1}`).join(' | ') + ' |\n| --- | --- |' + ' ---: |'.repeat(rounds) + '\n');
  for (const setup of SETUPS) {
    for (const phase of ['produce', 'consume', 'idle'] as const) {
      process.stdout.write(`| ${setup} | ${phase} | ${rows.filter((r) => r.setup === setup && r.phase === phase).sort((a, b) => a.round - b.round).map((r) => (r.user + r.system).toFixed(phase === 'idle' ? 1 : 2)).join(' | ')} |\n`);
    }
  }
}

await main();
