// Three-broker clusters for the replicated scenarios (issue #20, `npm run bench -- --replicated`),
// after LinkedIn's "Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three Cheap
// Machines)": three brokers on this machine, each with its own data directory and ports.
//
// - Tidelog: a ZooKeeper (Debian's package, test/cluster/zookeeper.ts) and three brokers
//   (`node dist/bundle/tidelog.mjs broker` as bench/brokers.ts starts one, with broker.id and
//   zookeeper.connect).
// - Apache Kafka 4.4: KRaft (Kafka 4 has no ZooKeeper mode): one controller process (a
//   quorum of one voter, formatted --standalone) and three broker processes
//   (process.roles=broker, formatted --no-initial-controllers), each JVM started as
//   kafka-server-start.sh does (-Xmx1G -Xms1G).
//
// Both clusters get REPLICATED_CONFIG on top of the single-node COMMON_CONFIG. What the
// harness gets back is one RunningBroker for the whole cluster: `pids` are the three brokers
// (their CPU is summed), `auxPids` ZooKeeper or the controller (counted apart), `endpoints`
// every broker's listener, `bootstrap` all three.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startZooKeeper, type ZooKeeperServer } from '../test/cluster/zookeeper.js';
import { awaitBrokers } from './admin.js';
import { ANSWERS_REQUESTS, clusterId, COMMON_CONFIG, freePort, KAFKA_HEAP, KAFKA_LOG4J2, launch, printable, startTidelog, type RunningBroker } from './brokers.js';
import { classPath, javaBin, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_MAIN, runKafkaClass, type KafkaLibs } from './kafka-dist.js';

export const BROKERS = 3;
export const REPLICATION_FACTOR = 3;
export const MIN_INSYNC_REPLICAS = 2;

/** Settings both clusters get beyond COMMON_CONFIG: the internal topics replicated as well. */
export const REPLICATED_CONFIG: Readonly<Record<string, string>> = {
  'default.replication.factor': String(REPLICATION_FACTOR),
  'min.insync.replicas': String(MIN_INSYNC_REPLICAS),
  'offsets.topic.replication.factor': String(REPLICATION_FACTOR),
  'transaction.state.log.replication.factor': String(REPLICATION_FACTOR),
  'transaction.state.log.min.isr': String(MIN_INSYNC_REPLICAS),
};

const host = '127.0.0.1';

/**
 * One RunningBroker standing for the cluster: stop() stops the brokers, then ZooKeeper or the
 * controller; its dataDir is `dir`, which holds every broker's data directory.
 */
function asCluster(dir: string, members: readonly RunningBroker[], aux: { pid: () => number | undefined; stop: () => Promise<void> }, startedMs: number, command: string, formatMs?: number): RunningBroker {
  const first = members[0]!;
  return {
    kind: first.kind,
    pid: first.pid,
    host: first.host,
    port: first.port,
    bootstrap: members.map((m) => m.bootstrap).join(','),
    dataDir: dir,
    startupMs: performance.now() - startedMs,
    ...(formatMs !== undefined ? { formatMs } : {}),
    command,
    logFile: first.logFile,
    pids: members.map((m) => m.pid),
    get auxPids() {
      const pid = aux.pid();
      return pid === undefined ? [] : [pid];
    },
    endpoints: members.map((m) => ({ host: m.host, port: m.port })),
    alive: () => members.every((m) => m.alive()),
    async stop() {
      const t0 = performance.now();
      const results = await Promise.all(members.map((m) => m.stop()));
      await aux.stop();
      const bad = results.find((r) => r.code !== 0 && r.code !== 143);
      return { code: bad?.code ?? results[0]!.code, signal: bad?.signal ?? results[0]!.signal, stopMs: performance.now() - t0 };
    },
  };
}

export interface ClusterOptions {
  /** The cluster's directory: one data directory per broker under it. */
  readonly dir: string;
  /** Log file prefix: <prefix>-broker-<i>.log, <prefix>-zookeeper.log / -controller.log. */
  readonly logPrefix: string;
  readonly nodeFlags?: readonly string[];
}

/** ZooKeeper and three Tidelog brokers (broker.id 1-3), started one after another. */
export async function startTidelogCluster(o: ClusterOptions): Promise<RunningBroker> {
  const t0 = performance.now();
  mkdirSync(o.dir, { recursive: true });
  const zkDir = path.join(o.dir, 'zookeeper');
  mkdirSync(zkDir, { recursive: true });
  const zk: ZooKeeperServer = await startZooKeeper({ dataDir: zkDir });
  const members: RunningBroker[] = [];
  try {
    for (let id = 1; id <= BROKERS; id++) {
      members.push(
        await startTidelog({
          dataDir: path.join(o.dir, `broker-${id}`),
          logFile: `${o.logPrefix}-broker-${id}.log`,
          nodeFlags: o.nodeFlags ?? [],
          config: { ...REPLICATED_CONFIG, 'broker.id': String(id), 'zookeeper.connect': `${zk.connect}/tidelog-bench` },
          ready: ANSWERS_REQUESTS,
        }),
      );
    }
    await awaitBrokers({ host, port: members[0]!.port }, BROKERS);
  } catch (err) {
    await Promise.all(members.map((m) => m.stop()));
    await zk.close();
    throw err;
  }
  writeFileSync(`${o.logPrefix}-zookeeper.log`, zk.output.join(''));
  return asCluster(o.dir, members, { pid: () => zk.pid, stop: () => zk.stop() }, t0, `ZooKeeper ${zk.connect}; 3 × ${members[0]!.command}`);
}

function properties(props: Readonly<Record<string, string>>): string {
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

async function formatKafka(libs: KafkaLibs, id: string, config: string, mode: '--standalone' | '--no-initial-controllers'): Promise<void> {
  const r = await runKafkaClass(libs, KAFKA_MAIN.storageTool, ['format', `--cluster-id=${id}`, '--config', config, mode], { heap: '256M', timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`kafka-storage format ${config} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
}

/** One KRaft controller (node.id 100, a quorum of one) and three brokers (node.id 1-3). */
export async function startKafkaCluster(o: ClusterOptions & { libs: KafkaLibs }): Promise<RunningBroker> {
  const t0 = performance.now();
  mkdirSync(o.dir, { recursive: true });
  const id = clusterId();
  const controllerPort = await freePort();
  const quorum = { 'controller.quorum.bootstrap.servers': `${host}:${controllerPort}`, 'controller.listener.names': 'CONTROLLER' };
  const log4j = path.join(o.dir, 'log4j2.properties');
  writeFileSync(log4j, KAFKA_LOG4J2);
  const jvm = (config: string): string[] => [...KAFKA_HEAP, ...KAFKA_JVM_PERFORMANCE_OPTS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', classPath(o.libs), KAFKA_MAIN.broker, config];

  const controllerDir = path.join(o.dir, 'controller');
  mkdirSync(controllerDir, { recursive: true });
  const controllerConfig = path.join(controllerDir, 'server.properties');
  writeFileSync(
    controllerConfig,
    properties({ 'process.roles': 'controller', 'node.id': '100', ...quorum, listeners: `CONTROLLER://${host}:${controllerPort}`, 'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT', 'log.dirs': path.join(controllerDir, 'data') }),
  );
  const brokers = await Promise.all(
    Array.from({ length: BROKERS }, async (_, i) => {
      const dir = path.join(o.dir, `broker-${i + 1}`);
      mkdirSync(dir, { recursive: true });
      const port = await freePort();
      const config = path.join(dir, 'server.properties');
      writeFileSync(
        config,
        properties({
          'process.roles': 'broker',
          'node.id': String(i + 1),
          ...quorum,
          listeners: `PLAINTEXT://${host}:${port}`,
          'advertised.listeners': `PLAINTEXT://${host}:${port}`,
          'inter.broker.listener.name': 'PLAINTEXT',
          'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          'log.dirs': path.join(dir, 'data'),
          ...COMMON_CONFIG,
          ...REPLICATED_CONFIG,
        }),
      );
      return { dir, port, config };
    }),
  );
  const f0 = performance.now();
  await formatKafka(o.libs, id, controllerConfig, '--standalone');
  for (const b of brokers) await formatKafka(o.libs, id, b.config, '--no-initial-controllers');
  const formatMs = performance.now() - f0;

  // The controller answers no Kafka client request: it is up once a broker registers with it.
  const controllerLog = createWriteStream(`${o.logPrefix}-controller.log`);
  const controller = spawn(javaBin(), jvm(controllerConfig), { stdio: ['ignore', 'pipe', 'pipe'] });
  controller.stdout.pipe(controllerLog, { end: false });
  controller.stderr.pipe(controllerLog, { end: false });
  let controllerExit: Promise<void> = new Promise((resolve) => controller.once('exit', () => resolve()));
  process.once('exit', () => controller.kill('SIGKILL'));
  const stopController = async (): Promise<void> => {
    if (controller.exitCode === null && controller.signalCode === null) {
      controller.kill('SIGTERM');
      const timer = setTimeout(() => controller.kill('SIGKILL'), 60_000);
      await controllerExit;
      clearTimeout(timer);
    }
    controllerLog.end();
    controllerExit = Promise.resolve();
  };
  const members: RunningBroker[] = [];
  try {
    for (const [i, b] of brokers.entries()) {
      const argv = jvm(b.config);
      members.push(
        await launch('kafka', javaBin(), argv, {
          host,
          port: b.port,
          dataDir: path.join(b.dir, 'data'),
          logFile: `${o.logPrefix}-broker-${i + 1}.log`,
          command: printable(['java', ...argv], o.libs),
          formatMs,
          ready: ANSWERS_REQUESTS,
        }),
      );
    }
    await awaitBrokers({ host, port: members[0]!.port }, BROKERS);
  } catch (err) {
    await Promise.all(members.map((m) => m.stop()));
    await stopController();
    throw err;
  }
  return asCluster(o.dir, members, { pid: () => (controller.exitCode === null ? controller.pid : undefined), stop: stopController }, t0, `controller: ${printable(['java', ...jvm(controllerConfig)], o.libs)}; 3 brokers: ${members[0]!.command}`, formatMs);
}
