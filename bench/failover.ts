// Failover benchmark (issue #20): three Tidelog brokers over ZooKeeper (Debian's 3.8, as the
// tests start it) against Apache Kafka 4.4 as three KRaft brokers with one dedicated KRaft
// controller, on this machine, under the same client: bench/java/FailoverProducer.java (the
// Java producer, idempotent, acks=all, a fixed rate over 3 partitions of a topic with
// replication factor 3 and min.insync.replicas=2), every acknowledged record checked
// afterwards with kcat.
//
// Scenarios, per system:
// - rolling: each broker in turn gets SIGTERM (controlled shutdown), is started again on its
//   port and data directory, and the next one stops once every partition's ISR is full again.
//   Figures: failed sends (aim: 0), acknowledged records lost (must be 0), duplicates, the
//   longest gap between two acknowledgements of a partition.
// - sigkill (--rounds N, a new topic each): the leader of partition 0 is killed with SIGKILL;
//   figures: time from the kill to the Java producer's first acknowledgement on each partition
//   the victim led, and to the first acknowledgement of a tight probe (Produce v9 acks=-1,
//   Metadata polled every few ms: the cluster's time without the client's backoffs); then the
//   broker is started again and the ISR waited for. Failed sends and losses as above.
// Tidelog variants (--variants): `default` (broker.fencing.enable=true, Kafka's 18 s session
// timeout), `no-fencing` (the session timeout alone, 18 s) and `no-fencing-6s`
// (zookeeper.session.timeout.ms=6000): the shorter-timeout trade-off measured.
//
//   node dist/bench/failover.js [--rounds 3] [--only tidelog|kafka] [--rate 300]
//        [--variants default,no-fencing,no-fencing-6s] [--scenarios rolling,sigkill]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ErrorCode } from '../src/protocol/errors.js';
import { ApiKey } from '../src/protocol/generated/index.js';
import { metadataFrom, requestOnce } from '../test/cluster/three-brokers.js';
import { startZooKeeper, type ZooKeeperServer } from '../test/cluster/zookeeper.js';
import { freePort } from './brokers.js';
import { compileFailoverProducer, FailoverProducerRun, probeFirstAck, readTopic, verifyAcknowledged, type Ack, type CompiledProducer } from './failover-producer.js';
import { classPath, ensureKafkaLibs, javaBin, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_MAIN, repoRoot, runKafkaClass, type KafkaLibs } from './kafka-dist.js';

const IDS = [1, 2, 3] as const;
const PARTITIONS = 3;
const START_TIMEOUT_MS = 120_000;
const ISR_TIMEOUT_MS = 120_000;
const NEW_LEADER_TIMEOUT_MS = 60_000;
const PHASE_MS = 3_000;
/** Kafka's brokers in this bench: a smaller heap than kafka-server-start.sh's 1 GiB (four JVMs on a shared machine; failover, not throughput). */
const KAFKA_BROKER_HEAP = ['-Xmx512M', '-Xms512M'];
const KAFKA_CONTROLLER_HEAP = ['-Xmx256M', '-Xms256M'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node {
  readonly id: number;
  readonly port: number;
  child: ChildProcess | null;
  exited: Promise<number | null> | null;
}

/** Three brokers of one system, each started, stopped (SIGTERM), killed (SIGKILL) and started again on its port and data. */
interface Cluster {
  readonly name: string;
  readonly nodes: Map<number, Node>;
  start(id: number): Promise<void>;
  close(): Promise<void>;
}

function alive(n: Node): boolean {
  return n.child !== null && n.child.exitCode === null && n.child.signalCode === null;
}

function livePorts(c: Cluster): number[] {
  return [...c.nodes.values()].filter(alive).map((n) => n.port);
}

function bootstrap(c: Cluster): string {
  return [...c.nodes.values()].map((n) => `127.0.0.1:${n.port}`).join(',');
}

// Every broker still running when this process exits is killed (a run interrupted half-way).
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Spawns, logs to a file, resolves once a line matching `ready` appeared. */
function spawnNode(bin: string, argv: string[], logFile: string, ready: RegExp): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
  const log = createWriteStream(logFile, { flags: 'a' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${logFile}: not ready in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    let done = false;
    const onLine = (l: string) => {
      log.write(`${l}\n`);
      if (!done && ready.test(l)) {
        done = true;
        clearTimeout(timer);
        resolve({ child, exited });
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      if (!done) reject(new Error(`exited (${code}) before it was ready; see ${logFile}`));
    });
  });
}

async function tidelogCluster(dir: string, zk: ZooKeeperServer, chroot: string, config: Record<string, string>): Promise<Cluster> {
  const nodes = new Map<number, Node>();
  for (const id of IDS) nodes.set(id, { id, port: await freePort(), child: null, exited: null });
  const c: Cluster = {
    name: 'tidelog',
    nodes,
    async start(id) {
      const n = nodes.get(id)!;
      const overrides: Record<string, string> = {
        'broker.id': String(id),
        listeners: `PLAINTEXT://127.0.0.1:${n.port}`,
        'log.dirs': path.join(dir, `broker-${id}`),
        'zookeeper.connect': `${zk.connect}${chroot}`,
        'admin.listener': '',
        'offsets.topic.replication.factor': '3',
        ...config,
      };
      const argv = [path.join('dist', 'bundle', 'tidelog.mjs'), 'broker', '--config', path.join('config', 'server.properties'), ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
      const r = await spawnNode(process.execPath, argv, path.join(dir, `broker-${id}.log`), /"msg":"broker started"/);
      n.child = r.child;
      n.exited = r.exited;
    },
    async close() {
      for (const n of nodes.values()) if (alive(n)) n.child!.kill('SIGKILL');
      await Promise.all([...nodes.values()].map((n) => n.exited));
    },
  };
  await Promise.all(IDS.map((id) => c.start(id)));
  return c;
}

function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const KAFKA_LOG4J2 = 'status = warn\nappender.stdout.type = Console\nappender.stdout.name = STDOUT\nappender.stdout.layout.type = PatternLayout\nappender.stdout.layout.pattern = [%d] %p %m (%c)%n\nrootLogger.level = INFO\nrootLogger.appenderRef.stdout.ref = STDOUT\n';

async function kafkaCluster(dir: string, libs: KafkaLibs): Promise<{ cluster: Cluster; controller: { child: ChildProcess; exited: Promise<number | null> } }> {
  const controllerPort = await freePort();
  const clusterId = kafkaClusterId();
  const log4j = path.join(dir, 'log4j2.properties');
  writeFileSync(log4j, KAFKA_LOG4J2);
  const props = (o: Record<string, string>) => `${Object.entries(o).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
  const controllerProps = path.join(dir, 'controller.properties');
  writeFileSync(
    controllerProps,
    props({
      'process.roles': 'controller',
      'node.id': '100',
      'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
      listeners: `CONTROLLER://127.0.0.1:${controllerPort}`,
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT',
      'log.dirs': path.join(dir, 'controller'),
    }),
  );
  const fmt = await runKafkaClass(libs, KAFKA_MAIN.storageTool, ['format', `--cluster-id=${clusterId}`, '--config', controllerProps, '--standalone'], { heap: '256M', timeoutMs: 120_000 });
  if (fmt.code !== 0) throw new Error(`format controller: ${fmt.stdout}\n${fmt.stderr}`);
  const jvm = (heap: string[], file: string) => [...heap, ...KAFKA_JVM_PERFORMANCE_OPTS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', classPath(libs), KAFKA_MAIN.broker, file];
  const controller = await spawnNode(javaBin(), jvm(KAFKA_CONTROLLER_HEAP, controllerProps), path.join(dir, 'controller.log'), /Kafka Server started/);

  const nodes = new Map<number, Node>();
  for (const id of IDS) {
    const port = await freePort();
    nodes.set(id, { id, port, child: null, exited: null });
    const file = path.join(dir, `broker-${id}.properties`);
    writeFileSync(
      file,
      props({
        'process.roles': 'broker',
        'node.id': String(id),
        'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
        listeners: `PLAINTEXT://127.0.0.1:${port}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'log.dirs': path.join(dir, `broker-${id}`),
        'group.initial.rebalance.delay.ms': '0',
      }),
    );
    const f = await runKafkaClass(libs, KAFKA_MAIN.storageTool, ['format', `--cluster-id=${clusterId}`, '--config', file, '--no-initial-controllers'], { heap: '256M', timeoutMs: 120_000 });
    if (f.code !== 0) throw new Error(`format broker ${id}: ${f.stdout}\n${f.stderr}`);
  }
  const c: Cluster = {
    name: 'kafka',
    nodes,
    async start(id) {
      const n = nodes.get(id)!;
      const r = await spawnNode(javaBin(), jvm(KAFKA_BROKER_HEAP, path.join(dir, `broker-${id}.properties`)), path.join(dir, `broker-${id}.log`), /Kafka Server started/);
      n.child = r.child;
      n.exited = r.exited;
    },
    async close() {
      for (const n of nodes.values()) if (alive(n)) n.child!.kill('SIGKILL');
      await Promise.all([...nodes.values()].map((n) => n.exited));
      controller.child.kill('SIGKILL');
      await controller.exited;
    },
  };
  await Promise.all(IDS.map((id) => c.start(id)));
  return { cluster: c, controller };
}

async function metadata(c: Cluster, topic: string | null) {
  for (const port of livePorts(c)) {
    const v = await metadataFrom(port, topic).catch(() => null);
    if (v) return v;
  }
  return null;
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function waitFullIsr(c: Cluster, topic: string): Promise<void> {
  await waitUntil(`${c.name}: ISR of 3 on every partition of ${topic}`, ISR_TIMEOUT_MS, async () => {
    const v = await metadata(c, topic);
    return v !== null && v.partitions.length === PARTITIONS && v.partitions.every((p) => p.errorCode === ErrorCode.NONE && p.leader >= 0 && p.isr.length === 3 && livePorts(c).length === 3);
  });
}

async function createTopic(c: Cluster, topic: string): Promise<void> {
  await waitUntil(`${c.name}: three brokers registered`, START_TIMEOUT_MS, async () => (await metadata(c, null))?.brokers.size === 3);
  const r = await requestOnce(livePorts(c)[0]!, ApiKey.CreateTopics, 5, { topics: [{ name: topic, numPartitions: PARTITIONS, replicationFactor: 3, assignments: [], configs: [{ name: 'min.insync.replicas', value: '2' }] }], timeoutMs: 30_000, validateOnly: false }, `CreateTopics ${topic}`);
  const t = r.topics[0]!;
  if (t.errorCode !== ErrorCode.NONE) throw new Error(`CreateTopics ${topic}: ${t.errorCode} ${t.errorMessage ?? ''}`);
  await waitFullIsr(c, topic);
}

function longestGapMs(acks: readonly Ack[], partition: number): number {
  const times = acks.filter((a) => a.partition === partition).map((a) => a.atMs).sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}

interface Result {
  readonly system: string;
  readonly scenario: string;
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly longestGapMs: number;
  /** sigkill: kill -> first Java ack on the victim's partitions (the slowest of them). */
  readonly killToJavaAckMs?: number;
  readonly killToProbeAckMs?: number;
  readonly notes: string;
}

async function finish(c: Cluster, system: string, scenario: string, topic: string, producer: FailoverProducerRun, notes: string, extra: Partial<Result> = {}): Promise<Result> {
  const s = await producer.stop(180_000);
  const consumed = await readTopic(bootstrap(c), topic);
  const v = verifyAcknowledged(producer.acks, consumed);
  const r: Result = {
    system,
    scenario,
    sent: s.sent,
    acked: s.acked,
    failed: s.failed,
    lost: v.lost.length,
    duplicates: v.duplicates.length,
    longestGapMs: Math.max(...Array.from({ length: PARTITIONS }, (_, p) => longestGapMs(producer.acks, p))),
    notes: `${notes}${producer.failures.length > 0 ? `; first failure: ${producer.failures[0]!.error}` : ''}`,
    ...extra,
  };
  console.log(JSON.stringify(r));
  return r;
}

async function rolling(c: Cluster, system: string, program: CompiledProducer, rate: number): Promise<Result> {
  const topic = `rolling-${Date.now()}`;
  await createTopic(c, topic);
  const producer = FailoverProducerRun.start(program, bootstrap(c), topic, PARTITIONS, rate);
  const notes: string[] = [];
  try {
    await producer.waitForAcks(0, [0, 1, 2], 60_000, 'first acks');
    await sleep(PHASE_MS);
    for (const id of IDS) {
      const n = c.nodes.get(id)!;
      const t0 = Date.now();
      n.child!.kill('SIGTERM');
      await n.exited;
      const stopMs = Date.now() - t0;
      await c.start(id);
      await waitFullIsr(c, topic);
      notes.push(`broker ${id}: SIGTERM->exit ${stopMs} ms, ->ISR full ${Date.now() - t0} ms`);
      await sleep(PHASE_MS);
    }
  } catch (err) {
    notes.push(`error: ${(err as Error).message}`);
  }
  return finish(c, system, 'rolling', topic, producer, notes.join('; '));
}

async function sigkill(c: Cluster, system: string, program: CompiledProducer, rate: number, round: number): Promise<Result> {
  const topic = `sigkill-${round}-${Date.now()}`;
  await createTopic(c, topic);
  const v = (await metadata(c, topic))!;
  const victim = v.partitions[0]!.leader;
  const moved = v.partitions.filter((p) => p.leader === victim).map((p) => p.partition);
  const producer = FailoverProducerRun.start(program, bootstrap(c), topic, PARTITIONS, rate);
  let extra: Partial<Result> = {};
  // Kafka's Metadata names a random live broker as controller (KRaft's quorum is not in it): only Tidelog's is the controller.
  const notes: string[] = [`victim ${victim}${c.name === 'tidelog' && v.controllerId === victim ? ' (the controller)' : ''}, led [${moved.join(',')}]`];
  try {
    await producer.waitForAcks(0, [0, 1, 2], 60_000, 'first acks');
    await sleep(PHASE_MS);
    const n = c.nodes.get(victim)!;
    const killedAtMs = Date.now();
    n.child!.kill('SIGKILL');
    const probes = Promise.all(moved.map((p) => probeFirstAck(() => livePorts(c), topic, p, NEW_LEADER_TIMEOUT_MS, victim)));
    await producer.waitForAcks(killedAtMs, moved, NEW_LEADER_TIMEOUT_MS, 'acks after the kill');
    const javaMs = Math.max(...moved.map((p) => producer.firstAckSince(killedAtMs, p)!.atMs - killedAtMs));
    const probeMs = Math.max(...(await probes).map((x) => x.atMs - killedAtMs));
    extra = { killToJavaAckMs: javaMs, killToProbeAckMs: probeMs };
    await n.exited;
    await sleep(PHASE_MS);
    const t0 = Date.now();
    await startAgain(c, victim);
    await waitFullIsr(c, topic);
    notes.push(`restart->ISR full ${Date.now() - t0} ms`);
    await sleep(PHASE_MS);
  } catch (err) {
    notes.push(`error: ${(err as Error).message}`);
  }
  return finish(c, system, 'sigkill', topic, producer, notes.join('; '), extra);
}

/** A killed Tidelog broker whose old session still holds its registration fails with "node already exists": try again. */
async function startAgain(c: Cluster, id: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await c.start(id);
      return;
    } catch (err) {
      if (attempt >= 60) throw err;
      await sleep(500);
    }
  }
}

const VARIANTS: Record<string, Record<string, string>> = {
  default: {},
  'no-fencing': { 'broker.fencing.enable': 'false' },
  'no-fencing-6s': { 'broker.fencing.enable': 'false', 'zookeeper.session.timeout.ms': '6000' },
};

function parseArgs(argv: readonly string[]) {
  const o = { rounds: 3, only: null as string | null, rate: 300, variants: ['default'], scenarios: ['rolling', 'sigkill'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i] ?? null;
    else if (a === '--rate') o.rate = Number(argv[++i]);
    else if (a === '--variants') o.variants = (argv[++i] ?? '').split(',');
    else if (a === '--scenarios') o.scenarios = (argv[++i] ?? '').split(',');
    else throw new Error(`unknown argument ${a}`);
  }
  for (const v of o.variants) if (!VARIANTS[v]) throw new Error(`unknown variant ${v}`);
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const libs = await ensureKafkaLibs();
  const program = await compileFailoverProducer(libs);
  const results: Result[] = [];
  console.log(JSON.stringify({ machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), loadavg: os.loadavg(), node: process.version, kafka: libs.version }, options: o }));
  try {
    if (o.only !== 'kafka') {
      for (const variant of o.variants) {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-bench-failover-'));
        const zk = await startZooKeeper();
        let c: Cluster | null = null;
        try {
          c = await tidelogCluster(dir, zk, '/bench-failover', VARIANTS[variant]!);
          const system = `tidelog (${variant})`;
          if (o.scenarios.includes('rolling') && variant === 'default') results.push(await rolling(c, system, program, o.rate));
          if (o.scenarios.includes('sigkill')) for (let r = 0; r < o.rounds; r++) results.push(await sigkill(c, system, program, o.rate, r));
        } finally {
          await c?.close();
          await zk.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    if (o.only !== 'tidelog') {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-bench-failover-'));
      mkdirSync(dir, { recursive: true });
      let k: Awaited<ReturnType<typeof kafkaCluster>> | null = null;
      try {
        k = await kafkaCluster(dir, libs);
        if (o.scenarios.includes('rolling')) results.push(await rolling(k.cluster, `kafka ${libs.version}`, program, o.rate));
        if (o.scenarios.includes('sigkill')) for (let r = 0; r < o.rounds; r++) results.push(await sigkill(k.cluster, `kafka ${libs.version}`, program, o.rate, r));
      } finally {
        await k?.cluster.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    program.close();
  }
  console.log('\n| system | scenario | sent | acked | failed sends | acked lost | duplicates | longest ack gap (ms) | kill -> Java ack (ms) | kill -> probe ack (ms) | notes |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) console.log(`| ${r.system} | ${r.scenario} | ${r.sent} | ${r.acked} | ${r.failed} | ${r.lost} | ${r.duplicates} | ${r.longestGapMs} | ${r.killToJavaAckMs ?? ''} | ${r.killToProbeAckMs ?? ''} | ${r.notes} |`);
  console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
