// Apache Kafka's jars for the benchmarks and for the DumpLogSegments test: fetched once by
// scripts/fetch-kafka.sh into a cache outside the repository, then run with `java -cp
// 'libs/*' <main class>` as Kafka's own kafka-run-class.sh does.
//
// Main classes in Kafka 4.4 (checked by listing the jars): the broker is kafka.Kafka and the
// storage formatter kafka.tools.StorageTool (kafka_2.13); ProducerPerformance,
// ConsumerPerformance, EndToEndLatency and DumpLogSegments are in org.apache.kafka.tools
// (kafka-tools; DumpLogSegments moved there from kafka.tools in 4.x).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, type ProcessResult } from './run-process.js';

/** The repository root (this file is compiled to dist/bench/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fetchScript = path.join(repoRoot, 'scripts', 'fetch-kafka.sh');

export const KAFKA_MAIN = {
  broker: 'kafka.Kafka',
  storageTool: 'kafka.tools.StorageTool',
  producerPerformance: 'org.apache.kafka.tools.ProducerPerformance',
  consumerPerformance: 'org.apache.kafka.tools.ConsumerPerformance',
  endToEndLatency: 'org.apache.kafka.tools.EndToEndLatency',
  dumpLogSegments: 'org.apache.kafka.tools.DumpLogSegments',
} as const;

/** kafka-run-class.sh's default KAFKA_JVM_PERFORMANCE_OPTS, used for the broker and the tools. */
export const KAFKA_JVM_PERFORMANCE_OPTS = ['-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true'];

/** The java binary, found as kafka-run-class.sh finds it: $JAVA_HOME/bin/java, else `java` on the PATH. */
export function javaBin(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Throws with an installable explanation when there is no Java runtime. */
export function requireJava(): string {
  const java = javaBin();
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `Java is required to run Apache Kafka's tools, and \`${java} -version\` failed (${probe.error?.message ?? probe.stderr.trim()}). ` +
        'Install a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME.',
    );
  }
  // `openjdk version "17.0.15" 2025-04-15`
  return /version "([^"]+)"/.exec(probe.stderr)?.[1] ?? probe.stderr.split('\n')[0]!.trim();
}

export interface KafkaLibs {
  /** The folder of jars; the class path is `${dir}/*`. */
  readonly dir: string;
  /** Kafka's version, from the kafka-clients jar name. */
  readonly version: string;
  /** How long the fetch took, 0 when the cache was already there. */
  readonly fetchMs: number;
}

/**
 * Runs scripts/fetch-kafka.sh (which does nothing when the cache exists) and returns the
 * libs folder. Throws with the script's message when Maven or Java is missing or Maven fails.
 */
export async function ensureKafkaLibs(): Promise<KafkaLibs> {
  requireJava();
  const startedMs = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('bash', [fetchScript], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
  const fetchMs = performance.now() - startedMs;
  if (code !== 0) throw new Error(`scripts/fetch-kafka.sh failed (exit ${code}):\n${stderr.trim()}`);
  const dir = stdout.trim().split('\n').pop()!;
  const version = kafkaVersionFromJars(dir);
  return { dir, version, fetchMs: stderr.includes('already in') ? 0 : fetchMs };
}

function kafkaVersionFromJars(dir: string): string {
  for (const name of readdirSync(dir)) {
    const m = /^kafka-clients-(.+)\.jar$/.exec(name);
    if (m) return m[1]!;
  }
  return 'unknown';
}

export function classPath(libs: KafkaLibs): string {
  return `${libs.dir}/*`;
}

export type JavaResult = ProcessResult;

/** Runs one of Kafka's main classes to completion and collects its output. */
export function runKafkaClass(libs: KafkaLibs, mainClass: string, args: readonly string[], options: { heap?: string; timeoutMs?: number; jvmArgs?: readonly string[]; sampleCpu?: boolean } = {}): Promise<JavaResult> {
  const jvm = [`-Xmx${options.heap ?? '512M'}`, ...KAFKA_JVM_PERFORMANCE_OPTS, ...(options.jvmArgs ?? []), '-cp', classPath(libs), mainClass, ...args];
  return runProcess(javaBin(), jvm, undefined, options.timeoutMs ?? 600_000, mainClass, { sampleCpu: options.sampleCpu ?? false });
}
