// ConfigDef: the typed definition of a configuration key (after Kafka's ConfigDef): name,
// type, default, valid values (a zod schema), and how a string from a .properties file, an
// --override or an AlterConfigs request becomes a typed value, with Kafka-style messages.
//
// The broker's start-up path (config, producer state snapshots) uses zod's Zod 3 API
// ('zod/v3', part of the zod 4 package): it loads 10 modules where zod 4's root loads 95,
// ~12 ms of CPU instead of ~48 ms before the broker can start (issue #20, BENCHMARKS.md
// "Start-up"). Only its basic schemas and safeParse are used here and the messages are our
// own, so nothing differs; the admin API (loaded after start-up) keeps zod 4.
import { z } from 'zod/v3';

export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'password';

export type ConfigValue = boolean | string | number | string[] | null;

export interface ConfigKey<T extends ConfigValue = ConfigValue, N extends string = string> {
  readonly name: N;
  readonly type: ConfigType;
  readonly defaultValue: T;
  /** Valid values, checked after the string is converted to the type. */
  readonly schema: z.ZodType<T>;
  /** What a valid value looks like, for error messages. */
  readonly expected: string;
  readonly doc: string;
}

/** Thrown for a bad configuration value; the message names the key, the value and what is expected. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`Invalid value ${value} for configuration ${key}: ${reason}`);
    this.name = 'ConfigError';
  }
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
/** Kafka's Long.MAX_VALUE, as close as a JS number gets: used for "no limit" defaults. */
export const LONG_MAX = Number.MAX_SAFE_INTEGER;

/**
 * A config value as Kafka shows it in DescribeConfigs and its tools: lists comma separated,
 * and the "no limit" LONG_MAX (a JS number cannot hold Long.MAX_VALUE) as Kafka's
 * 9223372036854775807.
 */
export function configValueText(v: ConfigValue): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.join(',');
  if (v === LONG_MAX) return '9223372036854775807';
  if (v === -LONG_MAX) return '-9223372036854775808';
  return String(v);
}

/** Converts a raw value (string from a file, or already typed) to the key's type and validates it. */
export function parseConfigValue<T extends ConfigValue>(key: ConfigKey<T, string>, raw: unknown): T {
  const shown = raw === null || raw === undefined ? 'null' : String(raw);
  let typed: unknown = raw;
  if (typeof raw === 'string') {
    const s = raw.trim();
    switch (key.type) {
      case 'boolean':
        if (s.toLowerCase() === 'true') typed = true;
        else if (s.toLowerCase() === 'false') typed = false;
        else throw new ConfigError(key.name, shown, 'Expected value to be either true or false');
        break;
      case 'int':
      case 'short':
      case 'long':
        if (!/^[+-]?\d+$/.test(s)) throw new ConfigError(key.name, shown, `Not a number of type ${key.type.toUpperCase()}`);
        typed = Number(s);
        if (key.type !== 'long' && ((typed as number) < INT_MIN || (typed as number) > INT_MAX)) {
          throw new ConfigError(key.name, shown, `Not a number of type ${key.type.toUpperCase()}`);
        }
        // Long.MAX_VALUE and friends do not fit a double exactly; clamp to the safe range.
        if (Math.abs(typed as number) > LONG_MAX) typed = Math.sign(typed as number) * LONG_MAX;
        break;
      case 'double':
        if (s === '' || Number.isNaN(Number(s))) throw new ConfigError(key.name, shown, 'Not a number of type DOUBLE');
        typed = Number(s);
        break;
      case 'list':
        typed = s === '' ? [] : s.split(',').map((item) => item.trim());
        break;
      default:
        typed = s;
    }
  }
  const result = key.schema.safeParse(typed);
  if (!result.success) throw new ConfigError(key.name, shown, key.expected);
  return result.data;
}

interface KeyOptions {
  doc?: string;
}

interface RangeOptions extends KeyOptions {
  min?: number;
  max?: number;
}

function rangeText(type: string, min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `Value must be a ${type} in [${min},...,${max}]`;
  if (min !== undefined) return `Value must be a ${type} at least ${min}`;
  if (max !== undefined) return `Value must be a ${type} no more than ${max}`;
  return `Value must be a ${type}`;
}

function numberKey<const N extends string>(name: N, type: 'int' | 'long' | 'short', def: number, opts: RangeOptions): ConfigKey<number, N> {
  let schema = z.number().int();
  if (opts.min !== undefined) schema = schema.min(opts.min);
  if (opts.max !== undefined) schema = schema.max(opts.max);
  return { name, type, defaultValue: def, schema, expected: rangeText(`number of type ${type.toUpperCase()}`, opts.min, opts.max), doc: opts.doc ?? '' };
}

export function intKey<const N extends string>(name: N, def: number, opts: RangeOptions = {}): ConfigKey<number, N> {
  return numberKey(name, 'int', def, opts);
}

/**
 * A socket buffer size in bytes, or -1 for the OS's own sizing: what Kafka's SocketServer
 * accepts (0 and other negative sizes fail there on every connection).
 */
export function socketBufferKey<const N extends string>(name: N, def: number, opts: KeyOptions = {}): ConfigKey<number, N> {
  const schema = z
    .number()
    .int()
    .refine((v) => v === -1 || v >= 1);
  return { name, type: 'int', defaultValue: def, schema, expected: 'Value must be -1 (the OS sizes the buffer) or a size in bytes of at least 1', doc: opts.doc ?? '' };
}

export function longKey<const N extends string>(name: N, def: number, opts: RangeOptions = {}): ConfigKey<number, N> {
  return numberKey(name, 'long', def, opts);
}

export function nullableLongKey<const N extends string>(name: N, opts: RangeOptions = {}): ConfigKey<number | null, N> {
  let inner = z.number().int();
  if (opts.min !== undefined) inner = inner.min(opts.min);
  return { name, type: 'long', defaultValue: null, schema: inner.nullable(), expected: rangeText('number of type LONG', opts.min, opts.max), doc: opts.doc ?? '' };
}

export function doubleKey<const N extends string>(name: N, def: number, opts: RangeOptions = {}): ConfigKey<number, N> {
  let schema = z.number();
  if (opts.min !== undefined) schema = schema.min(opts.min);
  if (opts.max !== undefined) schema = schema.max(opts.max);
  return { name, type: 'double', defaultValue: def, schema, expected: rangeText('number of type DOUBLE', opts.min, opts.max), doc: opts.doc ?? '' };
}

export function boolKey<const N extends string>(name: N, def: boolean, opts: KeyOptions = {}): ConfigKey<boolean, N> {
  return { name, type: 'boolean', defaultValue: def, schema: z.boolean(), expected: 'Expected value to be either true or false', doc: opts.doc ?? '' };
}

export function stringKey<const N extends string>(name: N, def: string | null, opts: KeyOptions & { oneOf?: readonly string[]; pattern?: RegExp; describe?: string } = {}): ConfigKey<string | null, N> {
  let base: z.ZodType<string> = z.string();
  let expected = opts.describe ?? 'Value must be a string';
  if (opts.oneOf) {
    base = z.enum(opts.oneOf as [string, ...string[]]);
    expected = `String must be one of: ${opts.oneOf.join(', ')}`;
  } else if (opts.pattern) {
    base = z.string().regex(opts.pattern);
  }
  return { name, type: 'string', defaultValue: def, schema: base.nullable(), expected, doc: opts.doc ?? '' };
}

export function listKey<const N extends string>(name: N, def: string[], opts: KeyOptions & { item?: z.ZodType<string>; describe?: string; nonEmpty?: boolean } = {}): ConfigKey<string[], N> {
  let schema = z.array(opts.item ?? z.string());
  if (opts.nonEmpty) schema = schema.min(1);
  return { name, type: 'list', defaultValue: def, schema, expected: opts.describe ?? 'Value must be a comma-separated list', doc: opts.doc ?? '' };
}
