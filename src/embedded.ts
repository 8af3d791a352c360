// startBroker: a real Tidelog broker inside the calling Node process, on an ephemeral port
// with a temporary data directory (removed on close, or when start-up fails, unless one was
// given), for test suites that want a Kafka-compatible broker without Docker or a JVM.
// Test-friendly defaults: group.initial.rebalance.delay.ms 0 (a group's first join answers
// at once, not after Kafka's 3 s), replication factors of the internal topics 1. Supports
// `await using` (Symbol.asyncDispose).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildBrokerConfig } from './config/broker-config.js';
import { createLogger, silentLogger } from './logger.js';
import { Broker } from './broker/broker.js';

export interface StartBrokerOptions {
  /** Kafka broker configuration keys, e.g. { 'num.partitions': 3 }. */
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  /** Data directory; a temporary one (deleted on close) when omitted. */
  readonly dataDir?: string;
  /** Host to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port; default 0 (ephemeral). */
  readonly port?: number;
  /** pino level ('silent' by default). */
  readonly logLevel?: string;
}

export interface EmbeddedBroker {
  /** host:port, for a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** http://host:port of the admin API, or null when `admin.listener` is ''. */
  readonly adminUrl: string | null;
  readonly broker: Broker;
  /** Stops the broker (in-flight requests finish, logs are flushed and closed). */
  close(): Promise<void>;
  /** `await using broker = await startBroker()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'tidelog-'));
  const raw = new Map<string, string>([
    ['listeners', `PLAINTEXT://${host}:${options.port ?? 0}`],
    ['log.dirs', dataDir],
    ['offsets.topic.replication.factor', '1'],
    ['transaction.state.log.replication.factor', '1'],
    ['transaction.state.log.min.isr', '1'],
    ['share.coordinator.state.topic.replication.factor', '1'],
    ['share.coordinator.state.topic.min.isr', '1'],
    // Kafka waits 3 s for more members before a new group's first rebalance; a test has them.
    ['group.initial.rebalance.delay.ms', '0'],
    // An ephemeral admin port (not 9644), so that brokers of parallel test files never collide.
    ['admin.listener', `http://${host}:0`],
  ]);
  for (const [k, v] of Object.entries(options.config ?? {})) raw.set(k, String(v));
  let broker: Broker;
  try {
    const config = buildBrokerConfig(raw);
    const logger = options.logLevel && options.logLevel !== 'silent' ? createLogger({ level: options.logLevel }) : silentLogger();
    broker = await Broker.start(config, logger);
  } catch (err) {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const port = broker.boundListeners[0]!.boundPort;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await broker.shutdown();
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    bootstrap: `${host}:${port}`,
    host,
    port,
    dataDir,
    adminUrl: broker.adminUrl,
    broker,
    close,
    [Symbol.asyncDispose]: close,
  };
}
