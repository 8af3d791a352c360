// Start-up benchmark (issue #20): process spawned to first acknowledged produce, the figure
// `npm run bench` reports per round (bench/brokers.ts: `node dist/bundle/tidelog.mjs broker
// --config config/server.properties` with the harness's settings and the admin API on an
// ephemeral port; the probe creates a topic and produces one record, retried every 10 ms),
// here repeated --runs times (10) on a fresh data directory each, with medians and a
// breakdown from the broker's own 'broker started' line (ms since its process started, at
// each performance mark: Node's bootstrap, main.ts, the broker command and its config, the
// Broker module graph, logs and coordinators, listeners bound, the admin API) and the
// broker's CPU time (user + system) spent by the first acknowledgement (robust to a loaded
// machine where wall time is not).
//
//   node dist/bench/startup.js [--runs 10] [--variants default,unbundled,no-compile-cache,no-admin] [--node /path/to/node]
//        [--node-flags "..."] [--env K=V]... [--nice -15] [--checkouts /path/a,/path/b]
//
// --checkouts runs the brokers of several built checkouts (each with its own dist/, e.g. a
// `git worktree` of the commit before a change), one run of each per round, so that a
// machine shared with other work loads them alike; the rows say which checkout. Default: this one.
//
// --nice N starts the broker under `nice -n N` (root may give a negative value): on a machine
// shared with other work, the broker then gets a core when it wants one, which measures its
// own start-up rather than the queue for the CPU (say so with the figures).
//
// Variants: default (as npm run bench starts it: the bundled command, dist/bundle/tidelog.mjs; on
// Node 22.1+ with V8's compile cache, which main.ts turns on, in a directory of this run's own so
// the first run fills it), unbundled (tsc's output, dist/src/cli/main.js), no-compile-cache
// (TIDELOG_COMPILE_CACHE=0: main.ts skips it; on older Node the same as default), no-admin
// (admin.listener empty).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { firstProduce } from './admin.js';
import { COMMON_CONFIG, freePort } from './brokers.js';
import { repoRoot } from './kafka-dist.js';
import { cpuSeconds } from './proc-stats.js';

interface Run {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly marks: Record<string, number>;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function once(checkout: string, entry: string, node: string, nodeFlags: readonly string[], config: Record<string, string>, env: Record<string, string>, nice: number | null): Promise<Run> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-bench-startup-'));
  const port = await freePort();
  const overrides: Record<string, string> = { ...COMMON_CONFIG, listeners: `PLAINTEXT://127.0.0.1:${port}`, 'admin.listener': 'http://127.0.0.1:0', 'log.dirs': dir, ...config };
  const argv = [...nodeFlags, entry, 'broker', '--config', path.join('config', 'server.properties'), ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
  const startedMs = performance.now();
  const base = { ...process.env };
  delete base.NODE_COMPILE_CACHE;
  const [bin, args] = nice === null ? [node, argv] : ['nice', ['-n', String(nice), node, ...argv]];
  const child = spawn(bin, args, { cwd: checkout, stdio: ['ignore', 'pipe', 'inherit'], env: { ...base, ...env } });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let marks: Record<string, number> = {};
  const startedLine = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (!l.includes('"msg":"broker started"')) return;
      marks = (JSON.parse(l) as { startupMs?: Record<string, number> }).startupMs ?? {};
      resolve();
    });
  });
  try {
    const ackedMs = await firstProduce({ host: '127.0.0.1', port }, 'startup-probe', startedMs + 60_000, 5);
    const cpuMs = cpuSeconds(child.pid!) * 1000;
    await Promise.race([startedLine, new Promise((r) => setTimeout(r, 10_000))]);
    return { wallMs: ackedMs - startedMs, cpuMs, marks };
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseArgs(argv: readonly string[]) {
  const o = { runs: 10, variants: ['default', 'unbundled', 'no-compile-cache', 'no-admin'], node: process.execPath, nodeFlags: [] as string[], env: {} as Record<string, string>, nice: null as number | null, checkouts: [repoRoot] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--variants') o.variants = (argv[++i] ?? '').split(',');
    else if (a === '--node') o.node = argv[++i] ?? o.node;
    else if (a === '--nice') o.nice = Number(argv[++i]);
    else if (a === '--checkouts') o.checkouts = (argv[++i] ?? '').split(',').map((c) => path.resolve(c));
    else if (a === '--node-flags') o.nodeFlags = (argv[++i] ?? '').split(' ').filter(Boolean);
    else if (a === '--env') {
      const [k, ...v] = (argv[++i] ?? '').split('=');
      o.env[k!] = v.join('=');
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const { execFileSync } = await import('node:child_process');
  const nodeVersion = execFileSync(o.node, ['--version'], { encoding: 'utf8' }).trim();
  console.log(JSON.stringify({ node: `${o.node} ${nodeVersion}`, nice: o.nice, cpus: os.cpus().length, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))), runs: o.runs, variants: o.variants, checkouts: o.checkouts }));
  const label = (v: string, checkout: string) => (o.checkouts.length > 1 ? `${v} @ ${checkout}` : v);
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-compile-cache-'));
  const table: string[] = [];
  try {
    // Interleaved: one run of each variant per round, so that the machine's load hits all alike.
    const runs = new Map<string, Run[]>(o.variants.flatMap((v) => o.checkouts.map((c) => [label(v, c), []] as const)));
    for (let r = 0; r < o.runs; r++) {
      // Every other round in reverse order, so that neither goes first each time.
      const pairs = o.variants.flatMap((v) => o.checkouts.map((c) => [v, c] as const));
      for (const [v, checkout] of r % 2 === 0 ? pairs : pairs.reverse()) {
        const config: Record<string, string> = v === 'no-admin' ? { 'admin.listener': '' } : {};
        // Node 22 also turns the cache on by itself when NODE_COMPILE_CACHE is set: the variant without it must not set it.
        const env: Record<string, string> = { ...o.env, ...(v === 'no-compile-cache' ? { TIDELOG_COMPILE_CACHE: '0', NODE_DISABLE_COMPILE_CACHE: '1' } : { NODE_COMPILE_CACHE: cacheDir }) };
        const entry = v === 'unbundled' ? path.join('dist', 'src', 'cli', 'main.js') : path.join('dist', 'bundle', 'tidelog.mjs');
        const run = await once(checkout, entry, o.node, o.nodeFlags, config, env, o.nice);
        runs.get(label(v, checkout))!.push(run);
        console.log(JSON.stringify({ variant: label(v, checkout), round: r, wallMs: Math.round(run.wallMs), cpuMs: Math.round(run.cpuMs), marks: run.marks }));
      }
    }
    const markNames = [...new Set([...runs.values()].flatMap((rs) => rs.flatMap((x) => Object.keys(x.marks))))];
    table.push(`| variant | spawn -> first ack (ms, median of ${o.runs}) | min | max | broker CPU by then (ms) | ${markNames.join(' | ')} |`);
    table.push(`| --- | ---: | ---: | ---: | ---: | ${markNames.map(() => '---:').join(' | ')} |`);
    for (const [v, rs] of runs) {
      const walls = rs.map((x) => x.wallMs);
      table.push(`| ${v} | ${Math.round(median(walls))} | ${Math.round(Math.min(...walls))} | ${Math.round(Math.max(...walls))} | ${Math.round(median(rs.map((x) => x.cpuMs)))} | ${markNames.map((m) => Math.round(median(rs.map((x) => x.marks[m]).filter((x): x is number => x !== undefined)))).join(' | ')} |`);
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  console.log(`\n${table.join('\n')}`);
  console.log(`(marks: ms since the broker process started, medians; load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
