// What the kernel knows about a broker process and the machine: CPU time from
// /proc/<pid>/stat, memory from /proc/<pid>/status, and the machine's description.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second (`getconf CLK_TCK`), the unit of utime and stime in /proc/<pid>/stat. */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface CpuTimes {
  /** Seconds in user space: the broker's own code (and its JIT, GC). */
  readonly userSec: number;
  /** Seconds in the kernel on the process's behalf: socket and file copies, page faults. */
  readonly systemSec: number;
}

/**
 * User and system CPU seconds of a process. /proc/<pid>/stat's utime and stime (fields 14
 * and 15) are those of the whole thread group: every thread, live or exited (a JVM's GC and
 * network threads, Node's libuv pool).
 */
export function cpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userSec: Number(fields[11]) / CLK_TCK, systemSec: Number(fields[12]) / CLK_TCK };
}

/** What a load generator used over its run: its threads' CPU, read from /proc while it ran. */
export interface GeneratorLoad {
  /** CPU seconds of all its threads per second of its run. */
  readonly cores: number;
  /** The name of its busiest thread (/proc/<pid>/task/<tid>/stat's comm). */
  readonly busiestThread: string;
  /** That thread's CPU seconds per second (1 = a whole core: that thread is the limit). */
  readonly busiestThreadShare: number;
}

interface ThreadSample {
  readonly name: string;
  readonly first: { readonly atMs: number; readonly cpuSec: number };
  last: { atMs: number; cpuSec: number };
}

/**
 * Samples the CPU time of every thread of a process every intervalMs until stop(), to say
 * whether a load generator was itself the limit: a thread at ~100 % of a core is.
 */
export class ThreadCpuSampler {
  private readonly threads = new Map<string, ThreadSample>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 200,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const atMs = performance.now();
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${this.pid}/task`);
    } catch {
      return; // exited
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${this.pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cpuSec = (Number(f[11]) + Number(f[12])) / CLK_TCK;
        const known = this.threads.get(tid);
        if (known) known.last = { atMs, cpuSec };
        else this.threads.set(tid, { name, first: { atMs, cpuSec }, last: { atMs, cpuSec } });
      } catch {
        // the thread ended meanwhile
      }
    }
  }

  /** Stops sampling; null when the process ran too briefly to say (under a second of samples). */
  stop(): GeneratorLoad | null {
    clearInterval(this.timer);
    this.sample();
    const all = [...this.threads.values()];
    const from = Math.min(...all.map((t) => t.first.atMs));
    const to = Math.max(...all.map((t) => t.last.atMs));
    if (!(to - from >= 1000)) return null;
    const cpu = all.reduce((a, t) => a + (t.last.cpuSec - t.first.cpuSec), 0);
    let busiest: { name: string; share: number } = { name: '', share: 0 };
    for (const t of all) {
      const windowMs = t.last.atMs - t.first.atMs;
      if (windowMs < 1000) continue;
      const share = (t.last.cpuSec - t.first.cpuSec) / (windowMs / 1000);
      if (share > busiest.share) busiest = { name: t.name, share };
    }
    return { cores: cpu / ((to - from) / 1000), busiestThread: busiest.name, busiestThreadShare: busiest.share };
  }
}

/** User plus system CPU seconds of a process (cpuTimes). */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.userSec + t.systemSec;
}

/**
 * Kernel seconds a fresh process spends per GiB of memory it touches for the first time
 * (a 512 MiB buffer filled once). On a virtual machine that hands freed memory back to its
 * host (free page reporting), every page a broker's writes add to the page cache costs about
 * this much system time, whichever broker it is.
 */
export function firstTouchSystemSecPerGiB(): number {
  const script = 'const t0 = process.resourceUsage().systemCPUTime; Buffer.allocUnsafeSlow(512 * 1024 * 1024).fill(1); process.stdout.write(String(process.resourceUsage().systemCPUTime - t0));';
  try {
    const micros = Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    return micros / 1e6 / 0.5;
  } catch {
    return NaN;
  }
}

export interface Memory {
  /** Resident set size now (VmRSS). */
  readonly rssBytes: number;
  /** Peak resident set size (VmHWM). */
  readonly peakRssBytes: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    return `(${cmd} failed: ${(err as Error).message.split('\n')[0]})`;
  }
}

export interface Machine {
  readonly nproc: string;
  readonly cpuModel: string;
  readonly memTotal: string;
  readonly df: string;
  readonly kernel: string;
  /** TCP's congestion control and the loopback device's queueing discipline (tcpSettings). */
  readonly tcp: string;
  readonly node: string;
  readonly loadAverage: string;
  /** firstTouchSystemSecPerGiB() when the run started. */
  readonly firstTouchSecPerGiB: number;
}

/** nproc, CPU model, memory, the temp directory's filesystem (df -hT), kernel and Node. */
export function describeMachine(tmpDir: string): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const memTotalKiB = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return {
    nproc: run('nproc', []),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    memTotal: `${(memTotalKiB / 1024 / 1024).toFixed(1)} GiB`,
    df: run('df', ['-hT', tmpDir]).split('\n').pop() ?? '',
    kernel: `${os.type()} ${os.release()}`,
    tcp: tcpSettings(),
    node: process.version,
    loadAverage: loadAverage(),
    firstTouchSecPerGiB: firstTouchSystemSecPerGiB(),
  };
}

/**
 * The machine's TCP congestion control and the loopback device's qdisc. BBR without the fq
 * qdisc paces in the kernel: a high-resolution timer per TSO packet, whose interrupt and
 * softirq are charged to the process then on the CPU, mostly the sending broker. On a virtual
 * machine each timer costs an exit to the host, so a broker's system time per GiB sent then
 * moves with BBR's bandwidth estimate of each connection (BENCHMARKS.md, "BBR's pacing").
 */
export function tcpSettings(): string {
  let congestionControl = 'unknown';
  try {
    congestionControl = readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
  } catch {
    // Not Linux, or no /proc: say unknown.
  }
  const qdisc = /qdisc (\S+)/.exec(run('tc', ['qdisc', 'show', 'dev', 'lo']))?.[1] ?? 'unknown';
  return `congestion control ${congestionControl}, loopback qdisc ${qdisc}`;
}

/**
 * Local timer interrupts so far, all CPUs (/proc/interrupts' LOC line, x86): the scheduler's
 * ticks plus every high-resolution timer that fired, TCP's pacing timers among them. NaN
 * where the line is missing.
 */
export function localTimerInterrupts(): number {
  const line = /^\s*LOC:((?:\s+\d+)+)/m.exec(readFileSync('/proc/interrupts', 'utf8'));
  if (!line) return NaN;
  return line[1]!.trim().split(/\s+/).reduce((sum, n) => sum + Number(n), 0);
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** Busy CPU seconds of the whole machine, all cores (/proc/stat: everything but idle and iowait). */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

/** CPU seconds of this process plus those of its children that have exited and been waited for (cutime, cstime). */
export function selfAndReapedChildrenSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

interface ProcTicks {
  readonly comm: string;
  readonly cmdline: string;
  readonly seconds: number;
}

function allProcesses(): Map<number, ProcTicks> {
  const out = new Map<number, ProcTicks>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 100);
      out.set(pid, { comm, cmdline, seconds: cpuSeconds(pid) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * The processes that used the most CPU over the next `windowMs` (two /proc scans), to say
 * what else was running on the machine. Lines of `cpu% pid command`.
 */
export async function busiestProcesses(windowMs = 3000, count = 6): Promise<string[]> {
  const before = allProcesses();
  await new Promise((r) => setTimeout(r, windowMs));
  const after = allProcesses();
  const rows: { pid: number; pct: number; what: string }[] = [];
  for (const [pid, a] of after) {
    const b = before.get(pid);
    const used = a.seconds - (b?.seconds ?? 0);
    if (used <= 0) continue;
    rows.push({ pid, pct: (100 * used) / (windowMs / 1000), what: a.cmdline || a.comm });
  }
  rows.sort((x, y) => y.pct - x.pct);
  return rows.slice(0, count).map((r) => `${r.pct.toFixed(0).padStart(4)}% ${String(r.pid).padStart(7)} ${r.what}`);
}
