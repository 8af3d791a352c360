// The client side of the failover test (test/cluster/failover-*.test.ts) and benchmark
// (bench/failover.ts), the same against Tidelog and Kafka:
// - FailoverProducer.java (bench/java/), compiled here with javac against Kafka's client jars:
//   the Java producer, idempotent, acks=all, at a fixed rate over every partition, reporting
//   every acknowledgement (partition, offset, sequence, time) and every failed send as a line.
// - readTopic: kcat (librdkafka) reads every partition from the beginning to its end, so the
//   check uses a second, independent client.
// - verifyAcknowledged: every acknowledged (partition, offset) holds the value sent, and every
//   value acknowledged is there once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { KafkaConnection } from '../src/client/kafka-connection.js';
import { ApiKey } from '../src/protocol/generated/index.js';
import { recordBatch } from '../test/helpers/batch.js';
import { classPath, javaBin, repoRoot, type KafkaLibs } from './kafka-dist.js';
import { runProcess } from './run-process.js';

export interface Ack {
  readonly partition: number;
  readonly offset: number;
  readonly sequence: number;
  /** When the acknowledgement arrived (Date.now() of the producer's JVM). */
  readonly atMs: number;
  /** When send() was called for it. */
  readonly sentAtMs: number;
}

export interface FailedSend {
  readonly partition: number;
  readonly sequence: number;
  readonly atMs: number;
  readonly error: string;
}

export interface CompiledProducer {
  readonly libs: KafkaLibs;
  readonly classes: string;
  close(): void;
}

/** javac of bench/java/FailoverProducer.java into a temp directory. */
export async function compileFailoverProducer(libs: KafkaLibs): Promise<CompiledProducer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-failover-java-'));
  const javac = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'javac') : 'javac';
  const r = await runProcess(javac, ['-encoding', 'UTF-8', '-d', dir, '-cp', classPath(libs), path.join(repoRoot, 'bench', 'java', 'FailoverProducer.java')], undefined, 120_000, 'javac');
  if (r.code !== 0) throw new Error(`javac failed (exit ${r.code}; a JDK 17+ is needed):\n${r.stdout}\n${r.stderr}`);
  return { libs, classes: dir, close: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ProducerSummary {
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  readonly exitCode: number | null;
}

/** One running FailoverProducer; acks and failures fill in as its lines arrive. */
export class FailoverProducerRun {
  readonly acks: Ack[] = [];
  readonly failures: FailedSend[] = [];
  readonly stderr: string[] = [];
  private summary: { sent: number; acked: number; failed: number } | null = null;
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (l) => this.onLine(l));
    createInterface({ input: child.stderr! }).on('line', (l) => {
      if (this.stderr.length < 200) this.stderr.push(l);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts the producer; `overrides` are producer configs (key=value). */
  static start(program: CompiledProducer, bootstrap: string, topic: string, partitions: number, recordsPerSecond: number, overrides: Record<string, string> = {}): FailoverProducerRun {
    const args = ['-Xmx256M', '-XX:+UseSerialGC', '-cp', `${program.classes}${path.delimiter}${classPath(program.libs)}`, 'FailoverProducer', bootstrap, topic, String(partitions), String(recordsPerSecond), ...Object.entries(overrides).map(([k, v]) => `${k}=${v}`)];
    const child = spawn(javaBin(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    return new FailoverProducerRun(child);
  }

  private onLine(l: string): void {
    const f = l.split(' ');
    if (f[0] === 'a') this.acks.push({ partition: Number(f[1]), offset: Number(f[2]), sequence: Number(f[3]), atMs: Number(f[4]), sentAtMs: Number(f[5]) });
    else if (f[0] === 'f') this.failures.push({ partition: Number(f[1]), sequence: Number(f[2]), atMs: Number(f[3]), error: f.slice(4).join(' ') });
    else if (f[0] === 'done') this.summary = { sent: Number(f[1]), acked: Number(f[2]), failed: Number(f[3]) };
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * The first acknowledgement of a record of `partition` sent at or after `sinceMs` (after a
   * kill: a send the dead broker cannot have answered; an answer already on its way when the
   * kill came does not count).
   */
  firstAckSince(sinceMs: number, partition: number): Ack | undefined {
    let first: Ack | undefined;
    for (const a of this.acks) if (a.partition === partition && a.sentAtMs >= sinceMs && (first === undefined || a.atMs < first.atMs)) first = a;
    return first;
  }

  /** Resolves once every partition in `partitions` has an ack of a record sent at or after `sinceMs` (rejects after timeoutMs). */
  async waitForAcks(sinceMs: number, partitions: readonly number[], timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!partitions.every((p) => this.firstAckSince(sinceMs, p) !== undefined)) {
      if (!this.running) throw new Error(`${what}: the producer exited (${this.child.exitCode}):\n${this.stderr.slice(-20).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last failures: ${this.failures.slice(-3).map((x) => x.error).join('; ') || 'none'})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Asks it to stop (flush, close: every send resolves), waits up to timeoutMs, then kills it. */
  async stop(timeoutMs: number): Promise<ProducerSummary> {
    if (this.running) this.child.stdin!.end('stop\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exitCode = await this.exited;
    clearTimeout(timer);
    const s = this.summary ?? { sent: -1, acked: this.acks.length, failed: this.failures.length };
    return { ...s, exitCode };
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

/** partition -> offset -> value, as kcat reads the topic from the beginning to the end of every partition. */
export async function readTopic(bootstrap: string, topic: string, timeoutMs = 120_000): Promise<Map<number, Map<number, string>>> {
  const r = await runProcess('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\\n'], undefined, timeoutMs, 'kcat');
  if (r.code !== 0) throw new Error(`kcat -C failed (${r.code}): ${r.stderr}`);
  const out = new Map<number, Map<number, string>>();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const [p, o, v] = line.split(' ');
    const m = out.get(Number(p)) ?? new Map<number, string>();
    m.set(Number(o), v ?? '');
    out.set(Number(p), m);
  }
  return out;
}

export interface Verification {
  readonly acknowledged: number;
  readonly consumed: number;
  /** Acknowledged records not found at their offset with their value. */
  readonly lost: string[];
  /** Values present more than once (the idempotent producer should leave none). */
  readonly duplicates: string[];
}

export function verifyAcknowledged(acks: readonly Ack[], consumed: Map<number, Map<number, string>>): Verification {
  const lost: string[] = [];
  for (const a of acks) {
    const v = consumed.get(a.partition)?.get(a.offset);
    if (v !== `${a.partition}:${a.sequence}`) lost.push(`p${a.partition}@${a.offset}=${a.partition}:${a.sequence} (found ${v ?? 'nothing'})`);
  }
  const seen = new Set<string>();
  const duplicates: string[] = [];
  let count = 0;
  for (const m of consumed.values()) {
    for (const v of m.values()) {
      count++;
      if (seen.has(v)) duplicates.push(v);
      seen.add(v);
    }
  }
  return { acknowledged: acks.length, consumed: count, lost, duplicates };
}

/**
 * A tight probe beside the Java producer: from `sinceMs` on, asks any live broker's Metadata
 * (v9) for the leader of `partition` every few milliseconds and sends it one record (Produce
 * v9, acks=-1, value "probe:<n>") until one is acknowledged; resolves with the time of that
 * acknowledgement (Date.now()) and the broker that gave it. So the figure is the cluster's, not
 * the Java client's backoffs (retry.backoff.ms, reconnect.backoff.ms, metadata refresh).
 */
export async function probeFirstAck(ports: () => number[], topic: string, partition: number, timeoutMs: number, excludeLeader = -1): Promise<{ atMs: number; leader: number; attempts: number }> {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  const once = async <T>(port: number, fn: (c: KafkaConnection) => Promise<T>): Promise<T | null> => {
    let c: KafkaConnection | null = null;
    try {
      c = await KafkaConnection.connect('127.0.0.1', port, 'failover-probe', 500);
      const conn = c;
      return await Promise.race([fn(conn), new Promise<null>((r) => setTimeout(() => r(null), 6_000))]);
    } catch {
      return null;
    } finally {
      c?.close();
    }
  };
  while (Date.now() < deadline) {
    let leaderPort = -1;
    let leader = -1;
    for (const port of ports()) {
      const md = await once(port, (c) => c.request(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
      const p = md?.topics[0]?.partitions.find((x) => x.partitionIndex === partition);
      if (!md || !p || p.leaderId < 0 || p.leaderId === excludeLeader) continue;
      const b = md.brokers.find((x) => x.nodeId === p.leaderId);
      if (!b) continue;
      leader = p.leaderId;
      leaderPort = b.port;
      break;
    }
    if (leaderPort > 0) {
      attempts++;
      const r = await once(leaderPort, (c) =>
        c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: recordBatch([{ value: `probe:${attempts}` }]) }] }] }),
      );
      const code = r?.responses[0]?.partitionResponses[0]?.errorCode;
      if (code === 0) return { atMs: Date.now(), leader, attempts };
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no acknowledged acks=-1 probe on ${topic}-${partition} within ${timeoutMs} ms`);
}
