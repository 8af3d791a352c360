// A real ZooKeeper server for the cluster tests: Debian's zookeeper package (3.8), started
// standalone (ZooKeeperServerMain) from its jars on a free 127.0.0.1 port with its own data
// directory, stopped, and restarted on the same port and directory (sessions and znodes
// survive a restart, as they do in production). scripts/install-test-deps.sh installs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The server jar of Debian's zookeeper package; its manifest's Class-Path names the rest. */
export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
/** ZooKeeper's tick: session timeouts are checked every tick and must lie in [2, 20] ticks unless set. */
const TICK_TIME_MS = 200;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface ZooKeeperServer {
  readonly port: number;
  /** host:port, as zookeeper.connect takes it (append /chroot for a chroot). */
  readonly connect: string;
  readonly dataDir: string;
  /** The server's stdout and stderr (the JVM's; ZooKeeper itself logs nothing without a binding). */
  readonly output: string[];
  readonly running: boolean;
  /** The server's process id while it runs (the benchmarks count its CPU apart from the brokers'). */
  readonly pid: number | undefined;
  /** SIGTERM and wait for the JVM to exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** Starts again on the same port and data directory (after stop or kill). */
  restart(): Promise<void>;
  /** Stops and removes the data directory. */
  close(): Promise<void>;
}

export interface StartZooKeeperOptions {
  port?: number;
  dataDir?: string;
}

export function zookeeperInstalled(): boolean {
  return existsSync(ZOOKEEPER_JAR);
}

/** A port that was free a moment ago (bind to 0, read it, close). */
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

/** Sends a four-letter-word command; resolves with the answer, or null when nobody answers. */
export function fourLetterWord(port: number, word: string, timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (answer: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.once('connect', () => socket.write(word));
    socket.on('data', (c) => chunks.push(c));
    socket.once('end', () => done(Buffer.concat(chunks).toString('utf8')));
    socket.once('error', () => done(null));
  });
}

const running = new Set<ChildProcess>();
// A test file that dies must not leave JVMs behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startZooKeeper(options: StartZooKeeperOptions = {}): Promise<ZooKeeperServer> {
  if (!zookeeperInstalled()) {
    throw new Error(`ZooKeeper is not installed (${ZOOKEEPER_JAR} is missing): run scripts/install-test-deps.sh, which installs Debian's zookeeper package`);
  }
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'tidelog-zk-'));
  const configFile = path.join(dataDir, 'zoo.cfg');
  writeFileSync(
    configFile,
    [
      `tickTime=${TICK_TIME_MS}`,
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      // Brokers under test use short sessions so that a killed broker's ephemerals go quickly.
      'minSessionTimeout=1000',
      'maxSessionTimeout=60000',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr,stat,mntr,cons',
      // Snapshots are small; do not let them pile up in long runs.
      'autopurge.snapRetainCount=3',
      '',
    ].join('\n'),
  );
  const output: string[] = [];
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    // Small heap, serial GC and C1 only: the server is tiny and the machine is shared.
    const args = ['-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Dzookeeper.jmx.log4j.disable=true', '-cp', ZOOKEEPER_JAR, 'org.apache.zookeeper.server.ZooKeeperServerMain', configFile];
    const proc = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    proc.stdout!.on('data', (c: Buffer) => output.push(c.toString('utf8')));
    proc.stderr!.on('data', (c: Buffer) => output.push(c.toString('utf8')));
    let code: number | null | 'running' = 'running';
    exited = new Promise((resolve) =>
      proc.once('exit', (c) => {
        code = c;
        running.delete(proc);
        if (child === proc) child = null;
        resolve();
      }),
    );
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (code !== 'running') throw new Error(`ZooKeeper exited with ${code} before serving on port ${port}:\n${output.join('')}`);
      // ruok answers imok before the server serves; srvr names the version once it does.
      if ((await fourLetterWord(port, 'srvr', 500))?.startsWith('Zookeeper version')) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill('SIGKILL');
    throw new Error(`ZooKeeper did not answer srvr on port ${port} within ${START_TIMEOUT_MS} ms:\n${output.join('')}`);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    port,
    connect: `127.0.0.1:${port}`,
    dataDir,
    output,
    get running() {
      return child !== null;
    },
    get pid() {
      return (child as ChildProcess | null)?.pid;
    },
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    async restart() {
      await terminate('SIGTERM');
      await launch();
    },
    async close() {
      await terminate('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
