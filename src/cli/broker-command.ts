// `tidelog broker`: loads the configuration (file, then --override key=value, as Kafka's
// kafka-server-start.sh --override), starts the broker, and shuts it down cleanly on
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, flush and close the logs.
import { parseArgs } from 'node:util';
import { loadBrokerConfig } from '../config/broker-config.js';
import { createLogger } from '../logger.js';
import { UsageError } from './usage-error.js';

/** The broker could not start: printed as one line, exit status 1. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const HELP = `Usage: tidelog broker --config FILE [--override key=value]...

Starts a Tidelog broker. FILE is a Kafka-style server.properties; every --override sets one
key on top of it (Kafka's names: listeners, log.dirs, num.partitions, ...).`;

export async function runBroker(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        override: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  // Kafka's kafka-server-start.sh takes the properties file as its first argument.
  const file = parsed.values.config ?? parsed.positionals[0];
  let config;
  try {
    config = loadBrokerConfig(file, parsed.values.override ?? []);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') throw new UsageError(`cannot read the configuration file ${file}: ${e.code}`);
    throw err;
  }
  const logger = createLogger();
  for (const key of config.unknownKeys) logger.warn({ key }, 'unknown configuration key ignored');
  // Disk work (appends, flushes, sendfile) runs on libuv's thread pool: give it room so a
  // slow consumer's sendfile cannot starve appends. Must be set before the pool starts.
  process.env.UV_THREADPOOL_SIZE ??= '16';
  const { Broker } = await import('../broker/broker.js');
  let broker: Awaited<ReturnType<typeof Broker.start>>;
  try {
    broker = await Broker.start(config, logger);
  } catch (err) {
    // The log line keeps the stack; the terminal gets one line (ZooKeeper unreachable, a
    // duplicate broker.id, a port in use, an unreadable log dir...).
    logger.error({ err }, 'broker failed to start');
    throw new StartupError(`broker failed to start: ${(err as Error).message}`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    broker.shutdown().then(
      () => {
        logger.info('shut down cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return new Promise<number>(() => {});
}
