// Tidelog against Apache Kafka on the same machine, scenario by scenario.
//
//   npm run bench                      # full run: 4 rounds (about 23 minutes on 2 cores)
//   npm run bench -- --quick           # smaller volumes, 1 round (under 10 minutes)
//   npm run bench -- --quick --only tidelog --scenarios produce-100b,consume-100b --profile
//   npm run bench -- --quick --scenarios produce-100b,consume-100b,produce-100b-sasl-ssl,consume-100b-sasl-ssl
//
// Options:
//   --quick              QUICK volumes and 1 round (FULL volumes and 4 rounds otherwise:
//                        an even number, so each broker runs every scenario first equally often)
//   --rounds N           rounds (each scenario runs once per broker per round)
//   --only tidelog|kafka one broker only
//   --scenarios a,b      these scenarios only (ids in bench/scenarios.ts); the secured ones,
//                        produce-100b-sasl-ssl, consume-100b-sasl-ssl, kcat-produce-100b-sasl-ssl
//                        and kcat-consume-100b-sasl-ssl, run only when named here: then both
//                        brokers also get a SASL_SSL listener (TLS with certificates made with
//                        openssl at the start, SASL PLAIN; bench/security.ts), warmed up too
//   --profile            Tidelog only: restart it around each scenario under `node --cpu-prof`
//                        and print the top frames of each profile
//   --node-flags "..."   extra Node flags for the Tidelog broker
//   --out FILE           also write the Markdown report to FILE
//   --keep               keep the data directories
//   --replicated         three-broker clusters instead of one broker each (bench/replicated.ts):
//                        Tidelog on ZooKeeper, Kafka in KRaft with one controller; topics with
//                        replication factor 3 and min.insync.replicas=2; by default the
//                        scenarios produce-100b, produce-100b-acks-all, produce-100b-3-producers,
//                        consume-100b, consume-100b-from-disk and e2e-latency; broker CPU summed
//                        over the three; one cluster at a time (below)
//   --pin "B:G"          with --replicated: brokers (and ZooKeeper/controller) on CPUs B, load
//                        generators on CPUs G (taskset lists, e.g. --pin 0:1); unpinned otherwise
//   --side-by-side       with --replicated: both clusters run for the whole round, as single
//                        brokers do (the idle one's CPU is then in every phase of the other)
//
// Each round starts both brokers fresh (empty data directories in the same temp
// filesystem), warms each up, then runs every scenario against one broker and then the
// other, the order alternating by scenario and by round. With --replicated, a round runs
// one cluster (started, warmed up, every scenario, stopped) and then the other, which goes
// first alternating by round: an idle Kafka cluster (four JVMs) uses 0.05-0.25 of a core,
// and with it beside them Tidelog's consumer phases used half as much CPU again (BENCHMARKS.md,
// "One cluster at a time"). A scenario's measured phase is
// the load generator's run; around it the harness samples the broker's CPU time
// (/proc/<pid>/stat) and the machine's (/proc/stat), so it can say how much CPU the rest of
// the machine used meanwhile ("other load"). Kafka's jars come from scripts/fetch-kafka.sh.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startKafka, startTidelog, type BrokerKind, type RunningBroker } from './brokers.js';
import { formatProfileSummary, summariseCpuProfile } from './cpu-profile.js';
import { ensureKafkaLibs, repoRoot, requireJava, type KafkaLibs } from './kafka-dist.js';
import { busiestProcesses, cpuSeconds, cpuTimes, describeMachine, loadAverage, localTimerInterrupts, machineBusySeconds, memory, selfAndReapedChildrenSeconds } from './proc-stats.js';
import { renderReport, type BrokerRun, type Measurement } from './report.js';
import { ALL_SCENARIOS, FULL, QUICK, SCENARIOS, warmUp, warmUpSaslSsl, type Scenario, type ScenarioContext, type Volumes } from './scenarios.js';
import { REPLICATED_CONFIG, REPLICATION_FACTOR, MIN_INSYNC_REPLICAS, startKafkaCluster, startTidelogCluster } from './replicated.js';
import { makeSaslSsl, negotiatedTls, SASL_SSL_USER, type SaslSsl } from './security.js';
import { writeKcatFile } from './kcat-file.js';

const GiB = 1024 * 1024 * 1024;
const REPLICATION = { factor: REPLICATION_FACTOR, minInsyncReplicas: MIN_INSYNC_REPLICAS };

interface Options {
  readonly quick: boolean;
  readonly rounds: number;
  readonly brokers: readonly BrokerKind[];
  readonly scenarios: readonly Scenario[];
  readonly profile: boolean;
  readonly nodeFlags: readonly string[];
  readonly out: string | undefined;
  readonly keep: boolean;
  readonly replicated: boolean;
  readonly pin: { readonly brokers: string; readonly tools: string } | undefined;
  /** Both brokers (clusters) run for the whole round; else, with --replicated, one cluster at a time. */
  readonly sideBySide: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      scenarios: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'node-flags': { type: 'string', default: '' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      replicated: { type: 'boolean', default: false },
      pin: { type: 'string' },
      'side-by-side': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    const header = /^\/\/ Tidelog against[\s\S]*?(?=^import)/m.exec(readSelf())?.[0] ?? '';
    process.stdout.write(header.replace(/^\/\/ ?/gm, ''));
    process.exit(0);
  }
  let brokers: BrokerKind[] = ['tidelog', 'kafka'];
  if (values.only !== undefined) {
    if (values.only !== 'tidelog' && values.only !== 'kafka') throw new Error(`--only takes tidelog or kafka, not ${values.only}`);
    brokers = [values.only];
  }
  if (values.profile) brokers = ['tidelog'];
  let scenarios: Scenario[] = values.replicated ? SCENARIOS.filter((s) => REPLICATED_SCENARIO_IDS.includes(s.id)) : [...SCENARIOS];
  if (values.scenarios !== undefined) {
    const ids = values.scenarios.split(',').map((s) => s.trim());
    const unknown = ids.filter((id) => !ALL_SCENARIOS.some((s) => s.id === id));
    if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${ALL_SCENARIOS.map((s) => s.id).join(', ')}`);
    scenarios = ALL_SCENARIOS.filter((s) => ids.includes(s.id));
  }
  const rounds = values.rounds !== undefined ? Number(values.rounds) : values.quick ? 1 : 4;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, not ${values.rounds}`);
  return {
    quick: values.quick,
    rounds,
    brokers,
    scenarios,
    profile: values.profile,
    nodeFlags: values['node-flags'].split(/\s+/).filter((f) => f !== ''),
    out: values.out,
    keep: values.keep,
    replicated: values.replicated,
    pin: parsePin(values.pin),
    sideBySide: !values.replicated || values['side-by-side'],
  };
}

/** The default scenarios of --replicated: LinkedIn's, those a cluster changes. */
const REPLICATED_SCENARIO_IDS = ['produce-100b', 'produce-100b-acks-all', 'produce-100b-3-producers', 'consume-100b', 'consume-100b-from-disk', 'e2e-latency'];

function parsePin(value: string | undefined): Options['pin'] {
  if (value === undefined) return undefined;
  const m = /^([\d,-]+):([\d,-]+)$/.exec(value);
  if (!m) throw new Error(`--pin takes BROKER_CPUS:TOOL_CPUS (taskset lists, e.g. 0:1), not ${value}`);
  return { brokers: m[1]!, tools: m[2]! };
}

/** Moves every thread of `pid` to `cpus` (taskset -a -p). */
function pinProcess(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${r.stderr}`);
}

/** The broker processes of `b` (a cluster's three, or the one). */
function brokerPids(b: RunningBroker): readonly number[] {
  return b.pids ?? [b.pid];
}

/** This file's source (for --help: its header comment). */
function readSelf(): string {
  return readFileSync(path.join(repoRoot, 'bench', 'run.ts'), 'utf8');
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function versionOf(cmd: string, args: string[], pattern: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return pattern.exec(text)?.[1] ?? (r.error ? `not found (${r.error.message})` : text.split('\n')[0]!.trim());
}


interface Phase<T> {
  readonly result: T;
  /** The phase on the monotonic clock, in µs (what V8 CPU profiles are stamped with). */
  readonly monotonicUs: { from: number; to: number };
  readonly brokerCpuSec: number;
  readonly brokerSystemSec: number;
  readonly phaseMs: number;
  readonly otherLoadCores: number;
  /** CPU of the idle side (the other broker or cluster) and of this side's ZooKeeper / controller, in cores. */
  readonly idleSideCores: number;
  /** Local timer interrupts of the whole machine during the phase (localTimerInterrupts). */
  readonly timerInterrupts: number;
}

/**
 * Runs `fn` and samples CPU around it: the broker's own (all threads), the machine's, this
 * process's and its exited children's (the load generators), and the idle broker's. What
 * the machine used beyond those is the other engineers' load, in cores.
 */
async function measured<T>(broker: RunningBroker, idle: readonly RunningBroker[], fn: () => Promise<T>): Promise<Phase<T>> {
  const pids = brokerPids(broker);
  // The idle broker(s), and ZooKeeper / Kafka's controller: ours, but not the brokers' work.
  const idlePids = [...idle.flatMap((b) => (b.alive() ? [...brokerPids(b), ...(b.auxPids ?? [])] : [])), ...(broker.auxPids ?? [])];
  const sumTimes = (): { userSec: number; systemSec: number } => pids.map(cpuTimes).reduce((a, t) => ({ userSec: a.userSec + t.userSec, systemSec: a.systemSec + t.systemSec }), { userSec: 0, systemSec: 0 });
  const alive = (pid: number): number => {
    try {
      return cpuSeconds(pid);
    } catch {
      return 0;
    }
  };
  const b0 = sumTimes();
  const i0 = idlePids.map(alive);
  const m0 = machineBusySeconds();
  const s0 = selfAndReapedChildrenSeconds();
  const l0 = localTimerInterrupts();
  const t0 = performance.now();
  const from = Number(process.hrtime.bigint() / 1000n);
  const result = await fn();
  const to = Number(process.hrtime.bigint() / 1000n);
  const phaseMs = performance.now() - t0;
  const timerInterrupts = localTimerInterrupts() - l0;
  const b1 = sumTimes();
  const brokerSystemSec = b1.systemSec - b0.systemSec;
  const brokerCpuSec = b1.userSec - b0.userSec + brokerSystemSec;
  const idleCpu = idlePids.reduce((a, pid, i) => a + Math.max(0, alive(pid) - i0[i]!), 0);
  const ours = brokerCpuSec + idleCpu + (selfAndReapedChildrenSeconds() - s0);
  const other = Math.max(0, machineBusySeconds() - m0 - ours);
  return { result, monotonicUs: { from, to }, brokerCpuSec, brokerSystemSec, phaseMs, otherLoadCores: other / (phaseMs / 1000), idleSideCores: idleCpu / (phaseMs / 1000), timerInterrupts };
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const volumes: Volumes = opts.quick ? QUICK : FULL;
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-bench-'));
  const startedAt = new Date().toISOString();

  const machine = describeMachine(runDir);
  log(`tidelog bench: ${opts.replicated ? 'replicated (3 brokers each), ' : ''}${opts.quick ? 'quick' : 'full'} mode, ${opts.rounds} round(s), brokers ${opts.brokers.join(', ')}, scenarios ${opts.scenarios.map((s) => s.id).join(', ')}`);
  log(`run directory ${runDir}`);
  log(`machine: nproc ${machine.nproc} (${machine.cpuModel}), ${machine.memTotal}, ${machine.kernel}, node ${machine.node}`);
  log(`df -hT: ${machine.df}`);
  log(`first touch of fresh memory: ${machine.firstTouchSecPerGiB.toFixed(2)} s of system time per GiB`);
  if (opts.pin) {
    pinProcess(process.pid, opts.pin.tools);
    log(`taskset: this harness and its load generators on CPUs ${opts.pin.tools}, brokers on ${opts.pin.brokers}`);
  }
  const javaVersion = requireJava();
  const libs: KafkaLibs = await ensureKafkaLibs();
  if (libs.fetchMs > 0) log(`fetched Kafka ${libs.version} in ${(libs.fetchMs / 1000).toFixed(1)} s`);
  const versions = {
    Node: process.version,
    Java: javaVersion,
    'Apache Kafka (broker and tools)': `${libs.version} (${libs.dir})`,
    kcat: versionOf('kcat', ['-V'], /(Version .*?librdkafka [\d.]+)/),
    Tidelog: `${versionOf('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], /^(\w+)/)}${spawnSync('git', ['-C', repoRoot, 'status', '--porcelain', 'src', 'crates', 'native'], { encoding: 'utf8' }).stdout.trim() ? ' (with uncommitted changes in src/crates/native)' : ''}`,
  };
  for (const [k, v] of Object.entries(versions)) log(`${k}: ${v}`);
  const loadBefore = loadAverage();
  const busiestBefore = await busiestProcesses();
  log(`load average ${loadBefore}; busiest processes over 3 s:\n${busiestBefore.join('\n')}`);

  const kcatFile = path.join(runDir, 'kcat-100b.txt');
  if (opts.scenarios.some((s) => s.id.startsWith('kcat-'))) await writeKcatFile(kcatFile, volumes.kcatRecords, 100);
  let saslSsl: SaslSsl | undefined;
  if (opts.scenarios.some((s) => s.saslSsl)) {
    saslSsl = makeSaslSsl();
    log(`SASL_SSL listener on both brokers: certificates in ${saslSsl.dir}, made with\n${saslSsl.commands.map((c) => `  $ ${c}`).join('\n')}`);
  }

  const measurements: Measurement[] = [];
  const brokerRuns: BrokerRun[] = [];
  const bootstraps = new Set<string>();
  /** What openssl s_client negotiated with each broker's SASL_SSL listener. */
  const tlsSeen = new Set<string>();
  const profiles: string[] = [];

  const start = async (kind: BrokerKind, round: number, dataDir: string, extraFlags: readonly string[] = []): Promise<RunningBroker> => {
    const logFile = path.join(runDir, `${kind}-round-${round}-${Date.now()}.log`);
    const logPrefix = logFile.replace(/\.log$/, '');
    const b = opts.replicated
      ? kind === 'tidelog'
        ? await startTidelogCluster({ dir: dataDir, logPrefix, nodeFlags: [...opts.nodeFlags, ...extraFlags] })
        : await startKafkaCluster({ dir: dataDir, logPrefix, libs })
      : kind === 'tidelog'
        ? await startTidelog({ dataDir, logFile, nodeFlags: [...opts.nodeFlags, ...extraFlags], ...(saslSsl ? { saslSsl } : {}) })
        : await startKafka({ libs, dir: dataDir, logFile, ...(saslSsl ? { saslSsl } : {}) });
    if (opts.pin) for (const pid of [...brokerPids(b), ...(b.auxPids ?? [])]) pinProcess(pid, opts.pin.brokers);
    bootstraps.add(b.bootstrap);
    let secured = '';
    if (saslSsl && b.saslSslBootstrap !== undefined) {
      const tls = negotiatedTls(b.saslSslBootstrap, saslSsl.caPem);
      tlsSeen.add(`${kind}: ${tls}`);
      secured = ` (SASL_SSL ${b.saslSslBootstrap}: ${tls})`;
    }
    if (b.pids) log(`  ${kind} cluster: broker pids ${b.pids.join(', ')}, ${kind === 'tidelog' ? 'ZooKeeper' : 'controller'} pid ${(b.auxPids ?? []).join(', ')}, bootstrap ${b.bootstrap}`);
    log(`  ${kind} started in ${b.startupMs.toFixed(0)} ms${b.formatMs !== undefined ? ` (after a ${b.formatMs.toFixed(0)} ms storage format)` : ''}: pid ${b.pid}, ${b.bootstrap}${secured}, log ${logFile}`);
    return b;
  };

  for (let round = 1; round <= opts.rounds; round++) {
    const roundDir = path.join(runDir, `round-${round}`);
    const order = round % 2 === 1 ? opts.brokers : [...opts.brokers].reverse();
    log(`\nround ${round}/${opts.rounds}`);
    // Side by side: one group of both; else one cluster after the other, in the round's order.
    const groups: (readonly BrokerKind[])[] = opts.sideBySide ? [order] : order.map((k) => [k]);
    for (const group of groups) {
      const running = new Map<BrokerKind, RunningBroker>();
      const dataDirOf = (kind: BrokerKind): string => path.join(roundDir, kind);
      for (const kind of group) running.set(kind, await start(kind, round, dataDirOf(kind)));

      // Also in profile mode: it creates __consumer_offsets, which would otherwise be the
      // first consumer scenario's cost (the profiled broker itself restarts cold).
      for (const kind of group) {
        const b = running.get(kind)!;
        const t = performance.now();
        await warmUp({ libs, broker: b, volumes, round, kcatFile, ...(opts.replicated ? { replication: REPLICATION } : {}) });
        log(`  ${kind} warmed up (${volumes.warmupRecords} records produced and consumed) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
        if (saslSsl) {
          const t2 = performance.now();
          await warmUpSaslSsl({ libs, broker: b, volumes, round, kcatFile, saslSsl });
          log(`  ${kind} warmed up over SASL_SSL (${volumes.warmupRecords} records produced and consumed) in ${((performance.now() - t2) / 1000).toFixed(1)} s`);
        }
      }

      for (const [i, scenario] of opts.scenarios.entries()) {
        // `order` already flips every round; flipping by scenario too gives each scenario a
        // different first broker in consecutive rounds. (Flipping by i + round as well, as this
        // did before, cancelled the round's flip: every scenario always ran the same broker first.)
        const scenarioOrder = (i % 2 === 0 ? order : [...order].reverse()).filter((k) => group.includes(k));
        for (const kind of scenarioOrder) {
          let broker = running.get(kind)!;
          if (!broker.alive()) {
            measurements.push({ scenario: scenario.id, broker: kind, round, error: 'broker not running', brokerCpuSec: NaN, phaseMs: 0, otherLoadCores: NaN });
            continue;
          }
          let profileDir: string | undefined;
          let window: { from: number; to: number } | undefined;
          if (opts.profile) {
            // Restart on the same data under the profiler, so the profile holds this scenario only.
            await broker.stop();
            profileDir = path.join(runDir, 'profiles', `round-${round}-${scenario.id}`);
            broker = await start(kind, round, dataDirOf(kind), ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
            running.set(kind, broker);
          }
          const idle = [...running.values()].filter((b) => b !== broker);
          const ctx: ScenarioContext = { libs, broker, volumes, round, kcatFile, ...(saslSsl ? { saslSsl } : {}), ...(opts.replicated ? { replication: REPLICATION } : {}) };
          try {
            if (scenario.prepare) await scenario.prepare(ctx);
            const phase = await measured(broker, idle, () => scenario.run(ctx));
            window = phase.monotonicUs;
            const o = phase.result;
            const m: Measurement = {
              scenario: scenario.id,
              broker: kind,
              round,
              outcome: o,
              brokerCpuSec: phase.brokerCpuSec,
              cpuSecPerGiB: phase.brokerCpuSec / (o.bytes / GiB),
              systemSecPerGiB: phase.brokerSystemSec / (o.bytes / GiB),
              phaseMs: phase.phaseMs,
              otherLoadCores: phase.otherLoadCores,
              idleSideCores: phase.idleSideCores,
              timerInterruptsPerGiB: phase.timerInterrupts / (o.bytes / GiB),
            };
            measurements.push(m);
            const lat = o.latency ? `, latency avg ${o.latency.avgMs.toFixed(2)} p50 ${o.latency.p50Ms} p99 ${o.latency.p99Ms} p99.9 ${o.latency.p999Ms} ms` : '';
            log(
              `  ${scenario.id} ${kind}: ${Math.round(o.recordsPerSec).toLocaleString('en-US')} records/s, ${o.mibPerSec.toFixed(1)} MiB/s${lat}; broker CPU ${m.brokerCpuSec.toFixed(1)} s (${m.cpuSecPerGiB!.toFixed(1)} s/GiB, of which system ${m.systemSecPerGiB!.toFixed(1)}); ${o.check}; other load ${m.otherLoadCores.toFixed(2)} cores; idle side ${phase.idleSideCores.toFixed(2)} cores; ${Math.round(m.timerInterruptsPerGiB!)} timer interrupts/GiB${o.notes ? `; ${o.notes}` : ''}`,
            );
            for (const c of o.commands) log(`    $ ${c}`);
          } catch (err) {
            const message = (err as Error).message;
            measurements.push({ scenario: scenario.id, broker: kind, round, error: message, brokerCpuSec: NaN, phaseMs: 0, otherLoadCores: NaN });
            log(`  ${scenario.id} ${kind}: FAILED: ${message}`);
          }
          if (profileDir !== undefined) {
            await broker.stop();
            for (const f of readdirSync(profileDir).filter((x) => x.endsWith('.cpuprofile'))) {
              const summary = formatProfileSummary(summariseCpuProfile(path.join(profileDir, f), repoRoot, 20, window));
              profiles.push(`#### ${scenario.id} (round ${round})\n\n${summary}\n`);
              log(summary);
            }
            broker = await start(kind, round, dataDirOf(kind));
            running.set(kind, broker);
          }
        }
      }

      for (const kind of group) {
        const b = running.get(kind)!;
        // A cluster: summed over its three brokers.
        const mem = b.alive() ? brokerPids(b).map(memory).reduce((a, m) => ({ rssBytes: a.rssBytes + m.rssBytes, peakRssBytes: a.peakRssBytes + m.peakRssBytes })) : { rssBytes: NaN, peakRssBytes: NaN };
        const stopped = await b.stop();
        // The JVM exits 143 (128 + SIGTERM) after its shutdown hooks, Kafka's clean shutdown included.
        const exit = stopped.signal ?? (kind === 'kafka' && stopped.code === 143 ? '143 (SIGTERM, after the shutdown hooks)' : String(stopped.code));
        brokerRuns.push({ broker: kind, round, startupMs: b.startupMs, ...(b.formatMs !== undefined ? { formatMs: b.formatMs } : {}), rssBytes: mem.rssBytes, peakRssBytes: mem.peakRssBytes, stopMs: stopped.stopMs, exit, command: b.command });
        log(`  ${kind}: RSS ${(mem.rssBytes / 2 ** 20).toFixed(0)} MiB (peak ${(mem.peakRssBytes / 2 ** 20).toFixed(0)} MiB) after the round; stopped in ${stopped.stopMs.toFixed(0)} ms, exit ${exit}`);
      }
    }
    if (!opts.keep) rmSync(roundDir, { recursive: true, force: true });
  }

  const loadAfter = loadAverage();
  const busiestAfter = await busiestProcesses();
  const info = {
    startedAt,
    finishedAt: new Date().toISOString(),
    mode: opts.quick ? ('quick' as const) : ('full' as const),
    rounds: opts.rounds,
    machine,
    versions,
    busiestBefore,
    busiestAfter,
    loadBefore,
    loadAfter,
    notes: [
      `volumes: ${Object.entries(volumes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      ...(opts.replicated
        ? [
            `replicated: each side is a cluster of three brokers on this machine, each with its own data directory and ports; Tidelog on a ZooKeeper (Debian's package, standalone), Kafka in KRaft with one controller process (a quorum of one) beside three broker processes (-Xmx1G -Xms1G each); topics with replication factor 3 and min.insync.replicas=2, the internal topics too (${Object.entries(REPLICATED_CONFIG).map(([k, v]) => `${k}=${v}`).join(', ')}); the load generators bootstrap from all three; broker CPU s/GiB sums the three brokers' user + system time (ZooKeeper's and the controller's are not in it: they count with the idle side's as ours, not other load); RSS figures are the three brokers' sum`,
            opts.pin ? `taskset: brokers, ZooKeeper and the controller on CPUs ${opts.pin.brokers}; the harness and so every load generator on CPUs ${opts.pin.tools}` : 'no taskset pinning: brokers, ZooKeeper/controller and load generators share both CPUs (with the other work on the machine)',
            opts.sideBySide
              ? 'side by side (--side-by-side): both clusters ran for the whole round, so the idle one\'s CPU is in every phase of the other ("idle side")'
              : 'one cluster at a time: each round started, warmed up, measured and stopped one cluster and then the other (which went first alternated by round), so no phase shares the machine with the other cluster',
          ]
        : []),
      opts.replicated
        ? 'all brokers: 1 GiB segments, no fsync per message (log.flush.* defaults), group.initial.rebalance.delay.ms=0, data directories in the temp filesystem above; "start-up" in the brokers table is the whole cluster\'s: spawning ZooKeeper or the controller until all three brokers answer Metadata and list each other (Kafka\'s four storage formats before it)'
        : 'both brokers: 1 GiB segments, no fsync per message (log.flush.* defaults), group.initial.rebalance.delay.ms=0, replication factor 1, data directories in the temp filesystem above; Kafka 4 in KRaft combined mode (broker and controller in one JVM) with -Xmx1G -Xms1G',
      'load generators run on the same 2 cores as the broker under test; "other load" is the CPU the rest of the machine (other engineers\' builds and tests) used during each measured phase',
      'broker CPU s/GiB: user + system seconds of the broker process (all threads) during the phase, per GiB of record values moved',
      ...(saslSsl
        ? [
            `SASL_SSL scenarios (*-sasl-ssl): both brokers also had a SASL_SSL listener with the same settings (ssl.keystore.type=PEM, a key store made with openssl at the start of the run: RSA 2048 CA and server certificate for localhost/127.0.0.1; sasl.enabled.mechanisms=PLAIN, one user "${SASL_SSL_USER}" in listener.name.sasl_ssl.plain.sasl.jaas.config); the load generators of those scenarios used it (Kafka's tools with --command-config, kcat with -X security.protocol=SASL_SSL), the harness's own requests and the first warm-up PLAINTEXT; a second warm-up of the same size ran over SASL_SSL; TLS listeners send fetched records through the TLS socket, not with sendfile, on both brokers`,
            `TLS negotiated by openssl s_client with each SASL_SSL listener: ${[...tlsSeen].join('; ')}`,
          ]
        : []),
      ...(opts.profile ? ['profile mode: Tidelog restarted under --cpu-prof around each scenario (so its JIT starts cold in every scenario): the throughput figures of this run are not comparable'] : []),
    ],
  };
  const report = renderReport(info, opts.scenarios, measurements, brokerRuns, [...bootstraps], profiles);
  writeFileSync(path.join(runDir, 'report.md'), report);
  writeFileSync(path.join(runDir, 'results.json'), JSON.stringify({ info, measurements, brokerRuns }, null, 2));
  if (opts.out) writeFileSync(opts.out, report);
  if (!opts.keep) rmSync(kcatFile, { force: true });
  if (!opts.keep) saslSsl?.remove();
  log(`\n${report}`);
  log(`report: ${path.join(runDir, 'report.md')}; figures: ${path.join(runDir, 'results.json')}`);
  if (measurements.some((m) => m.error)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
