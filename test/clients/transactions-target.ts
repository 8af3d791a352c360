// The broker the real-client transaction tests (test/clients/transactions-*.test.ts) run
// against, and the Java programs they run. TIDELOG_TXN_TEST_TARGET picks the broker:
//
//   (unset) or tidelog  Tidelog, started by test/helpers/broker-process.ts (what `npm test` runs)
//   kafka               Apache Kafka 4.4.0 from scripts/fetch-kafka.sh's jars, started by
//                       bench/brokers.ts: the reference the tests were validated against
//
// Both brokers finalize the transaction.version feature at the same level, so that both are
// held to the same protocol: 2 by default, as Kafka 4.4 formats new storage and Tidelog's
// `transaction.version` key defaults (KIP-890 part 2: the leader adds partitions for the
// client, the epoch is bumped at every commit and abort), or 1 with TIDELOG_TXN_TEST_TV=1
// (AddPartitionsToTxn from the client; Kafka formatted with --feature transaction.version=1,
// Tidelog given transaction.version=1). TIDELOG_TXN_TEST_KAFKA_TV is the older name of it.
//
// Both get the same settings (one node: internal topics with replication factor 1, no
// initial rebalance delay); the tests create their topics themselves.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startKafka, type RunningBroker } from '../../bench/brokers.js';
import { classPath, ensureKafkaLibs, javaBin, type KafkaLibs } from '../../bench/kafka-dist.js';
import { runProcess } from '../../bench/run-process.js';
import { removeDir, repoRoot, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';

export type TxnTargetKind = 'tidelog' | 'kafka';

export function txnTargetKind(): TxnTargetKind {
  const v = process.env.TIDELOG_TXN_TEST_TARGET ?? 'tidelog';
  if (v !== 'tidelog' && v !== 'kafka') throw new Error(`TIDELOG_TXN_TEST_TARGET=${v}: expected tidelog or kafka`);
  return v;
}

/** Settings both brokers get. */
const TARGET_CONFIG: Readonly<Record<string, string>> = {
  'group.initial.rebalance.delay.ms': '0',
  'offsets.topic.replication.factor': '1',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  // A crashed client's open transaction is aborted at its timeout; look for such every second
  // rather than Kafka's 10 s (the Kafka Streams crash test waits for it).
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '1000',
};

/** The transaction.version feature level both brokers finalize, from TIDELOG_TXN_TEST_TV (default 2). */
export function kafkaTransactionVersion(): 1 | 2 {
  const v = process.env.TIDELOG_TXN_TEST_TV ?? process.env.TIDELOG_TXN_TEST_KAFKA_TV ?? '2';
  if (v !== '1' && v !== '2') throw new Error(`TIDELOG_TXN_TEST_TV=${v}: expected 1 or 2`);
  return v === '1' ? 1 : 2;
}

/** For test titles: which broker, and which transaction version. */
export function txnTargetTitle(kind: TxnTargetKind): string {
  return `${kind === 'kafka' ? 'Apache Kafka' : 'Tidelog'} (transaction.version=${kafkaTransactionVersion()})`;
}

export interface TxnTarget {
  readonly kind: TxnTargetKind;
  /** The transaction.version level the broker finalized. */
  readonly transactionVersion: 1 | 2;
  readonly bootstrap: string;
  /** The broker's last log lines, for a failure message. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** Starts the broker; Kafka's jars are fetched when not given (scripts/fetch-kafka.sh). */
export async function startTxnTarget(kind: TxnTargetKind, kafkaLibs?: KafkaLibs, transactionVersion: 1 | 2 = kafkaTransactionVersion()): Promise<TxnTarget> {
  if (kind === 'kafka') {
    const libs = kafkaLibs ?? (await ensureKafkaLibs());
    const dir = tempDir('tidelog-txn-kafka-');
    const logFile = path.join(dir, 'kafka.log');
    const formatArgs = ['--feature', `transaction.version=${transactionVersion}`];
    const broker: RunningBroker = await startKafka({ libs, dir, logFile, config: TARGET_CONFIG, formatArgs });
    return {
      kind,
      transactionVersion,
      bootstrap: broker.bootstrap,
      logTail: (n = 40) => tail(readFileSync(logFile, 'utf8').split('\n'), n),
      async stop() {
        await broker.stop();
        removeDir(dir);
      },
    };
  }
  const broker: BrokerProcess = await startBrokerProcess({ overrides: { ...TARGET_CONFIG, 'transaction.version': String(transactionVersion) } });
  return {
    kind,
    transactionVersion,
    bootstrap: broker.bootstrap,
    logTail: (n = 40) => tail(broker.logLines, n),
    async stop() {
      await broker.stop();
      removeDir(broker.dataDir);
    },
  };
}

function tail(lines: readonly string[], n: number): string {
  return lines.slice(-n).join('\n');
}

export const pythonFetchScript = path.join(repoRoot, 'scripts', 'fetch-python-kafka.sh');

/** Runs scripts/fetch-python-kafka.sh (nothing to do when installed) and returns the python of its environment. */
export async function ensurePythonKafka(): Promise<string> {
  const r = await runProcess('bash', [pythonFetchScript], undefined, 300_000);
  if (r.code !== 0) throw new Error(`scripts/fetch-python-kafka.sh failed (exit ${r.code}):\n${r.stderr.trim()}`);
  return r.stdout.trim().split('\n').pop()!;
}

/** Where the Python programs of these tests are. */
export const pythonSourceDir = path.join(repoRoot, 'test', 'clients', 'python');

/** Runs a Python program of test/clients/python; resolves when it exits (rejects after timeoutMs, the process killed). */
export async function runPython(python: string, script: string, args: readonly string[], timeoutMs: number): Promise<ProgramRun> {
  return withEvents(await runProcess(python, ['-u', path.join(pythonSourceDir, script), ...args], undefined, timeoutMs, script));
}

/** Where the Java sources of these tests are (not compiled by tsc: javac at test time). */
export const javaSourceDir = path.join(repoRoot, 'test', 'clients', 'java');

export interface JavaPrograms {
  readonly libs: KafkaLibs;
  readonly dir: string;
  readonly classes: string;
  readonly log4jConfig: string;
}

// Kafka's clients log through slf4j to log4j 2 (in the libs): warnings and errors to standard
// error, so standard output carries only the programs' JSON lines.
const CLIENT_LOG4J2 = `status = warn
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
`;

/** Compiles the named sources of test/clients/java with javac against Kafka's jars into a temporary folder. */
export async function compileJava(libs: KafkaLibs, sources: readonly string[]): Promise<JavaPrograms> {
  const dir = tempDir('tidelog-txn-java-');
  const classes = path.join(dir, 'classes');
  mkdirSync(classes);
  const javac = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'javac') : 'javac';
  const r = await runProcess(javac, ['-encoding', 'UTF-8', '-d', classes, '-cp', classPath(libs), ...sources.map((s) => path.join(javaSourceDir, s))], undefined, 120_000);
  if (r.code !== 0) throw new Error(`javac failed (exit ${r.code}; a JDK 17+ is needed, Debian: openjdk-17-jdk-headless):\n${r.stdout}\n${r.stderr}`);
  const log4jConfig = path.join(dir, 'log4j2.properties');
  writeFileSync(log4jConfig, CLIENT_LOG4J2);
  return { libs, dir, classes, log4jConfig };
}

export interface ProgramRun {
  readonly code: number | null;
  /** Every JSON line of standard output, in order. */
  readonly events: readonly Record<string, unknown>[];
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
}

/** Runs a compiled main class; resolves when it exits (rejects after timeoutMs, the process killed). */
export async function runJava(programs: JavaPrograms, mainClass: string, args: readonly string[], timeoutMs: number): Promise<ProgramRun> {
  const jvm = ['-Xmx256M', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dlog4j2.configurationFile=${programs.log4jConfig}`, '-cp', `${programs.classes}${path.delimiter}${classPath(programs.libs)}`, mainClass, ...args];
  return withEvents(await runProcess(javaBin(), jvm, undefined, timeoutMs, mainClass));
}

export function withEvents(r: { code: number | null; stdout: string; stderr: string; wallMs: number }): ProgramRun {
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code: r.code, events, stdout: r.stdout, stderr: r.stderr, wallMs: r.wallMs };
}

/** A readable reason for a failed run: its error event, the end of its standard error, the broker's last log lines. */
export function failure(run: ProgramRun, target: TxnTarget): string {
  const { event: _event, ...error } = run.events.find((e) => e.event === 'error') ?? { event: 'error' };
  return [
    `exit ${run.code} after ${Math.round(run.wallMs)} ms against ${target.kind}: ${JSON.stringify(error)}`,
    '--- client standard error (last lines) ---',
    run.stderr.trimEnd().split('\n').slice(-12).join('\n'),
    '--- broker log (last lines) ---',
    target.logTail(),
  ].join('\n');
}

/**
 * That the client saw the transaction.version the broker finalized (the program's "features"
 * event, from Admin.describeFeatures), so that a run is known to have exercised that protocol.
 */
export function assertTransactionVersion(run: ProgramRun, target: TxnTarget): void {
  const features = run.events.find((e) => e.event === 'features');
  if (features === undefined) throw new Error('the program printed no "features" event');
  if (features.transactionVersion !== target.transactionVersion) throw new Error(`transaction.version ${String(features.transactionVersion)} on ${target.kind}, expected ${target.transactionVersion}`);
}

/** A record as a consumer printed it, or as the producer sent it. */
export interface Seen {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** The "record" events of one consumer read, by partition, in the order read. */
export function recordsByPartition(run: ProgramRun, label: string): Map<number, Seen[]> {
  return byPartition(run.events.filter((e) => e.event === 'record' && e.label === label) as unknown as Seen[]);
}

/** Groups by partition, keeping the order within each; partitions in ascending order. */
export function byPartition(items: readonly Seen[]): Map<number, Seen[]> {
  const m = new Map<number, Seen[]>();
  for (const s of [...items].sort((a, b) => a.partition - b.partition)) {
    const list = m.get(s.partition) ?? [];
    list.push({ partition: s.partition, offset: s.offset, value: s.value });
    m.set(s.partition, list);
  }
  return m;
}

/** Sorted by offset within each partition (what a consumer should read, in that order). */
export function inLogOrder(items: readonly Seen[]): Map<number, Seen[]> {
  const m = byPartition(items);
  for (const list of m.values()) list.sort((a, b) => a.offset - b.offset);
  return m;
}

/** For assertion messages and deepEqual: partition → values. */
export function valuesOf(m: Map<number, Seen[]>): Record<number, string[]> {
  return Object.fromEntries([...m].map(([p, list]) => [p, list.map((s) => s.value)]));
}

export function offsetsOf(m: Map<number, Seen[]>): Record<number, number[]> {
  return Object.fromEntries([...m].map(([p, list]) => [p, list.map((s) => s.offset)]));
}
