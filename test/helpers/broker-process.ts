// Starts a real broker as a child process (`node dist/bundle/tidelog.mjs broker`, the bundled
// command that `npm start` and the package's bin run) on an
// ephemeral port with its own data directory, and reads the bound port from its log.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'bundle', 'tidelog.mjs');

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly bootstrap: string;
  /** http://127.0.0.1:<port> of the admin API, or null when admin.listener is ''. */
  readonly adminUrl: string | null;
  readonly dataDir: string;
  readonly logLines: string[];
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  overrides?: Record<string, string | number | boolean>;
  port?: number;
}

export function tempDir(prefix = 'tidelog-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startBrokerProcess(options: StartOptions = {}): Promise<BrokerProcess> {
  const dataDir = options.dataDir ?? tempDir();
  const overrides: Record<string, string | number | boolean> = {
    listeners: `PLAINTEXT://127.0.0.1:${options.port ?? 0}`,
    'log.dirs': dataDir,
    'offsets.topic.replication.factor': 1,
    // One broker: the transaction coordinator's topic must fit on it too (as src/embedded.ts).
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    // And the share coordinator's (KIP-932 share groups).
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // An ephemeral admin port, so that brokers of different tests never collide on 9644.
    'admin.listener': 'http://127.0.0.1:0',
    ...options.overrides,
  };
  const args = [cliPath, 'broker', ...Object.entries(overrides).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TIDELOG_LOG_LEVEL: process.env.TIDELOG_LOG_LEVEL ?? 'info' } });
  const logLines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const adminEnabled = overrides['admin.listener'] !== '';
  let adminPort: number | null = null;
  const port = await new Promise<number>((resolve, reject) => {
    let kafkaPort: number | null = null;
    const timer = setTimeout(() => reject(new Error(`broker did not start in 30 s:\n${logLines.join('\n')}`)), 30_000);
    // The admin API starts after the Kafka listeners: wait for both.
    const maybeDone = () => {
      if (kafkaPort === null || (adminEnabled && adminPort === null)) return;
      clearTimeout(timer);
      resolve(kafkaPort);
    };
    createInterface({ input: child.stderr! }).on('line', (line) => logLines.push(line));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logLines.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'listening' && typeof entry.port === 'number' && kafkaPort === null) kafkaPort = entry.port;
        if (entry.msg === 'admin listening' && typeof entry.port === 'number') adminPort = entry.port;
        maybeDone();
      } catch {
        // not a JSON log line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before listening:\n${logLines.join('\n')}`));
    });
  });
  return {
    child,
    port,
    bootstrap: `127.0.0.1:${port}`,
    adminUrl: adminPort === null ? null : `http://127.0.0.1:${adminPort}`,
    dataDir,
    logLines,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
