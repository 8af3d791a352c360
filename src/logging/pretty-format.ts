// Owns the log format for people: one pino JSON line in, one line out, as
// "13:20:58.366 INFO  shutting down signal=SIGINT" (the fields after the message as key=value,
// colours on a terminal). An error's stack follows on indented lines. Used when stdout is a
// terminal or TIDELOG_LOG_FORMAT=pretty; JSON stays the format for machines.

const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '\x1b[90m' },
  20: { name: 'DEBUG', colour: '\x1b[36m' },
  30: { name: 'INFO ', colour: '\x1b[32m' },
  40: { name: 'WARN ', colour: '\x1b[33m' },
  50: { name: 'ERROR', colour: '\x1b[31m' },
  60: { name: 'FATAL', colour: '\x1b[41m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Fields every line has, shown in the prefix or not at all. */
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'err']);

interface SerializedError {
  type?: string;
  message?: string;
  stack?: string;
}

function two(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${two(d.getMilliseconds(), 3)}`;
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** A formatter for one JSON log line; `colour` adds ANSI colours. Lines that are not JSON pass through. */
export function prettyFormatter(colour: boolean): (line: string) => string {
  return (line: string): string => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return line;
    }
    const level = LEVELS[entry['level'] as number] ?? { name: String(entry['level']).padEnd(5), colour: '' };
    const time = typeof entry['time'] === 'number' ? clock(entry['time']) : '';
    const fields = Object.entries(entry)
      .filter(([k]) => !OMITTED.has(k))
      .map(([k, v]) => `${k}=${fieldValue(v)}`)
      .join(' ');
    const err = entry['err'] as SerializedError | undefined;
    const levelText = colour ? `${level.colour}${level.name}${RESET}` : level.name;
    const timeText = colour ? `${DIM}${time}${RESET}` : time;
    let out = `${timeText} ${levelText} ${String(entry['msg'] ?? '')}${fields ? ` ${fields}` : ''}`;
    if (err) {
      const stack = err.stack ?? `${err.type ?? 'Error'}: ${err.message ?? ''}`;
      out += `\n    ${stack.split('\n').join('\n    ')}`;
    }
    return `${out}\n`;
  };
}
