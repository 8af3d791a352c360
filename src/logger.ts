// The process logger (pino): structured JSON, level from TIDELOG_LOG_LEVEL (default info).
// Quiet at info: start-up, shutdown, topic changes, recovery. Never on the per-record path.
import { pino, type Logger } from 'pino';

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'tidelog',
    level: options.level ?? process.env.TIDELOG_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
  });
}

/** A logger that writes nothing, for embedding and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export type { Logger };
