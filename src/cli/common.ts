// What the Kafka-protocol tools share: flag parsing with --help on each command, the
// --bootstrap-server flag (and Kafka's older --broker-list, and --zookeeper, which finds the
// brokers registered in ZooKeeper), key=value lists, a connected KafkaClient, aligned tables, and Kafka error
// codes turned into one-line errors.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KafkaClient } from '../client/kafka-client.js';
import { ClientSecurityError, clientSecurityFromProperties, type ClientSecurity } from '../client/client-security.js';
import { errorName } from '../protocol/errors.js';
import { CliError, UsageError } from './usage-error.js';
import { bootstrapFromZooKeeper } from './zookeeper-bootstrap.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags: strings, booleans and repeated (multiple) flags as arrays. */
export type ParsedFlags<O extends Options> = {
  values: { [K in keyof O]?: O[K] extends { multiple: true } ? (O[K] extends { type: 'boolean' } ? boolean[] : string[]) : O[K] extends { type: 'boolean' } ? boolean : string };
  positionals: string[];
};

export const CONNECTION_OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'broker-list': { type: 'string' },
  zookeeper: { type: 'string' },
  'command-config': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const CONNECTION_HELP = `  --bootstrap-server HOST:PORT[,HOST:PORT]   The broker(s) to connect to (required; --broker-list is accepted too)
  --command-config FILE                      Client properties (client.id, request.timeout.ms, bootstrap.servers,
                                             security.protocol, ssl.*, sasl.*)
  --help                                     This help`;

/** Parses flags; prints help and returns null for --help; a UsageError for anything unknown. */
export function parseFlags<const O extends Options>(args: string[], options: O, help: string, allowPositionals = false): ParsedFlags<O> | null {
  let parsed: ParsedFlags<O>;
  // A negative number after a flag that takes a value is that value (--throughput -1, --shift-by -5).
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.startsWith('--') ? args[i]!.slice(2) : null;
    const next = args[i + 1];
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`--${name}=${next}`);
      i++;
    } else {
      joined.push(args[i]!);
    }
  }
  try {
    parsed = parseArgs({ args: joined, options, allowPositionals, strict: true }) as ParsedFlags<O>;
  } catch (err) {
    // node's messages run over several lines; the first says what is wrong.
    throw new UsageError((err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
  }
  if ((parsed.values as Record<string, unknown>).help) {
    process.stdout.write(`${help}\n`);
    return null;
  }
  return parsed;
}

export type BootstrapFlags = { 'bootstrap-server'?: string | undefined; 'broker-list'?: string | undefined; zookeeper?: string | undefined; 'command-config'?: string | undefined };

/** The bootstrap servers: --bootstrap-server, else --broker-list, else the brokers registered in --zookeeper. */
export async function bootstrapOf(values: BootstrapFlags): Promise<string> {
  const bootstrap = values['bootstrap-server'] ?? values['broker-list'];
  if (bootstrap) return bootstrap;
  if (values.zookeeper !== undefined) return bootstrapFromZooKeeper(values.zookeeper);
  throw new UsageError('--bootstrap-server HOST:PORT is required');
}

/**
 * Connects; --command-config (a Java properties file, as Kafka's tools take) sets client.id and
 * request.timeout.ms and, when given, wins over the command's defaults. Its security settings
 * (security.protocol, ssl.*, sasl.*), with those of `clientProps` (a tool's --producer.config /
 * --consumer.config and -property flags) on top, secure the connections.
 */
export async function connectClient(values: BootstrapFlags, clientId: string, requestTimeoutMs?: number, clientProps: Readonly<Record<string, string>> = {}): Promise<KafkaClient> {
  const props = values['command-config'] !== undefined ? clientProperties(values['command-config'], '--command-config') : {};
  const settings = clientSettings(props, '--command-config');
  return KafkaClient.connect({
    bootstrap: props['bootstrap.servers'] !== undefined && values['bootstrap-server'] === undefined && values['broker-list'] === undefined && values.zookeeper === undefined ? props['bootstrap.servers'] : await bootstrapOf(values),
    clientId: settings.clientId ?? clientId,
    ...((settings.requestTimeoutMs ?? requestTimeoutMs) !== undefined ? { requestTimeoutMs: settings.requestTimeoutMs ?? requestTimeoutMs } : {}),
    security: securityOf({ ...props, ...clientProps }, Object.keys(clientProps).some((k) => k.startsWith('sasl.') || k === 'security.protocol') ? 'client properties' : '--command-config'),
  });
}

/** security.protocol and SASL settings of a client properties file (Kafka's names); a bad one is a UsageError naming the key. */
export function securityOf(props: Readonly<Record<string, string>>, flag: string): ClientSecurity {
  try {
    return clientSecurityFromProperties(new Map(Object.entries(props)));
  } catch (err) {
    if (err instanceof ClientSecurityError) throw new UsageError(`${flag} ${err.message}`);
    throw err;
  }
}

/** A Java properties file (key=value or key: value lines; # and ! comments), as Kafka's tools read --command-config. */
export function clientProperties(file: string, flag: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const props: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) throw new UsageError(`${flag} ${file}: cannot read line '${line}'`);
    props[m[1]!] = m[2]!;
  }
  return props;
}

/**
 * Client properties from a --producer.config / --consumer.config file with the command
 * line's key=value properties on top (Kafka's order: the flags win over the file).
 */
export function mergedProperties(file: string | undefined, flag: string, overrides: Readonly<Record<string, string>>): Record<string, string> {
  return { ...(file !== undefined ? clientProperties(file, flag) : {}), ...overrides };
}

/** The client settings Tidelog's client honours from a properties file: client.id and request.timeout.ms. */
export function clientSettings(props: Readonly<Record<string, string>>, flag: string): { clientId?: string; requestTimeoutMs?: number } {
  const out: { clientId?: string; requestTimeoutMs?: number } = {};
  if (props['client.id'] !== undefined) out.clientId = props['client.id'];
  if (props['request.timeout.ms'] !== undefined) out.requestTimeoutMs = intFlag(props['request.timeout.ms'], `${flag} request.timeout.ms`, { min: 1 })!;
  return out;
}

/** key=value pairs from repeated flags; `splitCommas` also splits each on commas outside [brackets] (kafka-configs' --add-config). */
export function parseKeyValues(items: readonly string[] | undefined, flag: string, splitCommas = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items ?? []) {
    for (const entry of splitCommas ? splitOutsideBrackets(item) : [item]) {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new UsageError(`${flag} expects key=value, got '${entry}'`);
      let value = entry.slice(eq + 1);
      if (splitCommas && value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
      out[entry.slice(0, eq).trim()] = value;
    }
  }
  return out;
}

function splitOutsideBrackets(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '[') depth++;
    else if (s[i] === ']') depth = Math.max(0, depth - 1);
    else if (s[i] === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.filter((x) => x.length > 0);
}

export function intFlag(value: string | undefined, flag: string, options: { min?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag} expects an integer, got '${value}'`);
  const n = Number(value);
  if (options.min !== undefined && n < options.min) throw new UsageError(`${flag} must be at least ${options.min}, got ${n}`);
  return n;
}

/** A Kafka error code as a one-line CliError. */
export function kafkaError(what: string, errorCode: number, message: string | null): CliError {
  return new CliError(`${what}: ${message && message.length > 0 ? message : errorName(errorCode)}`);
}

/** Columns padded to their widest cell (Kafka's tools align with printf widths). */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 1))).join(' ').trimEnd()).join('\n');
}

/** Writes to stdout; resolves when flushed (large outputs piped to head must not be lost or crash). */
export function out(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(text)) resolve();
    else process.stdout.once('drain', resolve);
  });
}
