// `tidelog broker`: loads the configuration (file, then --override key=value, as Kafka's
// kafka-server-start.sh --override), starts the broker, and shuts it down cleanly on
// SIGTERM/SIGINT: stop accepting, finish in-flight requests, flush and close the logs. The
// stop is bounded: shutdown.timeout.ms after the first signal the process ends anyway (a
// native watchdog thread, which fires even if the JS thread is blocked), and a second
// signal ends it at once.
import { parseArgs } from 'node:util';
import { loadBrokerConfig, suggestBrokerConfigKey, type BrokerConfig } from '../config/broker-config.js';
import { createProcessLogger, logFormatFromEnvironment, type LogFormat } from '../logger.js';
import { native } from '../native.js';
import { UsageError } from './usage-error.js';

/** The broker could not start: printed as one line, exit status 1. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const HELP = `Usage: tidelog broker --config FILE [--override key=value]...

Starts a Tidelog broker. FILE is a Kafka-style server.properties (config/server.properties
for a single node); every --override sets one key on top of it (Kafka's names: listeners,
log.dirs, num.partitions, ...). Without --config, only overrides and Kafka's defaults apply,
and the broker says on stderr which defaults it took.

Logs are JSON lines on stdout, or one readable line per event when stdout is a terminal;
TIDELOG_LOG_FORMAT=json|pretty chooses, TIDELOG_LOG_LEVEL=debug|info|warn|error filters.`;

/** Time given to queued log lines after shutdown, before the process exits regardless. */
const LOG_DRAIN_MS = 2000;

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
  const overrides = parsed.values.override ?? [];
  if (file === undefined && overrides.length === 0) {
    throw new UsageError('broker: --config FILE is required (for a single node: tidelog broker --config config/server.properties)');
  }
  let config;
  try {
    performance.mark('tidelog:command-loaded');
    config = loadBrokerConfig(file, overrides);
    performance.mark('tidelog:config-loaded');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') throw new UsageError(`cannot read the configuration file ${file}: ${e.code}`);
    throw err;
  }
  if (file === undefined) {
    const taken = defaultsTakenSilently(config);
    if (taken.length > 0) process.stderr.write(`tidelog: no --config given: using Kafka's defaults ${taken.join(', ')} (an empty host is every interface)\n`);
  }
  let format: LogFormat;
  try {
    format = logFormatFromEnvironment();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { logger, drain } = createProcessLogger({ format });
  for (const key of config.unknownKeys) {
    const suggestion = suggestBrokerConfigKey(key);
    if (suggestion) logger.warn({ key, suggestion }, `unknown configuration key ignored: ${key} (did you mean ${suggestion}?)`);
    else logger.warn({ key }, `unknown configuration key ignored: ${key}`);
  }
  // Disk work (appends, flushes, sendfile) runs on libuv's thread pool: give it room so a
  // slow consumer's sendfile cannot starve appends. Must be set before the pool starts.
  process.env.UV_THREADPOOL_SIZE ??= '16';
  const { Broker } = await import('../broker/broker.js');
  performance.mark('tidelog:broker-loaded');
  const timeoutMs = config.values['shutdown.timeout.ms'];
  const exit = async (code: number) => {
    await drain(LOG_DRAIN_MS);
    process.exit(code);
  };
  // The handlers are in place before start-up, so a signal that arrives while the broker is
  // still starting stops it once it has started, instead of killing it half-open.
  let broker: Awaited<ReturnType<typeof Broker.start>> | null = null;
  let stopSignal: string | null = null;
  const stop = (signal: string) => {
    if (stopSignal !== null) {
      // A second signal: the operator does not want to wait.
      logger.warn({ signal }, 'second signal: exiting without finishing the shutdown');
      void exit(1);
      return;
    }
    stopSignal = signal;
    native.armExitWatchdog(timeoutMs, 1, `tidelog: shutdown did not finish within shutdown.timeout.ms=${timeoutMs}; exiting`);
    logger.info({ signal }, 'shutting down');
    if (broker) shutDown(broker);
  };
  const shutDown = (started: NonNullable<typeof broker>) => {
    started.shutdown().then(
      () => {
        logger.info('shut down cleanly');
        void exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        void exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    broker = await Broker.start(config, logger);
  } catch (err) {
    // The terminal gets one line naming what to change (a port in use names listeners, a
    // locked or unusable directory log.dirs); the log keeps the stack only for the unexpected.
    const e = err as NodeJS.ErrnoException;
    if (isEnvironmentError(e)) logger.error({ reason: e.message }, 'broker failed to start');
    else logger.error({ err }, 'broker failed to start');
    await drain(LOG_DRAIN_MS);
    throw new StartupError(`broker failed to start: ${e.message}`);
  }
  if (stopSignal !== null) shutDown(broker);
  return new Promise<number>(() => {});
}

/** The defaults that matter (where it listens, where it writes) that no key set: `key=value` each. */
export function defaultsTakenSilently(config: BrokerConfig): string[] {
  const taken: string[] = [];
  if (!config.explicit.has('listeners')) taken.push(`listeners=${config.values['listeners'].join(',')}`);
  if (!config.explicit.has('log.dirs') && !config.explicit.has('log.dir')) taken.push(`log.dirs=${config.logDirs.join(',')}`);
  return taken;
}

/** A start-up failure that is the environment's or the configuration's, not a bug. */
function isEnvironmentError(e: NodeJS.ErrnoException): boolean {
  return e.name === 'LogDirError' || e.name === 'ConfigError' || /^E[A-Z]+$/.test(String(e.code));
}
