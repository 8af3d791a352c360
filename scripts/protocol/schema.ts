// Loads Kafka's message definitions (protocol/messages/*.json, protocol/internal/*.json:
// JSON with // comments, format in protocol/FORMAT.md) into a checked model that the code
// generator and the tests share. Every rule the generator relies on is asserted here, so a
// new or edited definition that breaks an assumption fails generation loudly instead of
// producing a subtly wrong codec.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// ------------------------------------------------------------------ versions

/** An inclusive version range; max is Infinity for an open range ("3+"). */
export interface Versions {
  readonly min: number;
  readonly max: number;
}

/** Parses "N", "N-M", "N+" or "none" (null). */
export function parseVersions(text: string, where: string): Versions | null {
  const s = text.trim();
  if (s === 'none') return null;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) {
    const min = Number(m[1]);
    const max = Number(m[2]);
    if (max < min) throw new Error(`${where}: empty version range "${text}"`);
    return { min, max };
  }
  m = /^(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`${where}: cannot parse versions "${text}"`);
}

export function inVersions(range: Versions | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max;
}

export function formatVersions(range: Versions | null): string {
  if (range === null) return 'none';
  if (range.max === Infinity) return `${range.min}+`;
  return range.min === range.max ? `${range.min}` : `${range.min}-${range.max}`;
}

// ------------------------------------------------------------------ model

export type PrimitiveName =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'uuid'
  | 'bytes'
  | 'records';

const PRIMITIVES: ReadonlySet<string> = new Set<PrimitiveName>([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'uuid', 'bytes', 'records',
]);

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveName }
  | { readonly kind: 'array'; readonly element: FieldType }
  | { readonly kind: 'struct'; readonly name: string };

/** A field's default, already parsed for its type. */
export type DefaultValue =
  | { readonly kind: 'null' }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'string'; readonly value: string }
  /** The type's implicit default: empty bytes/array, zero uuid, a default struct, null records. */
  | { readonly kind: 'implicit' };

export interface Field {
  /** Kafka's name, e.g. "PartitionIndex". */
  readonly name: string;
  /** The TypeScript property name, e.g. "partitionIndex". */
  readonly jsName: string;
  readonly type: FieldType;
  readonly versions: Versions;
  readonly nullableVersions: Versions | null;
  readonly taggedVersions: Versions | null;
  readonly tag: number | null;
  readonly ignorable: boolean;
  readonly default: DefaultValue;
  /** Field-level override of the message's flexibleVersions (only for compactness). */
  readonly flexibleVersions: Versions | null | undefined;
  /** Bytes field decoded without a copy (Kafka's "zeroCopy"). */
  readonly zeroCopy: boolean;
  readonly about: string;
}

export interface Struct {
  readonly name: string;
  readonly fields: readonly Field[];
  /** True for the message's own top-level struct. */
  readonly isTop: boolean;
}

export type MessageKind = 'request' | 'response' | 'header' | 'data';

export interface Message {
  readonly name: string;
  readonly kind: MessageKind;
  readonly apiKey: number | null;
  readonly validVersions: Versions;
  readonly flexibleVersions: Versions | null;
  /** Top-level struct first, then nested and common structs in definition order. */
  readonly structs: readonly Struct[];
  readonly listeners: readonly string[];
  readonly latestVersionUnstable: boolean;
  readonly deprecatedVersions: Versions | null;
  /** Path relative to the repository root, with forward slashes. */
  readonly sourcePath: string;
}

export function structByName(message: Message, name: string): Struct {
  const s = message.structs.find((x) => x.name === name);
  if (!s) throw new Error(`${message.name}: unknown struct ${name}`);
  return s;
}

export function validVersionList(message: Message): number[] {
  const out: number[] = [];
  for (let v = message.validVersions.min; v <= message.validVersions.max; v++) out.push(v);
  return out;
}

export function isFlexible(message: Message, version: number): boolean {
  return inVersions(message.flexibleVersions, version);
}

/** True when the field is written in this version (as a regular or a tagged field). */
export function fieldPresent(field: Field, version: number): boolean {
  return inVersions(field.versions, version);
}

export function fieldTagged(message: Message, field: Field, version: number): boolean {
  return field.tag !== null && inVersions(field.taggedVersions, version) && isFlexible(message, version);
}

export function fieldNullable(field: Field, version: number): boolean {
  return inVersions(field.nullableVersions, version);
}

/** Whether strings, bytes, arrays and records of this field use the compact encoding. */
export function fieldCompact(message: Message, field: Field, version: number): boolean {
  return inVersions(field.flexibleVersions === undefined ? message.flexibleVersions : field.flexibleVersions, version);
}

/** Whether the TypeScript type of the field admits null. */
export function fieldTypeNullable(field: Field): boolean {
  return (
    field.nullableVersions !== null ||
    field.default.kind === 'null' ||
    (field.type.kind === 'primitive' && field.type.name === 'records')
  );
}

/** The versions in which a struct is reachable from the message's top level. */
export function structUsedVersions(message: Message): Map<string, number[]> {
  const used = new Map<string, Set<number>>();
  const visit = (struct: Struct, version: number): void => {
    let set = used.get(struct.name);
    if (!set) used.set(struct.name, (set = new Set()));
    if (set.has(version)) return;
    set.add(version);
    for (const f of struct.fields) {
      if (!fieldPresent(f, version)) continue;
      const target = structOf(f.type);
      if (target !== null) visit(structByName(message, target), version);
    }
  };
  const top = message.structs[0]!;
  for (const v of validVersionList(message)) visit(top, v);
  const out = new Map<string, number[]>();
  for (const s of message.structs) out.set(s.name, [...(used.get(s.name) ?? [])].sort((a, b) => a - b));
  return out;
}

/** The struct name a field refers to (directly or as array element), or null. */
export function structOf(type: FieldType): string | null {
  if (type.kind === 'struct') return type.name;
  if (type.kind === 'array' && type.element.kind === 'struct') return type.element.name;
  return null;
}

// ------------------------------------------------------------------ loading

/** Removes // comments that are outside JSON strings (Kafka's files have them everywhere). */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') {
        inString = false;
      }
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

/** Kafka's camelCase of a PascalCase field name: PartitionIndex -> partitionIndex. */
export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** File base name: ProduceRequest -> produce-request. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

interface RawField {
  name?: unknown;
  type?: unknown;
  versions?: unknown;
  nullableVersions?: unknown;
  taggedVersions?: unknown;
  tag?: unknown;
  ignorable?: unknown;
  default?: unknown;
  flexibleVersions?: unknown;
  zeroCopy?: unknown;
  about?: unknown;
  fields?: unknown;
  mapKey?: unknown;
  entityType?: unknown;
}

interface RawStruct {
  name?: unknown;
  versions?: unknown;
  fields?: unknown;
}

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

export function loadMessage(absolutePath: string, sourcePath: string): Message {
  const raw = JSON.parse(stripJsonComments(readFileSync(absolutePath, 'utf8'))) as Record<string, unknown>;
  const where = sourcePath;
  const name = expectString(raw['name'], `${where}: name`);
  const kind = expectString(raw['type'], `${where}: type`);
  if (kind !== 'request' && kind !== 'response' && kind !== 'header' && kind !== 'data') {
    throw new Error(`${where}: unknown message type ${kind}`);
  }
  const validVersions = parseVersions(expectString(raw['validVersions'], `${where}: validVersions`), where);
  if (validVersions === null || validVersions.max === Infinity) throw new Error(`${where}: validVersions must be a closed range`);
  const flexibleVersions = parseVersions(expectString(raw['flexibleVersions'], `${where}: flexibleVersions`), where);
  const apiKey = raw['apiKey'] === undefined ? null : Number(raw['apiKey']);
  if ((kind === 'request' || kind === 'response') && (apiKey === null || !Number.isInteger(apiKey))) {
    throw new Error(`${where}: ${kind} without an integer apiKey`);
  }

  // Collect structs: inline definitions first (in order of appearance), then commonStructs.
  const structs: Struct[] = [];
  const names = new Set<string>([name]);
  const pending: Array<{ name: string; raw: unknown[]; isTop: boolean }> = [];
  const register = (structName: string, fields: unknown, isTop: boolean): void => {
    if (names.has(structName) && !isTop) throw new Error(`${where}: struct ${structName} defined twice`);
    names.add(structName);
    if (!Array.isArray(fields)) throw new Error(`${where}: struct ${structName} has no fields`);
    pending.push({ name: structName, raw: fields, isTop });
  };
  register(name, raw['fields'], true);
  const common = (raw['commonStructs'] ?? []) as RawStruct[];
  const commonNames = new Set(common.map((c) => expectString(c.name, `${where}: commonStructs name`)));

  const refs: Array<{ field: string; struct: string }> = [];
  for (let i = 0; i < pending.length; i++) {
    const p = pending[i]!;
    const fields = p.raw.map((rf) => parseField(rf as RawField, `${where}: ${p.name}`, flexibleVersions, (structName, inner, fieldName) => {
      if (inner !== undefined) {
        if (commonNames.has(structName)) throw new Error(`${where}: ${structName} is both inline and common`);
        register(structName, inner, false);
      } else {
        refs.push({ field: `${p.name}.${fieldName}`, struct: structName });
      }
    }));
    structs.push({ name: p.name, fields, isTop: p.isTop });
    if (i === pending.length - 1) {
      // Common structs are parsed after every inline struct, in their own order.
      for (const c of common.splice(0)) register(expectString(c.name, `${where}: commonStructs name`), c.fields, false);
    }
  }
  for (const ref of refs) {
    if (!structs.some((s) => s.name === ref.struct)) throw new Error(`${where}: ${ref.field} refers to unknown struct ${ref.struct}`);
  }
  checkUniqueJsNames(structs, where);

  const listeners = Array.isArray(raw['listeners']) ? (raw['listeners'] as unknown[]).map(String) : [];
  const deprecated = raw['deprecatedVersions'] === undefined ? null : parseVersions(String(raw['deprecatedVersions']), where);
  const message: Message = {
    name,
    kind,
    apiKey,
    validVersions,
    flexibleVersions,
    structs,
    listeners,
    latestVersionUnstable: raw['latestVersionUnstable'] === true,
    deprecatedVersions: deprecated,
    sourcePath,
  };
  checkMessage(message);
  return message;
}

function parseField(
  rf: RawField,
  where: string,
  messageFlexible: Versions | null,
  onStruct: (structName: string, fields: unknown, fieldName: string) => void,
): Field {
  const name = expectString(rf.name, `${where}: field name`);
  const at = `${where}.${name}`;
  const typeText = expectString(rf.type, `${at}: type`);
  const type = parseType(typeText, at);
  const target = structOf(type);
  if (target !== null) onStruct(target, rf.fields, name);
  else if (rf.fields !== undefined) throw new Error(`${at}: fields on a non-struct type`);

  const taggedVersions = rf.taggedVersions === undefined ? null : parseVersions(String(rf.taggedVersions), at);
  // Kafka allows a tagged field to omit "versions": it then equals taggedVersions.
  const versionsText = rf.versions === undefined ? (rf.taggedVersions === undefined ? undefined : String(rf.taggedVersions)) : String(rf.versions);
  if (versionsText === undefined) throw new Error(`${at}: no versions`);
  const versions = parseVersions(versionsText, at);
  if (versions === null) throw new Error(`${at}: versions "none"`);
  const nullableVersions = rf.nullableVersions === undefined ? null : parseVersions(String(rf.nullableVersions), at);
  const tag = rf.tag === undefined ? null : Number(rf.tag);
  if ((tag === null) !== (taggedVersions === null)) throw new Error(`${at}: tag and taggedVersions must come together`);
  if (tag !== null) {
    if (!Number.isInteger(tag) || tag < 0) throw new Error(`${at}: bad tag ${String(rf.tag)}`);
    if (taggedVersions!.min !== versions.min || taggedVersions!.max !== versions.max) {
      throw new Error(`${at}: taggedVersions must equal versions (generator assumption)`);
    }
    if (taggedVersions!.max !== Infinity) throw new Error(`${at}: taggedVersions must be open-ended`);
    if (messageFlexible === null || taggedVersions!.min < messageFlexible.min) throw new Error(`${at}: tagged in a non-flexible version`);
  }
  if (nullableVersions !== null) {
    const nullableType =
      type.kind === 'array' ||
      type.kind === 'struct' ||
      (type.kind === 'primitive' && ['string', 'bytes', 'records', 'uuid'].includes(type.name));
    if (!nullableType) throw new Error(`${at}: ${typeText} cannot be nullable`);
    if (type.kind === 'primitive' && type.name === 'uuid') throw new Error(`${at}: nullable uuid is not supported`);
  }
  const flexibleVersions = rf.flexibleVersions === undefined ? undefined : parseVersions(String(rf.flexibleVersions), at);
  if (flexibleVersions !== undefined && !(type.kind === 'primitive' && (type.name === 'string' || type.name === 'bytes'))) {
    throw new Error(`${at}: flexibleVersions override only supported on string and bytes fields`);
  }
  const field: Field = {
    name,
    jsName: camelCase(name),
    type,
    versions,
    nullableVersions,
    taggedVersions,
    tag,
    ignorable: rf.ignorable === true,
    default: parseDefault(rf.default, type, at),
    flexibleVersions,
    zeroCopy: rf.zeroCopy === true,
    about: rf.about === undefined ? '' : String(rf.about),
  };
  if (field.default.kind === 'null') {
    // FORMAT.md: null may only be the default if every version of the field is nullable.
    const nv = field.nullableVersions;
    if (nv === null || nv.min > versions.min || nv.max < versions.max) throw new Error(`${at}: default null but not nullable in all versions`);
  }
  return field;
}

function parseType(text: string, at: string): FieldType {
  if (text.startsWith('[]')) {
    const element = parseType(text.slice(2), at);
    if (element.kind === 'array') throw new Error(`${at}: nested arrays are not supported`);
    if (element.kind === 'primitive' && (element.name === 'records' || element.name === 'bytes')) {
      throw new Error(`${at}: arrays of ${element.name} are not supported`);
    }
    return { kind: 'array', element };
  }
  if (PRIMITIVES.has(text)) return { kind: 'primitive', name: text as PrimitiveName };
  if (/^[A-Z][A-Za-z0-9]*$/.test(text)) return { kind: 'struct', name: text };
  throw new Error(`${at}: unknown type ${text}`);
}

function parseDefault(value: unknown, type: FieldType, at: string): DefaultValue {
  if (value === undefined) return { kind: 'implicit' };
  if (value === 'null') {
    if (type.kind === 'primitive' && !['string', 'bytes', 'records'].includes(type.name)) throw new Error(`${at}: null default for ${type.name}`);
    return { kind: 'null' };
  }
  if (type.kind !== 'primitive') throw new Error(`${at}: only "null" may be the default of an array or struct`);
  switch (type.name) {
    case 'bool':
      if (value === true || value === 'true') return { kind: 'bool', value: true };
      if (value === false || value === 'false') return { kind: 'bool', value: false };
      throw new Error(`${at}: bad bool default ${String(value)}`);
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64': {
      const n = parseIntegerDefault(value, at);
      const [lo, hi] = INT_RANGES[type.name]!;
      if (n < lo || n > hi) throw new Error(`${at}: default ${n} out of range for ${type.name}`);
      return { kind: 'number', value: n };
    }
    case 'float64': {
      const n = Number(value);
      if (Number.isNaN(n)) throw new Error(`${at}: bad float64 default ${String(value)}`);
      return { kind: 'number', value: n };
    }
    case 'string':
      return { kind: 'string', value: String(value) };
    default:
      throw new Error(`${at}: custom default not supported for ${type.name}`);
  }
}

/** Decimal, 0x hex or 0-prefixed octal, as FORMAT.md allows. */
function parseIntegerDefault(value: unknown, at: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`${at}: non-integer default ${value}`);
    return value;
  }
  const s = String(value).trim();
  const m = /^(-?)(0x[0-9a-fA-F]+|0[0-7]+|\d+)$/.exec(s);
  if (!m) throw new Error(`${at}: bad integer default ${s}`);
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2]!;
  let n: number;
  if (body.startsWith('0x') || body.startsWith('0X')) n = parseInt(body.slice(2), 16);
  else if (body.length > 1 && body.startsWith('0')) n = parseInt(body.slice(1), 8);
  else n = parseInt(body, 10);
  return sign * n;
}

function checkUniqueJsNames(structs: readonly Struct[], where: string): void {
  for (const s of structs) {
    const seen = new Set<string>();
    const tags = new Set<number>();
    for (const f of s.fields) {
      if (seen.has(f.jsName)) throw new Error(`${where}: ${s.name} has two fields named ${f.jsName}`);
      seen.add(f.jsName);
      if (f.tag !== null) {
        if (tags.has(f.tag)) throw new Error(`${where}: ${s.name} reuses tag ${f.tag}`);
        tags.add(f.tag);
      }
    }
  }
}

function checkMessage(message: Message): void {
  const where = message.sourcePath;
  // Field versions must lie inside validVersions (open ranges are clipped).
  for (const s of message.structs) {
    for (const f of s.fields) {
      if (f.versions.min > message.validVersions.max) throw new Error(`${where}: ${s.name}.${f.name} is in no valid version`);
    }
  }
  // Every struct must be reachable in some version.
  const used = structUsedVersions(message);
  for (const [structName, versions] of used) {
    if (versions.length === 0) throw new Error(`${where}: struct ${structName} is never used`);
  }
}

function expectString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} must be a string`);
  return value;
}

/** Loads every definition under protocol/messages and protocol/internal, sorted by path. */
export function loadAllMessages(repoRoot: string): Message[] {
  const out: Message[] = [];
  for (const dir of ['protocol/messages', 'protocol/internal']) {
    const files = readdirSync(join(repoRoot, dir))
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (const file of files) out.push(loadMessage(join(repoRoot, dir, file), `${dir}/${file}`));
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.name)) throw new Error(`message ${m.name} defined twice`);
    seen.add(m.name);
  }
  return out;
}
