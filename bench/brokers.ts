// The two brokers under test, started the way their users start them and configured alike:
//
// - Tidelog: `node [flags] dist/bundle/tidelog.mjs broker --config config/server.properties
//   --override key=value ...` (extra Node flags, e.g. --cpu-prof, for profiling).
// - Apache Kafka: one JVM in KRaft combined mode (broker and controller), storage formatted
//   with kafka.tools.StorageTool --standalone, started as kafka-server-start.sh does
//   (`java -Xmx1G -Xms1G <kafka-run-class JVM opts> kafka.Kafka server.properties`).
//
// Both get the settings in COMMON_CONFIG; everything else is each broker's default (both use
// Kafka's key names and defaults: no fsync per message, 1 GiB segments). For the secured
// scenarios both also get a SASL_SSL listener with the same settings (bench/security.ts),
// beside the PLAINTEXT one.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { answersRequests, firstProduce } from './admin.js';
import { classPath, javaBin, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_MAIN, repoRoot, runKafkaClass, type KafkaLibs } from './kafka-dist.js';
import { saslSslBrokerConfig, type SaslSsl } from './security.js';

export type BrokerKind = 'tidelog' | 'kafka';

/** Broker settings both get. */
export const COMMON_CONFIG: Readonly<Record<string, string>> = {
  'num.partitions': '1',
  'log.segment.bytes': String(1024 * 1024 * 1024),
  // Kafka's shipped server.properties sets this to 0 "for a better out-of-the-box experience".
  'group.initial.rebalance.delay.ms': '0',
  'offsets.topic.replication.factor': '1',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'auto.create.topics.enable': 'true',
};

/** Kafka's heap as kafka-server-start.sh sets it when KAFKA_HEAP_OPTS is unset. */
export const KAFKA_HEAP = ['-Xmx1G', '-Xms1G'];

const START_TIMEOUT_MS = 120_000;

// Every broker process still running, so that a harness that fails half-way does not leave
// a JVM or a Node broker behind: killed (SIGKILL) when this process exits, also when it is
// interrupted (a signal's default action would skip the 'exit' handlers).
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));
const STOP_TIMEOUT_MS = 60_000;

export interface RunningBroker {
  readonly kind: BrokerKind;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly bootstrap: string;
  /** The SASL_SSL listener (host:port), when the broker was started with one. */
  readonly saslSslBootstrap?: string;
  readonly dataDir: string;
  /** From spawning the process to the first acknowledged produce. */
  readonly startupMs: number;
  /** Kafka only: formatting the storage beforehand (a separate JVM run). */
  readonly formatMs?: number;
  /** The command line, with the Kafka class path abbreviated. */
  readonly command: string;
  readonly logFile: string;
  /**
   * A cluster (bench/replicated.ts): its broker processes, whose CPU the harness sums (absent:
   * `pid` alone), the helper processes beside them (ZooKeeper, Kafka's controller), whose CPU
   * is not the brokers', and every broker's listener (admin requests go to partition leaders).
   */
  readonly pids?: readonly number[];
  readonly auxPids?: readonly number[];
  readonly endpoints?: readonly { host: string; port: number }[];
  alive(): boolean;
  /** SIGTERM, wait for a clean exit (SIGKILL after a minute). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stopMs: number }>;
}

/** A free TCP port on 127.0.0.1 (bound and released; the broker binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function printable(argv: readonly string[], libs?: KafkaLibs): string {
  return argv
    .map((a) => (libs ? a.replace(libs.dir, '$KAFKA_LIBS') : a))
    .map((a) => (/[\s*'"$]/.test(a) ? `'${a}'` : a))
    .join(' ');
}

/** A cluster member: ready once it answers a Kafka request (a produce needs the whole cluster). */
export const ANSWERS_REQUESTS = 'answers-requests';

export async function launch(kind: BrokerKind, bin: string, argv: string[], opts: { host: string; port: number; saslSslPort?: number; dataDir: string; logFile: string; command: string; formatMs?: number; ready?: typeof ANSWERS_REQUESTS }): Promise<RunningBroker> {
  const log = createWriteStream(opts.logFile);
  const startedMs = performance.now();
  const child: ChildProcess = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
  live.add(child);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      exit = { code, signal };
      resolve(exit);
    }),
  );
  const ep = { host: opts.host, port: opts.port };
  const died = exited.then((e) => {
    throw new Error(`${kind} exited (${e.code ?? e.signal}) before accepting a produce; see ${opts.logFile}`);
  });
  let ackedMs: number;
  try {
    const probe = opts.ready === ANSWERS_REQUESTS ? answersRequests(ep, startedMs + START_TIMEOUT_MS) : firstProduce(ep, 'bench-startup-probe', startedMs + START_TIMEOUT_MS);
    ackedMs = await Promise.race([probe, died]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  died.catch(() => undefined);
  return {
    kind,
    pid: child.pid!,
    host: opts.host,
    port: opts.port,
    bootstrap: `${opts.host}:${opts.port}`,
    ...(opts.saslSslPort !== undefined ? { saslSslBootstrap: `${opts.host}:${opts.saslSslPort}` } : {}),
    dataDir: opts.dataDir,
    startupMs: ackedMs - startedMs,
    ...(opts.formatMs !== undefined ? { formatMs: opts.formatMs } : {}),
    command: opts.command,
    logFile: opts.logFile,
    alive: () => exit === null,
    async stop() {
      const t0 = performance.now();
      if (exit === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      log.end();
      const e = exit as unknown as { code: number | null; signal: NodeJS.Signals | null };
      return { ...e, stopMs: performance.now() - t0 };
    },
  };
}

export interface TidelogOptions {
  readonly dataDir: string;
  readonly logFile: string;
  /** Extra flags for node, before the script (e.g. --cpu-prof --cpu-prof-dir=...). */
  readonly nodeFlags?: readonly string[];
  readonly port?: number;
  /** Broker config overrides on top of the harness's (for by-hand experiments). */
  readonly config?: Readonly<Record<string, string>>;
  /** Also a SASL_SSL listener with these settings. */
  readonly saslSsl?: SaslSsl;
  /** A cluster member: started once it answers requests (not a produce). */
  readonly ready?: typeof ANSWERS_REQUESTS;
}

export async function startTidelog(options: TidelogOptions): Promise<RunningBroker> {
  const host = '127.0.0.1';
  const port = options.port ?? (await freePort());
  const saslSslPort = options.saslSsl ? await freePort() : undefined;
  mkdirSync(options.dataDir, { recursive: true });
  // The HTTP admin API (metrics, on by default) stays on, as `npm start` has it, on an
  // ephemeral port rather than its default 9644, which another broker on the machine may hold.
  // With a SASL_SSL listener, PLAINTEXT stays the inter-broker listener, as on Kafka.
  const listeners = `PLAINTEXT://${host}:${port}${saslSslPort !== undefined ? `,SASL_SSL://${host}:${saslSslPort}` : ''}`;
  const security = options.saslSsl ? { 'inter.broker.listener.name': 'PLAINTEXT', ...saslSslBrokerConfig(options.saslSsl) } : {};
  const overrides: Record<string, string> = { ...COMMON_CONFIG, listeners, ...security, 'admin.listener': `http://${host}:0`, 'log.dirs': options.dataDir, ...options.config };
  const argv = [
    ...(options.nodeFlags ?? []),
    path.join('dist', 'bundle', 'tidelog.mjs'),
    'broker',
    '--config',
    path.join('config', 'server.properties'),
    ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`]),
  ];
  return launch('tidelog', process.execPath, argv, { host, port, ...(saslSslPort !== undefined ? { saslSslPort } : {}), dataDir: options.dataDir, logFile: options.logFile, command: printable(['node', ...argv]), ...(options.ready ? { ready: options.ready } : {}) });
}

export interface KafkaOptions {
  readonly libs: KafkaLibs;
  /** Holds server.properties, log4j2.properties and the data directory `data/`. */
  readonly dir: string;
  readonly logFile: string;
  readonly port?: number;
  /** Broker config overrides on top of the harness's (for by-hand experiments). */
  readonly config?: Readonly<Record<string, string>>;
  /** Extra arguments to `kafka-storage format`, e.g. ['--feature', 'transaction.version=1']. */
  readonly formatArgs?: readonly string[];
  /** Also a SASL_SSL listener with these settings. */
  readonly saslSsl?: SaslSsl;
}

/** Kafka's listener settings for a SASL_SSL listener on `saslSslPort` beside PLAINTEXT (which stays the inter-broker listener) and CONTROLLER. */
function kafkaSaslSslConfig(s: SaslSsl, host: string, port: number, saslSslPort: number, controllerPort: number): Record<string, string> {
  return {
    listeners: `PLAINTEXT://${host}:${port},SASL_SSL://${host}:${saslSslPort},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port},SASL_SSL://${host}:${saslSslPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    ...saslSslBrokerConfig(s),
  };
}

/** server.properties for one KRaft node that is both broker and controller. */
export function kafkaServerProperties(dataDir: string, host: string, port: number, controllerPort: number, overrides: Readonly<Record<string, string>> = {}): string {
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.bootstrap.servers': `${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    ...COMMON_CONFIG,
    ...overrides,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** INFO to stdout, as Kafka's config/log4j2.yaml does for the server (the harness keeps it in a file). */
export const KAFKA_LOG4J2 = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
`;

/** A Kafka cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export async function startKafka(options: KafkaOptions): Promise<RunningBroker> {
  const host = '127.0.0.1';
  const port = options.port ?? (await freePort());
  const controllerPort = await freePort();
  const saslSslPort = options.saslSsl ? await freePort() : undefined;
  const dataDir = path.join(options.dir, 'data');
  mkdirSync(options.dir, { recursive: true });
  const serverProperties = path.join(options.dir, 'server.properties');
  const log4j = path.join(options.dir, 'log4j2.properties');
  const security = options.saslSsl && saslSslPort !== undefined ? kafkaSaslSslConfig(options.saslSsl, host, port, saslSslPort, controllerPort) : {};
  writeFileSync(serverProperties, kafkaServerProperties(dataDir, host, port, controllerPort, { ...security, ...options.config }));
  writeFileSync(log4j, KAFKA_LOG4J2);

  const formatted = await runKafkaClass(options.libs, KAFKA_MAIN.storageTool, ['format', `--cluster-id=${clusterId()}`, '--config', serverProperties, '--standalone', ...(options.formatArgs ?? [])], { heap: '256M', timeoutMs: 120_000 });
  if (formatted.code !== 0) throw new Error(`kafka-storage format failed (${formatted.code}):\n${formatted.stdout}\n${formatted.stderr}`);

  const argv = [...KAFKA_HEAP, ...KAFKA_JVM_PERFORMANCE_OPTS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', classPath(options.libs), KAFKA_MAIN.broker, serverProperties];
  return launch('kafka', javaBin(), argv, { host, port, ...(saslSslPort !== undefined ? { saslSslPort } : {}), dataDir, logFile: options.logFile, command: printable(['java', ...argv], options.libs), formatMs: formatted.wallMs });
}
