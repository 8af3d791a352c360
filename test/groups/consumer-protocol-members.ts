// Long-running Java consumers of a KIP-848 group (test/clients/java/Kip848Members.java) for the
// consumer-protocol tests: spawned, watched through their JSON lines, stopped with SIGTERM (the
// member leaves) or SIGKILL (the member vanishes; its session must expire on the broker).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { classPath, javaBin } from '../../bench/kafka-dist.js';
import { compileJava, runJava, type JavaPrograms } from '../clients/transactions-target.js';

export type Event = Record<string, unknown> & { event: string };

export class JavaMember {
  readonly events: Event[] = [];
  readonly stderr: string[] = [];
  private readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) this.events.push(JSON.parse(line) as Event);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 200) this.stderr.shift();
    });
  }

  /** Values of the records this member printed (consumed and committed). */
  values(): string[] {
    return this.events.filter((e) => e.event === 'record').map((e) => String(e.value));
  }

  /** Values of a poll whose commit SIGTERM interrupted: consumed, committed or not. */
  interruptedValues(): string[] {
    return this.events.filter((e) => e.event === 'commit-interrupted').flatMap((e) => (e.values as string[]).map(String));
  }

  /** The member's current assignment as its last onPartitionsAssigned saw it. */
  assignment(): string[] {
    const last = [...this.events].reverse().find((e) => e.event === 'assigned');
    return (last?.assignment as string[] | undefined) ?? [];
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  describe(): string {
    return `${this.name}: ${JSON.stringify(this.events.filter((e) => e.event !== 'record').slice(-8))}\n${this.stderr.slice(-10).join('\n')}`;
  }
}

export async function compileMembers(libs: Parameters<typeof compileJava>[0]): Promise<JavaPrograms> {
  return compileJava(libs, ['Out.java', 'Kip848Members.java']);
}

/**
 * A member of `group`; `protocol` is its group.protocol (consumer, or classic for
 * JoinGroup/SyncGroup; classic-cooperative: classic with the CooperativeStickyAssignor).
 */
export function startMember(programs: JavaPrograms, bootstrap: string, group: string, subscription: string, clientId: string, protocol: 'consumer' | 'classic' | 'classic-cooperative' = 'consumer'): JavaMember {
  const jvm = ['-Xmx128M', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${programs.log4jConfig}`, '-cp', `${programs.classes}${path.delimiter}${classPath(programs.libs)}`];
  const child = spawn(javaBin(), [...jvm, 'Kip848Members', 'consume', bootstrap, group, subscription, clientId, protocol], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new JavaMember(clientId, child);
}

export async function produce(programs: JavaPrograms, bootstrap: string, topic: string, first: number, count: number, ratePerSecond = 0): Promise<void> {
  const r = await runJava(programs, 'Kip848Members', ['produce', bootstrap, topic, String(first), String(count), String(ratePerSecond)], 120_000);
  if (r.code !== 0) throw new Error(`producer failed (${r.code}): ${r.stdout}\n${r.stderr.split('\n').slice(-10).join('\n')}`);
}

/** Polls until `check` holds; throws with `explain()` after timeoutMs (a bound for a hung run, not a timing assertion). */
export async function waitFor(what: string, check: () => boolean, explain: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${explain()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every value v<first>..v<first+count-1>: how many times it was printed across the members. */
export function countValues(members: readonly JavaMember[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of members) for (const v of m.values()) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

export function missingAndDuplicates(counts: ReadonlyMap<string, number>, total: number): { missing: string[]; duplicates: string[] } {
  const missing: string[] = [];
  for (let i = 0; i < total; i++) if (!counts.has(`v${i}`)) missing.push(`v${i}`);
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  return { missing, duplicates };
}
