// Test helper: builds message objects straight from Kafka's schema, independently of the
// generated code, so the round-trip test checks the generator against the definitions.
//
// sampleMessage() gives, for one version, the object decode must return: every field the
// version carries holds a non-default value (arrays have two elements), every field it lacks
// holds its default. With nulls = true, fields nullable in that version are null instead.

import {
  fieldNullable,
  fieldPresent,
  structByName,
  type Field,
  type Message,
  type Struct,
} from '../../../scripts/protocol/schema.js';

export type Sample = Record<string, unknown>;

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

class Seed {
  private n = 0;
  next(): number {
    this.n += 1;
    return this.n;
  }
}

export function sampleMessage(message: Message, version: number, nulls: boolean): Sample {
  return sampleStruct(message, message.structs[0]!, version, nulls, new Seed());
}

export function defaultMessage(message: Message): Sample {
  return defaultStruct(message, message.structs[0]!);
}

function sampleStruct(message: Message, struct: Struct, version: number, nulls: boolean, seed: Seed): Sample {
  const out: Sample = {};
  for (const f of struct.fields) {
    if (!fieldPresent(f, version)) out[f.jsName] = defaultValue(message, f);
    else if (nulls && fieldNullable(f, version)) out[f.jsName] = null;
    else out[f.jsName] = sampleValue(message, f, version, nulls, seed);
  }
  return out;
}

function sampleValue(message: Message, f: Field, version: number, nulls: boolean, seed: Seed): unknown {
  const t = f.type;
  if (t.kind === 'struct') return sampleStruct(message, structByName(message, t.name), version, nulls, seed);
  if (t.kind === 'array') {
    const e = t.element;
    const one = (): unknown =>
      e.kind === 'struct'
        ? sampleStruct(message, structByName(message, e.name), version, nulls, seed)
        : e.kind === 'primitive'
          ? samplePrimitive(e.name, null, seed.next())
          : undefined;
    return [one(), one()];
  }
  const def = f.default.kind === 'number' || f.default.kind === 'bool' || f.default.kind === 'string' ? f.default.value : null;
  return samplePrimitive(t.name, def, seed.next());
}

/** A value of the type that differs from def (the field's custom default, if any). */
function samplePrimitive(type: string, def: unknown, n: number): unknown {
  const pick = <T>(a: T, b: T): T => (a === def ? b : a);
  switch (type) {
    case 'bool':
      return def === true ? false : true;
    case 'int8':
      return pick((n % 100) + 2, (n % 100) + 3);
    case 'int16':
      return pick(300 + n, 301 + n) * (n % 2 === 0 ? 1 : -1);
    case 'uint16':
      return pick(65000 - n, 64000 - n);
    case 'int32':
      return pick(100000 + n, 100001 + n) * (n % 2 === 0 ? 1 : -1);
    case 'uint32':
      return pick(4000000000 + n, 4000000001 + n);
    case 'int64':
      // Beyond 32 bits, both signs, still exact in a double.
      return n % 2 === 0 ? 2 ** 40 + n : -(2 ** 33 + n);
    case 'float64':
      return pick(1.25 + n, 2.5 + n);
    case 'string':
      return pick(`s${n}-é`, `t${n}`);
    case 'uuid':
      return `${n.toString(16).padStart(8, '0')}-0123-4567-89ab-cdef0123abcd`;
    case 'bytes':
      return Buffer.from([n & 0xff, 1, 2, 3]);
    case 'records':
      return Buffer.from([0, 0, 0, 0, n & 0xff, 9, 8, 7, 6]);
    default:
      throw new Error(`no sample for ${type}`);
  }
}

export function defaultStruct(message: Message, struct: Struct): Sample {
  const out: Sample = {};
  for (const f of struct.fields) out[f.jsName] = defaultValue(message, f);
  return out;
}

export function defaultValue(message: Message, f: Field): unknown {
  const d = f.default;
  if (d.kind === 'null') return null;
  if (d.kind === 'number' || d.kind === 'bool' || d.kind === 'string') return d.value;
  const t = f.type;
  if (t.kind === 'array') return [];
  if (t.kind === 'struct') return defaultStruct(message, structByName(message, t.name));
  switch (t.name) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return 0;
  }
}

/** A value that differs from the field's default (for the ignorable checks). */
export function nonDefaultValue(message: Message, f: Field, version: number): unknown {
  return sampleValue(message, f, version, false, new Seed());
}
