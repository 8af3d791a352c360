// Turns the measurements of a run into the Markdown report: medians over the rounds side by
// side with the Tidelog/Kafka ratio, every run's figures, the checks, and the commands.
import type { BrokerKind } from './brokers.js';
import type { Machine } from './proc-stats.js';
import type { Outcome, Scenario } from './scenarios.js';

export interface Measurement {
  readonly scenario: string;
  readonly broker: BrokerKind;
  readonly round: number;
  /** Undefined when the scenario failed (then `error` says why). */
  readonly outcome?: Outcome;
  readonly error?: string;
  /** Broker CPU (user + system, all threads) over the measured phase. */
  readonly brokerCpuSec: number;
  readonly cpuSecPerGiB?: number;
  /** The system (kernel) part of cpuSecPerGiB. */
  readonly systemSecPerGiB?: number;
  readonly phaseMs: number;
  /** CPU the rest of the machine used during the phase, in cores (see run.ts). */
  readonly otherLoadCores: number;
  /**
   * CPU of the idle side during the phase, in cores: the broker or cluster not measured (it
   * shares the machine) and the measured cluster's ZooKeeper or controller.
   */
  readonly idleSideCores?: number;
  /** Local timer interrupts of the whole machine per GiB the scenario moved (TCP pacing shows here). */
  readonly timerInterruptsPerGiB?: number;
}

export interface BrokerRun {
  readonly broker: BrokerKind;
  readonly round: number;
  readonly startupMs: number;
  readonly formatMs?: number;
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  readonly stopMs: number;
  readonly exit: string;
  readonly command: string;
}

export interface RunInfo {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly mode: 'quick' | 'full';
  readonly rounds: number;
  readonly machine: Machine;
  readonly versions: Readonly<Record<string, string>>;
  readonly busiestBefore: readonly string[];
  readonly busiestAfter: readonly string[];
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly notes: readonly string[];
}

const NAMES: Record<BrokerKind, string> = { tidelog: 'Tidelog', kafka: 'Kafka' };
const MiB = 1024 * 1024;

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function num(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return '–';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(t: number, k: number): string {
  return Number.isFinite(t) && Number.isFinite(k) && k !== 0 ? `${(t / k).toFixed(2)}` : '–';
}

function ok(ms: readonly Measurement[]): Measurement[] {
  return ms.filter((m) => m.outcome !== undefined);
}

function med(ms: readonly Measurement[], f: (m: Measurement) => number | undefined): number {
  return median(ok(ms).flatMap((m) => (f(m) === undefined ? [] : [f(m)!])));
}

/** Replaces a broker's address in a command so Tidelog's and Kafka's read the same. */
function generic(command: string, bootstraps: readonly string[]): string {
  let c = command;
  for (const b of bootstraps) c = c.split(b).join('$BOOTSTRAP');
  return c;
}

export function renderReport(info: RunInfo, scenarios: readonly Scenario[], measurements: readonly Measurement[], brokerRuns: readonly BrokerRun[], bootstraps: readonly string[], profiles: readonly string[]): string {
  const out: string[] = [];
  const brokers = (['tidelog', 'kafka'] as const).filter((b) => measurements.some((m) => m.broker === b) || brokerRuns.some((r) => r.broker === b));
  const of = (scenario: string, broker: BrokerKind): Measurement[] => measurements.filter((m) => m.scenario === scenario && m.broker === broker);
  const both = brokers.length === 2;

  out.push(`Run of ${info.startedAt} to ${info.finishedAt}: ${info.mode} mode, ${info.rounds} round(s), medians over the rounds.`, '');
  out.push('Machine:', '');
  out.push(`- nproc ${info.machine.nproc} (${info.machine.cpuModel}), ${info.machine.memTotal} memory, ${info.machine.kernel}`);
  out.push(`- TCP: ${info.machine.tcp}`);
  if (info.machine.tcp.includes('congestion control bbr') && !info.machine.tcp.includes('qdisc fq')) {
    out.push("  (BBR without fq: the kernel paces each connection with a timer per packet, charged to the sending broker; the timer interrupts per GiB in \"Every run\" show when it did. BENCHMARKS.md, \"BBR's pacing\")");
  }
  out.push(`- temp filesystem (both brokers' data): \`${info.machine.df}\``);
  out.push(`- first touch of fresh memory: ${num(info.machine.firstTouchSecPerGiB, 2)} s of system time per GiB (a page a broker adds to the page cache costs about this on a machine that hands freed memory back to its host)`);
  for (const [k, v] of Object.entries(info.versions)) out.push(`- ${k}: ${v}`);
  out.push(`- load average before ${info.loadBefore}, after ${info.loadAfter}`);
  out.push('- busiest processes over 3 s before the run (CPU %, pid, command):', '', '```', ...info.busiestBefore, '```', '');
  out.push('- and after it:', '', '```', ...info.busiestAfter, '```', '');
  for (const n of info.notes) out.push(`- ${n}`);
  out.push('');

  // Throughput.
  const tp = scenarios.filter((s) => s.kind === 'throughput');
  if (tp.length > 0) {
    out.push('### Throughput', '');
    if (both) {
      out.push('| scenario | Tidelog records/s | Kafka records/s | Tidelog/Kafka | Tidelog MiB/s | Kafka MiB/s | Tidelog broker CPU s/GiB | Kafka broker CPU s/GiB | Tidelog/Kafka CPU |');
      out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    } else {
      out.push(`| scenario | ${NAMES[brokers[0]!]} records/s | MiB/s | broker CPU s/GiB |`, '| --- | ---: | ---: | ---: |');
    }
    for (const s of tp) {
      const cells = brokers.map((b) => {
        const ms = of(s.id, b);
        return { rps: med(ms, (m) => m.outcome!.recordsPerSec), mib: med(ms, (m) => m.outcome!.mibPerSec), cpu: med(ms, (m) => m.cpuSecPerGiB), failed: ms.some((m) => m.error) };
      });
      const mark = (c: (typeof cells)[number]): string => (c.failed ? ' (a run FAILED)' : '');
      if (both) {
        const [t, k] = cells as [(typeof cells)[0], (typeof cells)[0]];
        out.push(`| ${s.title} | ${num(t.rps)}${mark(t)} | ${num(k.rps)}${mark(k)} | ${ratio(t.rps, k.rps)} | ${num(t.mib, 1)} | ${num(k.mib, 1)} | ${num(t.cpu, 1)} | ${num(k.cpu, 1)} | ${ratio(t.cpu, k.cpu)} |`);
      } else {
        const [c] = cells as [(typeof cells)[0]];
        out.push(`| ${s.title} | ${num(c.rps)}${mark(c)} | ${num(c.mib, 1)} | ${num(c.cpu, 1)} |`);
      }
    }
    out.push('');

    // Where the broker CPU went: user space (the broker's own code) and the kernel.
    out.push('### Broker CPU per GiB: user and system', '');
    out.push(`| scenario | ${brokers.map((b) => `${NAMES[b]} user s/GiB | ${NAMES[b]} system s/GiB`).join(' | ')}${both ? ' | user Tidelog/Kafka | system Tidelog/Kafka' : ''} |`);
    out.push(`| --- | ${brokers.map(() => '---: | ---:').join(' | ')}${both ? ' | ---: | ---:' : ''} |`);
    for (const s of tp) {
      const cells = brokers.map((b) => {
        const ms = of(s.id, b);
        return { user: med(ms, (m) => (m.cpuSecPerGiB ?? NaN) - (m.systemSecPerGiB ?? NaN)), system: med(ms, (m) => m.systemSecPerGiB) };
      });
      out.push(`| ${s.title} | ${cells.map((c) => `${num(c.user, 2)} | ${num(c.system, 2)}`).join(' | ')}${both ? ` | ${ratio(cells[0]!.user, cells[1]!.user)} | ${ratio(cells[0]!.system, cells[1]!.system)}` : ''} |`);
    }
    out.push('');

    // Was the client the limit? Its busiest thread at ~100 % of a core says so.
    out.push('### Load generators: CPU cores used / busiest thread (share of one core)', '');
    out.push(`| scenario | ${brokers.map((b) => `against ${NAMES[b]}`).join(' | ')} |`);
    out.push(`| --- | ${brokers.map(() => '---:').join(' | ')} |`);
    for (const s of tp) {
      const cells = brokers.map((b) => {
        const ms = of(s.id, b).filter((m) => m.outcome?.generator);
        if (ms.length === 0) return '–';
        const busiest = ms.map((m) => m.outcome!.generator!).sort((x, y) => x.busiestThreadShare - y.busiestThreadShare)[Math.floor((ms.length - 1) / 2)]!;
        return `${num(med(ms, (m) => m.outcome!.generator!.cores), 2)} / ${num(med(ms, (m) => m.outcome!.generator!.busiestThreadShare) * 100)} % (${busiest.busiestThread})`;
      });
      out.push(`| ${s.title} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }

  // Latency.
  const lat = scenarios.filter((s) => s.kind === 'latency' || s.id === 'produce-100b');
  if (lat.length > 0) {
    out.push('### Latency (ms)', '');
    out.push(`| scenario | ${brokers.map((b) => `${NAMES[b]} avg / p50 / p99 / p99.9`).join(' | ')}${both ? ' | p99 Tidelog/Kafka' : ''} |`);
    out.push(`| --- | ${brokers.map(() => '---:').join(' | ')}${both ? ' | ---:' : ''} |`);
    for (const s of lat) {
      const cells = brokers.map((b) => {
        const ms = of(s.id, b).filter((m) => m.outcome?.latency);
        const l = (f: (x: NonNullable<Outcome['latency']>) => number): number => med(ms, (m) => f(m.outcome!.latency!));
        return { avg: l((x) => x.avgMs), p50: l((x) => x.p50Ms), p99: l((x) => x.p99Ms), p999: l((x) => x.p999Ms) };
      });
      const title = s.id === 'produce-100b' ? `${s.title}, unthrottled (queueing in the producer)` : s.title;
      out.push(`| ${title} | ${cells.map((c) => `${num(c.avg, 2)} / ${num(c.p50)} / ${num(c.p99)} / ${num(c.p999)}`).join(' | ')}${both ? ` | ${ratio(cells[0]!.p99, cells[1]!.p99)}` : ''} |`);
    }
    out.push('');
  }

  // The brokers themselves.
  if (brokerRuns.length > 0) {
    out.push('### Brokers', '');
    out.push(`| | ${brokers.map((b) => NAMES[b]).join(' | ')}${both ? ' | Tidelog/Kafka' : ''} |`, `| --- | ${brokers.map(() => '---:').join(' | ')}${both ? ' | ---:' : ''} |`);
    const row = (label: string, f: (r: BrokerRun) => number | undefined, digits = 0): void => {
      const v = brokers.map((b) => median(brokerRuns.filter((r) => r.broker === b).flatMap((r) => (f(r) === undefined ? [] : [f(r)!]))));
      out.push(`| ${label} | ${v.map((x) => num(x, digits)).join(' | ')}${both ? ` | ${ratio(v[0]!, v[1]!)}` : ''} |`);
    };
    row('start-up: process spawned to first produce acknowledged (ms)', (r) => r.startupMs);
    row('resident memory (VmRSS) after the run (MiB)', (r) => r.rssBytes / MiB);
    row('peak resident memory (VmHWM) (MiB)', (r) => r.peakRssBytes / MiB);
    row('clean shutdown on SIGTERM (ms)', (r) => r.stopMs);
    if (brokerRuns.some((r) => r.formatMs !== undefined)) out.push(`| Kafka only: \`kafka-storage format\` before start (ms) | ${brokers.map((b) => (b === 'kafka' ? num(median(brokerRuns.filter((r) => r.broker === 'kafka').map((r) => r.formatMs ?? NaN))) : '')).join(' | ')}${both ? ' | ' : ''} |`);
    out.push('');
  }

  // Every run.
  out.push('### Every run', '');
  out.push('| scenario | broker | round | records/s | MiB/s | latency avg / p99 ms | broker CPU s | CPU s/GiB (system) | timer interrupts per GiB | phase s | other load / idle side (cores) | generator cores / busiest thread | check |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const s of scenarios) {
    for (const m of measurements.filter((x) => x.scenario === s.id).sort((a, b) => a.round - b.round || a.broker.localeCompare(b.broker))) {
      const o = m.outcome;
      out.push(
        `| ${s.id} | ${NAMES[m.broker]} | ${m.round} | ${o ? num(o.recordsPerSec) : '–'} | ${o ? num(o.mibPerSec, 1) : '–'} | ${o?.latency ? `${num(o.latency.avgMs, 2)} / ${num(o.latency.p99Ms)}` : ''} | ${num(m.brokerCpuSec, 1)} | ${num(m.cpuSecPerGiB ?? NaN, 1)} (${num(m.systemSecPerGiB ?? NaN, 1)}) | ${num(m.timerInterruptsPerGiB ?? NaN)} | ${num(m.phaseMs / 1000, 1)} | ${num(m.otherLoadCores, 2)}${m.idleSideCores !== undefined ? ` / ${num(m.idleSideCores, 2)}` : ''} | ${o?.generator ? `${num(o.generator.cores, 2)} / ${num(o.generator.busiestThreadShare * 100)} %` : ''} | ${o ? o.check : `FAILED: ${m.error?.split('\n')[0]}`}${o?.notes ? `; ${o.notes}` : ''} |`,
      );
    }
  }
  for (const r of brokerRuns) out.push(`| (broker) | ${NAMES[r.broker]} | ${r.round} | start-up ${num(r.startupMs)} ms | | | | | | | | | RSS ${num(r.rssBytes / MiB)} MiB, peak ${num(r.peakRssBytes / MiB)} MiB, exit ${r.exit} |`);
  out.push('');

  // Commands.
  out.push('### Commands', '');
  out.push('`$BOOTSTRAP` is the broker under test (127.0.0.1 and a free port); `$KAFKA_LIBS` the folder scripts/fetch-kafka.sh printed. The Java tools also get kafka-run-class.sh\'s JVM options (G1, MaxGCPauseMillis=20, ...).', '');
  out.push('```');
  const seenBroker = new Set<BrokerKind>();
  for (const r of brokerRuns) {
    if (seenBroker.has(r.broker)) continue;
    seenBroker.add(r.broker);
    out.push(`# ${NAMES[r.broker]} broker`, r.command.replace(/\/tmp\/tidelog-bench-[^/ ]+/g, '$RUN_DIR'));
  }
  for (const s of scenarios) {
    const cmds = new Set(measurements.filter((m) => m.scenario === s.id && m.outcome).flatMap((m) => m.outcome!.commands.map((c) => generic(c, bootstraps).replace(/\/tmp\/tidelog-bench-[^/ ]+/g, '$RUN_DIR'))));
    if (cmds.size > 0) out.push(`# ${s.id}: ${s.title}`, ...cmds);
  }
  out.push('```', '');

  if (profiles.length > 0) {
    out.push('### Tidelog CPU profiles', '', ...profiles, '');
  }
  return out.join('\n');
}
