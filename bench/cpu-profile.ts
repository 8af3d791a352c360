// Summarises a V8 CPU profile (the .cpuprofile `node --cpu-prof` writes on exit): the
// frames with the most self time, the frames with the most total (inclusive) time, and the
// share of each broad category (our TypeScript, Node's internals, GC, the native addon
// calls' JS frames, idle).
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FrameTime {
  readonly frame: string;
  readonly ms: number;
  /** Share of the busy (non-idle) time. */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly idleMs: number;
  readonly busyMs: number;
  readonly topSelf: FrameTime[];
  readonly topTotal: FrameTime[];
  readonly categories: FrameTime[];
  /** Whether only a window of the profile was summarised. */
  readonly window: boolean;
}

const SPECIAL = new Set(['(root)', '(idle)', '(program)', '(garbage collector)']);

function frameName(cf: CallFrame, repoRoot: string): string {
  if (SPECIAL.has(cf.functionName)) return cf.functionName;
  let where = cf.url.replace(/^file:\/\//, '');
  if (where.startsWith(repoRoot)) where = path.relative(repoRoot, where);
  where = where.replace(/^.*node_modules\//, 'node_modules/');
  return `${cf.functionName || '(anonymous)'} ${where || '(native)'}${where ? `:${cf.lineNumber + 1}` : ''}`;
}

function category(cf: CallFrame, repoRoot: string): string {
  if (cf.functionName === '(garbage collector)') return 'GC';
  if (cf.functionName === '(program)') return '(program): V8/native work not attributed to a JS frame';
  if (cf.functionName === '(idle)') return 'idle';
  const url = cf.url.replace(/^file:\/\//, '');
  if (url.startsWith('node:')) return 'Node.js internals (node:*)';
  if (url.includes('node_modules/')) return `dependency ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? ''}`;
  if (url.startsWith(path.join(repoRoot, 'dist', 'src'))) {
    const rel = path.relative(path.join(repoRoot, 'dist', 'src'), url);
    return `tidelog src/${rel.split(path.sep)[0]}`;
  }
  if (url === '') return 'V8 builtins and native functions';
  return 'other';
}

/**
 * Reads and summarises one .cpuprofile; `top` frames in each list. With `windowUs`, only
 * the samples taken in that interval count: V8 stamps samples with the monotonic clock in
 * microseconds, the clock process.hrtime() reads, so another process on the machine can say
 * when its measured phase began and ended.
 */
export function summariseCpuProfile(file: string, repoRoot: string, top = 20, windowUs?: { from: number; to: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Sample i lasts until sample i+1: timeDeltas[i + 1] µs (the last one gets the mean).
  const selfUs = new Map<number, number>();
  const n = profile.samples.length;
  const meanUs = n > 0 ? (profile.endTime - profile.startTime) / n : 0;
  let at = profile.startTime;
  for (let i = 0; i < n; i++) {
    at += profile.timeDeltas[i]!;
    const dt = i + 1 < n ? profile.timeDeltas[i + 1]! : meanUs;
    if (windowUs && (at < windowUs.from || at > windowUs.to)) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const cats = new Map<string, number>();
  let idleUs = 0;
  let allUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    allUs += us;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = frameName(node.callFrame, repoRoot);
    self.set(name, (self.get(name) ?? 0) + us);
    const cat = category(node.callFrame, repoRoot);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    // Inclusive time: each distinct frame on the stack once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = frameName(byId.get(cur)!.callFrame, repoRoot);
      if (f === '(root)' || seen.has(f)) continue;
      seen.add(f);
      total.set(f, (total.get(f) ?? 0) + us);
    }
  }
  const busyUs = allUs - idleUs;
  const rank = (m: Map<string, number>, k: number): FrameTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([frame, us]) => ({ frame, ms: us / 1000, pct: busyUs > 0 ? (100 * us) / busyUs : 0 }));
  return { file, totalMs: allUs / 1000, idleMs: idleUs / 1000, busyMs: busyUs / 1000, topSelf: rank(self, top), topTotal: rank(total, top), categories: rank(cats, 12), window: windowUs !== undefined };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const lines: string[] = [];
  lines.push(`profile ${s.file}${s.window ? ' (the measured phase only)' : ''}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(s.busyMs / 1000).toFixed(1)} s busy on the JS thread, ${(s.idleMs / 1000).toFixed(1)} s idle`);
  const table = (title: string, rows: FrameTime[]): void => {
    lines.push('', `| ${title} | ms | % of busy |`, '| --- | ---: | ---: |');
    for (const r of rows) lines.push(`| \`${r.frame}\` | ${r.ms.toFixed(0)} | ${r.pct.toFixed(1)} |`);
  };
  table('category (self time)', s.categories);
  table('frame (self time)', s.topSelf);
  table('frame (total time, callees included)', s.topTotal);
  return lines.join('\n');
}
