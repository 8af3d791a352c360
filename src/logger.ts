// The process logger (pino): level from TIDELOG_LOG_LEVEL (default info); JSON lines on
// stdout for machines, or one readable line per event for people (when stdout is a
// terminal, or TIDELOG_LOG_FORMAT=pretty; TIDELOG_LOG_FORMAT=json forces JSON). Written
// through StdoutSink, which never blocks the broker on a slow or dead reader.
// Quiet at info: start-up, shutdown, topic changes, recovery. Never on the per-record path.
import { pino, type Logger } from 'pino';
import { prettyFormatter } from './logging/pretty-format.js';
import { StdoutSink } from './logging/stdout-sink.js';

export type LogFormat = 'json' | 'pretty';

/** The format TIDELOG_LOG_FORMAT asks for, else pretty on a terminal and JSON elsewhere. */
export function logFormatFromEnvironment(): LogFormat {
  const asked = process.env.TIDELOG_LOG_FORMAT;
  if (asked === 'json' || asked === 'pretty') return asked;
  if (asked !== undefined && asked !== '') {
    throw new Error(`TIDELOG_LOG_FORMAT must be json or pretty, not ${JSON.stringify(asked)}`);
  }
  return process.stdout.isTTY ? 'pretty' : 'json';
}

export interface CreatedLogger {
  readonly logger: Logger;
  /** Waits, at most `timeoutMs`, for queued lines to be written. */
  drain(timeoutMs: number): Promise<void>;
}

/** The process's logger on stdout, with a handle to drain it before exit. */
export function createProcessLogger(options: { level?: string; format?: LogFormat } = {}): CreatedLogger {
  const format = options.format ?? logFormatFromEnvironment();
  const sink = new StdoutSink(1, format === 'pretty' ? prettyFormatter(process.stdout.isTTY === true) : undefined);
  const logger = pino(
    {
      name: 'tidelog',
      level: options.level ?? process.env.TIDELOG_LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
    },
    sink,
  );
  return { logger, drain: (timeoutMs) => sink.drain(timeoutMs) };
}

export function createLogger(options: { level?: string } = {}): Logger {
  return createProcessLogger(options).logger;
}

/** A logger that writes nothing, for embedding and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export type { Logger };
