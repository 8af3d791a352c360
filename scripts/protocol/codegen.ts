// Generates one TypeScript codec module per Kafka message definition.
//
// Shape of the output (see src/protocol/generated/produce-request.ts for an example):
// - `interface X` per struct: every field present, the decode result. Fields a version does
//   not carry hold their default after decoding (Kafka's MessageData semantics).
// - `interface XInput` per struct: every field optional, the encode argument. A missing
//   (undefined) field is written as its default; `X` is assignable to `XInput`.
// - `encodeX(w, version, data)` / `decodeX(r, version)` dispatch once on the version to one
//   function per run of versions that share a wire layout; each such function is
//   straight-line code with no schema interpretation, closures or per-field version tests.
// - `defaultX()` returns a fresh object with every default.
//
// Encode follows Kafka's generated Java writers: a non-default value in a field that the
// version cannot carry throws unless the field is "ignorable"; a null in a version where the
// field is not nullable throws; tagged fields are written only when they differ from their
// default, in ascending tag order. Decode skips unknown tags (they are not preserved).

import {
  fieldCompact,
  fieldNullable,
  fieldPresent,
  fieldTagged,
  fieldTypeNullable,
  formatVersions,
  isFlexible,
  structByName,
  structOf,
  structUsedVersions,
  type Field,
  type FieldType,
  type Message,
  type PrimitiveName,
  type Struct,
} from './schema.js';

export const GENERATOR_PATH = 'scripts/generate-protocol.ts';

/** Names the generated modules import; a struct may not shadow them. */
const RESERVED_NAMES = new Set([
  'Buffer', 'Reader', 'Writer', 'RecordsSource', 'ZERO_UUID', 'EMPTY_BYTES', 'EMPTY_ARRAY', 'EMPTY_STRUCT',
  'nonNull', 'nonIgnorable', 'unsupportedEncodeVersion', 'unsupportedDecodeVersion', 'Array', 'Object', 'Error',
]);

/** How a field is encoded in one run of versions (constant across the run by construction). */
interface FieldLayout {
  readonly field: Field;
  readonly present: boolean;
  readonly tagged: boolean;
  readonly nullable: boolean;
  readonly compact: boolean;
}

interface Range {
  readonly min: number;
  readonly max: number;
  readonly flexible: boolean;
  readonly fields: readonly FieldLayout[];
}

interface Ctx {
  readonly message: Message;
  readonly struct: Struct;
}

// ------------------------------------------------------------------ naming

export function messageFileBase(message: Message): string {
  return message.name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

const inputName = (struct: string): string => `${struct}Input`;
const rangeSuffix = (r: { min: number; max: number }): string => (r.min === r.max ? `V${r.min}` : `V${r.min}To${r.max}`);
const local = (f: Field): string => `_${f.jsName}`;

// ------------------------------------------------------------------ layouts

function layoutOf(message: Message, field: Field, version: number): FieldLayout {
  const present = fieldPresent(field, version);
  return {
    field,
    present,
    tagged: present && fieldTagged(message, field, version),
    nullable: present && fieldNullable(field, version),
    compact: present && fieldCompact(message, field, version),
  };
}

/** Groups consecutive used versions with an identical wire layout. */
function rangesOf(message: Message, struct: Struct, versions: readonly number[]): Range[] {
  const ranges: Range[] = [];
  let key = '';
  for (const v of versions) {
    const fields = struct.fields.map((f) => layoutOf(message, f, v));
    const flexible = isFlexible(message, v);
    const k = JSON.stringify([flexible, fields.map((l) => [l.present, l.tagged, l.nullable, l.compact])]);
    const last = ranges[ranges.length - 1];
    if (last && k === key && last.max === v - 1) {
      ranges[ranges.length - 1] = { ...last, max: v };
    } else {
      ranges.push({ min: v, max: v, flexible, fields });
      key = k;
    }
  }
  return ranges;
}

// ------------------------------------------------------------------ types

function primitiveTsType(name: PrimitiveName, input: boolean): string {
  switch (name) {
    case 'bool':
      return 'boolean';
    case 'string':
    case 'uuid':
      return 'string';
    case 'bytes':
      return 'Buffer';
    case 'records':
      return input ? 'Buffer | RecordsSource' : 'Buffer';
    default:
      return 'number';
  }
}

function tsType(field: Field, input: boolean): string {
  const t = field.type;
  let base: string;
  if (t.kind === 'primitive') base = primitiveTsType(t.name, input);
  else if (t.kind === 'struct') base = input ? inputName(t.name) : t.name;
  else {
    const e = t.element;
    const elem = e.kind === 'struct' ? (input ? inputName(e.name) : e.name) : e.kind === 'primitive' ? primitiveTsType(e.name, input) : 'never';
    base = input ? `readonly ${elem}[]` : `${elem}[]`;
  }
  return fieldTypeNullable(field) ? `${base} | null` : base;
}

function elementTsType(type: FieldType): string {
  if (type.kind !== 'array') throw new Error('not an array');
  const e = type.element;
  return e.kind === 'struct' ? e.name : e.kind === 'primitive' ? primitiveTsType(e.name, false) : 'never';
}

// ------------------------------------------------------------------ defaults

/** A fresh default value, for decoded objects and defaultX(). */
function decodeDefault(field: Field): string {
  const d = field.default;
  switch (d.kind) {
    case 'null':
      return 'null';
    case 'number':
      return numberLiteral(d.value);
    case 'bool':
      return String(d.value);
    case 'string':
      return stringLiteral(d.value);
    case 'implicit':
      break;
  }
  const t = field.type;
  if (t.kind === 'array') return '[]';
  if (t.kind === 'struct') return `default${t.name}()`;
  switch (t.name) {
    case 'bool':
      return 'false';
    case 'string':
      return "''";
    case 'uuid':
      return 'ZERO_UUID';
    case 'bytes':
      return 'EMPTY_BYTES';
    case 'records':
      return 'null';
    default:
      return '0';
  }
}

/** The stand-in written for an undefined input (shared constants, never mutated). */
function encodeFallback(layout: FieldLayout): string {
  const field = layout.field;
  const d = field.default;
  if (d.kind !== 'implicit') return decodeDefault(field);
  const t = field.type;
  if (t.kind === 'array') return 'EMPTY_ARRAY';
  if (t.kind === 'struct') return 'EMPTY_STRUCT';
  if (t.name === 'records') return layout.nullable ? 'null' : 'EMPTY_BYTES';
  return decodeDefault(field);
}

/** Boolean expression: value v (not undefined) differs from the field's default. */
function nonDefault(field: Field, v: string): string {
  const d = field.default;
  if (d.kind === 'null') return `${v} !== null`;
  if (d.kind !== 'implicit') return `${v} !== ${decodeDefault(field)}`;
  const t = field.type;
  const nullable = fieldTypeNullable(field);
  if (t.kind === 'array') return nullable ? `(${v} === null || ${v}.length !== 0)` : `${v}.length !== 0`;
  if (t.kind === 'struct') return nullable ? `(${v} === null || !isDefault${t.name}(${v}))` : `!isDefault${t.name}(${v})`;
  switch (t.name) {
    case 'bytes':
      return nullable ? `(${v} === null || ${v}.length !== 0)` : `${v}.length !== 0`;
    case 'records':
      return `${v} !== null`;
    default:
      return `${v} !== ${decodeDefault(field)}`;
  }
}

/** Boolean expression: value v (not undefined) equals the field's default. */
function isDefault(field: Field, v: string): string {
  const d = field.default;
  const scalar =
    d.kind === 'null' ||
    d.kind === 'number' ||
    d.kind === 'bool' ||
    d.kind === 'string' ||
    (field.type.kind === 'primitive' && field.type.name !== 'bytes' && field.type.name !== 'records');
  if (scalar) return `${v} === ${decodeDefault(field)}`;
  return `!(${nonDefault(field, v)})`;
}

function numberLiteral(n: number): string {
  if (Object.is(n, -0)) return '0';
  return String(n);
}

function stringLiteral(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

// ------------------------------------------------------------------ wire type names (comments)

function wireTypeName(layout: FieldLayout): string {
  const t = layout.field.type;
  const c = layout.compact ? 'COMPACT_' : '';
  const n = layout.nullable ? 'NULLABLE_' : '';
  if (t.kind === 'struct') return `${layout.nullable ? 'NULLABLE ' : ''}${t.name}`;
  if (t.kind === 'array') {
    const e = t.element;
    const elem = e.kind === 'struct' ? e.name : e.kind === 'primitive' ? wirePrimitive(e.name, layout.compact, false) : '?';
    return `${c}${n}ARRAY[${elem}]`;
  }
  return wirePrimitive(t.name, layout.compact, layout.nullable);
}

function wirePrimitive(name: PrimitiveName, compact: boolean, nullable: boolean): string {
  const c = compact ? 'COMPACT_' : '';
  const n = nullable ? 'NULLABLE_' : '';
  switch (name) {
    case 'string':
      return `${c}${n}STRING`;
    case 'bytes':
      return `${c}${n}BYTES`;
    case 'records':
      return `${c}${nullable ? 'NULLABLE_' : ''}RECORDS`;
    case 'bool':
      return 'BOOLEAN';
    default:
      return name.toUpperCase();
  }
}

// ------------------------------------------------------------------ encode

function writePrimitive(name: PrimitiveName, compact: boolean, nullable: boolean, v: string): string {
  switch (name) {
    case 'bool':
      return `w.writeBool(${v});`;
    case 'int8':
      return `w.writeInt8(${v});`;
    case 'int16':
      return `w.writeInt16(${v});`;
    case 'uint16':
      return `w.writeUint16(${v});`;
    case 'int32':
      return `w.writeInt32(${v});`;
    case 'uint32':
      return `w.writeUint32(${v});`;
    case 'int64':
      return `w.writeInt64(${v});`;
    case 'float64':
      return `w.writeFloat64(${v});`;
    case 'uuid':
      return `w.writeUuid(${v});`;
    case 'string':
      return `w.write${compact ? 'Compact' : ''}${nullable ? 'Nullable' : ''}String(${v});`;
    case 'bytes':
      return `w.write${compact ? 'Compact' : ''}${nullable ? 'Nullable' : ''}Bytes(${v});`;
    case 'records':
      return `w.writeRecords(${v}, ${compact});`;
  }
}

/** Fixed wire size of a primitive, or null when variable. */
function fixedSize(type: FieldType): number | null {
  if (type.kind !== 'primitive') return null;
  switch (type.name) {
    case 'bool':
    case 'int8':
      return 1;
    case 'int16':
    case 'uint16':
      return 2;
    case 'int32':
    case 'uint32':
      return 4;
    case 'int64':
    case 'float64':
      return 8;
    case 'uuid':
      return 16;
    default:
      return null;
  }
}

/** Expression resolving d.<field> for writing: undefined -> default, null checked. */
function resolveForWrite(ctx: Ctx, layout: FieldLayout): string {
  const f = layout.field;
  const raw = `d.${f.jsName}`;
  const fallback = encodeFallback(layout);
  if (layout.nullable) return `${raw} === undefined ? ${fallback} : ${raw}`;
  if (fieldTypeNullable(f)) return `nonNull(${raw}, ${fallback}, '${ctx.struct.name}.${f.jsName}', version)`;
  return `${raw} ?? ${fallback}`;
}

/** Statements writing value expression v (already resolved; a simple name when reused). */
function writeValue(layout: FieldLayout, v: string, indent: string): string[] {
  const f = layout.field;
  const t = f.type;
  if (t.kind === 'primitive') return [indent + writePrimitive(t.name, layout.compact, layout.nullable, v)];
  if (t.kind === 'struct') {
    if (!layout.nullable) return [`${indent}encode${t.name}(w, version, ${v});`];
    return [
      `${indent}if (${v} === null) {`,
      `${indent}  w.writeInt8(-1);`,
      `${indent}} else {`,
      `${indent}  w.writeInt8(1);`,
      `${indent}  encode${t.name}(w, version, ${v});`,
      `${indent}}`,
    ];
  }
  const lengthWriter = layout.compact ? 'writeCompactArrayLength' : 'writeArrayLength';
  const e = t.element;
  const elemWrite =
    e.kind === 'struct'
      ? `encode${e.name}(w, version, ${v}[i]!);`
      : e.kind === 'primitive'
        ? writePrimitive(e.name, layout.compact, false, `${v}[i]!`)
        : '';
  const loop = [`w.${lengthWriter}(${v}.length);`, `for (let i = 0; i < ${v}.length; i++) ${elemWrite}`];
  if (!layout.nullable) return loop.map((l) => indent + l);
  return [
    `${indent}if (${v} === null) {`,
    `${indent}  w.${lengthWriter}(-1);`,
    `${indent}} else {`,
    ...loop.map((l) => `${indent}  ${l}`),
    `${indent}}`,
  ];
}

function needsBinding(layout: FieldLayout): boolean {
  const t = layout.field.type;
  return t.kind === 'array' || (t.kind === 'struct' && layout.nullable);
}

function encodeRangeFunction(ctx: Ctx, range: Range): string[] {
  const s = ctx.struct;
  const out: string[] = [];
  out.push(`// ${s.name} v${range.min === range.max ? range.min : `${range.min}-${range.max}`}${range.flexible ? ' (flexible)' : ''}:`);
  const present = range.fields.filter((l) => l.present);
  const width = Math.max(range.flexible ? '_taggedFields'.length : 0, ...present.map((l) => l.field.jsName.length));
  for (const l of present) {
    out.push(`//   ${l.field.jsName.padEnd(width)}  ${l.tagged ? `tag ${l.field.tag}: ` : ''}${wireTypeName(l)}`);
  }
  if (range.flexible) out.push(`//   ${'_taggedFields'.padEnd(width)}  TAG_BUFFER`);
  out.push(`function encode${s.name}${rangeSuffix(range)}(w: Writer, version: number, d: ${inputName(s.name)}): void {`);
  for (const l of range.fields) {
    const f = l.field;
    if (!l.present) {
      if (!f.ignorable) out.push(`  if (d.${f.jsName} !== undefined && ${nonDefault(f, `d.${f.jsName}`)}) nonIgnorable('${s.name}.${f.jsName}', version);`);
      continue;
    }
    if (l.tagged) continue;
    const value = resolveForWrite(ctx, l);
    if (needsBinding(l)) {
      out.push(`  const ${local(f)} = ${value};`);
      out.push(...writeValue(l, local(f), '  '));
    } else {
      out.push(...writeValue(l, value, '  '));
    }
  }
  if (range.flexible) {
    const tagged = range.fields.filter((l) => l.tagged).sort((a, b) => a.field.tag! - b.field.tag!);
    if (tagged.length === 0) {
      out.push('  w.writeEmptyTaggedFields();');
    } else {
      for (const l of tagged) {
        out.push(`  const ${local(l.field)} = ${resolveForWrite(ctx, l)};`);
        out.push(`  const _emit${l.field.tag} = ${nonDefault(l.field, local(l.field))};`);
      }
      out.push(`  w.writeUnsignedVarint(${tagged.map((l) => `(_emit${l.field.tag} ? 1 : 0)`).join(' + ')});`);
      for (const l of tagged) {
        const size = fixedSize(l.field.type);
        out.push(`  if (_emit${l.field.tag}) {`);
        out.push(`    w.writeUnsignedVarint(${l.field.tag});`);
        if (size !== null) {
          out.push(`    w.writeUnsignedVarint(${size});`);
          out.push(...writeValue(l, local(l.field), '    '));
        } else {
          out.push('    const mark = w.beginSized();');
          out.push(...writeValue(l, local(l.field), '    '));
          out.push('    w.endSized(mark);');
        }
        out.push('  }');
      }
    }
  }
  out.push('}');
  return out;
}

// ------------------------------------------------------------------ decode

function readPrimitive(name: PrimitiveName, compact: boolean, nullable: boolean, zeroCopy: boolean): string {
  switch (name) {
    case 'bool':
      return 'r.readBool()';
    case 'int8':
      return 'r.readInt8()';
    case 'int16':
      return 'r.readInt16()';
    case 'uint16':
      return 'r.readUint16()';
    case 'int32':
      return 'r.readInt32()';
    case 'uint32':
      return 'r.readUint32()';
    case 'int64':
      return 'r.readInt64()';
    case 'float64':
      return 'r.readFloat64()';
    case 'uuid':
      return 'r.readUuid()';
    case 'string':
      return `r.read${compact ? 'Compact' : ''}${nullable ? 'Nullable' : ''}String()`;
    case 'bytes':
      return `r.read${compact ? 'Compact' : ''}${nullable ? 'Nullable' : ''}Bytes(${zeroCopy ? 'true' : ''})`;
    case 'records':
      return `r.read${compact ? 'Compact' : ''}${nullable ? 'Nullable' : ''}Records()`;
  }
}

/**
 * Statements reading the field into `target`. With declare, they declare it (const where
 * possible); otherwise they assign an already declared variable (tagged fields).
 */
function readValue(layout: FieldLayout, target: string, declare: boolean, indent: string): string[] {
  const f = layout.field;
  const t = f.type;
  const decl = declare ? 'const ' : '';
  if (t.kind === 'primitive') return [`${indent}${decl}${target} = ${readPrimitive(t.name, layout.compact, layout.nullable, f.zeroCopy)};`];
  if (t.kind === 'struct') {
    const read = `decode${t.name}(r, version)`;
    return [`${indent}${decl}${target} = ${layout.nullable ? `r.readInt8() < 0 ? null : ${read}` : read};`];
  }
  const e = t.element;
  const elemRead = e.kind === 'struct' ? `decode${e.name}(r, version)` : e.kind === 'primitive' ? readPrimitive(e.name, layout.compact, false, false) : '';
  const elemType = elementTsType(t);
  const c = layout.compact ? 'Compact' : '';
  if (!layout.nullable) {
    return [
      declare ? `${indent}const ${target}: ${elemType}[] = [];` : `${indent}${target} = [];`,
      `${indent}for (let i = 0, n = r.read${c}ArrayLength(); i < n; i++) ${target}.push(${elemRead});`,
    ];
  }
  return [
    declare ? `${indent}let ${target}: ${elemType}[] | null = null;` : `${indent}${target} = null;`,
    `${indent}const _n${target} = r.read${c}NullableArrayLength();`,
    `${indent}if (_n${target} >= 0) {`,
    `${indent}  const a: ${elemType}[] = [];`,
    `${indent}  for (let i = 0; i < _n${target}; i++) a.push(${elemRead});`,
    `${indent}  ${target} = a;`,
    `${indent}}`,
  ];
}

function decodeRangeFunction(ctx: Ctx, range: Range): string[] {
  const s = ctx.struct;
  const out: string[] = [];
  out.push(`function decode${s.name}${rangeSuffix(range)}(r: Reader, version: number): ${s.name} {`);
  const tagged = range.fields.filter((l) => l.tagged).sort((a, b) => a.field.tag! - b.field.tag!);
  for (const l of tagged) out.push(`  let ${local(l.field)}: ${tsType(l.field, false)} = ${decodeDefault(l.field)};`);
  for (const l of range.fields) {
    if (!l.present || l.tagged) continue;
    out.push(...readValue(l, local(l.field), true, '  '));
  }
  if (range.flexible) {
    if (tagged.length === 0) {
      out.push('  r.skipTaggedFields();');
    } else {
      out.push('  for (let t = 0, nt = r.readUnsignedVarint(); t < nt; t++) {');
      out.push('    const tag = r.readUnsignedVarint();');
      out.push('    const end = r.readTaggedFieldEnd();');
      out.push('    switch (tag) {');
      for (const l of tagged) {
        out.push(`      case ${l.field.tag}: {`);
        out.push(...readValue(l, local(l.field), false, '        '));
        out.push('        break;');
        out.push('      }');
      }
      out.push('      default:');
      out.push('        r.skipTo(end);');
      out.push('        break;');
      out.push('    }');
      out.push('    r.endTaggedField(end, tag);');
      out.push('  }');
    }
  }
  const props = range.fields.map((l) => `${l.field.jsName}: ${l.present ? local(l.field) : decodeDefault(l.field)}`);
  out.push(...objectLiteral('  return ', props, ';'));
  out.push('}');
  return out;
}

function objectLiteral(prefix: string, props: readonly string[], suffix: string): string[] {
  if (props.length === 0) return [`${prefix}{}${suffix}`];
  const oneLine = `${prefix}{ ${props.join(', ')} }${suffix}`;
  if (oneLine.length <= 110) return [oneLine];
  const indent = prefix.match(/^\s*/)![0];
  return [`${prefix}{`, ...props.map((p) => `${indent}  ${p},`), `${indent}}${suffix}`];
}

// ------------------------------------------------------------------ per struct

function docComment(field: Field, indent: string): string {
  const notes: string[] = [`versions ${formatVersions(field.versions)}`];
  if (field.nullableVersions !== null) notes.push(`nullable ${formatVersions(field.nullableVersions)}`);
  if (field.tag !== null) notes.push(`tag ${field.tag}`);
  if (field.ignorable) notes.push('ignorable');
  if (field.default.kind !== 'implicit') notes.push(`default ${decodeDefault(field)}`);
  if (field.type.kind === 'primitive' && field.type.name === 'int64') notes.push('int64, exact below 2^53');
  const about = field.about.replace(/\*\//g, '* /').replace(/\s+/g, ' ').trim();
  const text = `${about}${about && !/[.!?]$/.test(about) ? '.' : ''} (${notes.join('; ')})`.trim();
  return `${indent}/** ${text} */`;
}

function structSection(ctx: Ctx, usedVersions: readonly number[], needsIsDefault: boolean): string[] {
  const s = ctx.struct;
  const out: string[] = [];
  const exported = s.isTop ? 'export ' : '';

  // Interfaces.
  out.push(`export interface ${s.name} {`);
  for (const f of s.fields) {
    out.push(docComment(f, '  '));
    out.push(`  ${f.jsName}: ${tsType(f, false)};`);
  }
  out.push('}');
  out.push('');
  out.push(`/** Encode input for ${s.name}: a missing field is written as its default. */`);
  out.push(`export interface ${inputName(s.name)} {`);
  for (const f of s.fields) out.push(`  readonly ${f.jsName}?: ${tsType(f, true)};`);
  out.push('}');
  out.push('');

  // Default factory and default test.
  out.push(`/** A new ${s.name} holding every field's default. */`);
  out.push(`export function default${s.name}(): ${s.name} {`);
  out.push(...objectLiteral('  return ', s.fields.map((f) => `${f.jsName}: ${decodeDefault(f)}`), ';'));
  out.push('}');
  out.push('');
  if (needsIsDefault) {
    out.push(`function isDefault${s.name}(d: ${inputName(s.name)}): boolean {`);
    if (s.fields.length === 0) out.push('  return true;');
    else {
      const terms = s.fields.map((f) => `(d.${f.jsName} === undefined || ${isDefault(f, `d.${f.jsName}`)})`);
      out.push(`  return (`);
      terms.forEach((t, i) => out.push(`    ${t}${i < terms.length - 1 ? ' &&' : ''}`));
      out.push('  );');
    }
    out.push('}');
    out.push('');
  }

  const ranges = rangesOf(ctx.message, s, usedVersions);
  const descending = [...ranges].reverse();

  // Encode.
  const versionsText = compactVersions(usedVersions);
  if (s.isTop) out.push(`/** Writes a ${s.name} in the given version (${versionsText}). */`);
  out.push(`${exported}function encode${s.name}(w: Writer, version: number, data: ${inputName(s.name)}): void {`);
  for (const r of descending) out.push(`  if (${rangeTest(r)}) return encode${s.name}${rangeSuffix(r)}(w, version, data);`);
  out.push(`  unsupportedEncodeVersion('${s.name}', version);`);
  out.push('}');
  out.push('');
  for (const r of ranges) {
    out.push(...encodeRangeFunction(ctx, r));
    out.push('');
  }

  // Decode.
  if (s.isTop) out.push(`/** Reads a ${s.name} of the given version (${versionsText}); fields the version lacks get their default. */`);
  out.push(`${exported}function decode${s.name}(r: Reader, version: number): ${s.name} {`);
  for (const r of descending) out.push(`  if (${rangeTest(r)}) return decode${s.name}${rangeSuffix(r)}(r, version);`);
  out.push(`  return unsupportedDecodeVersion('${s.name}', version, r.offset);`);
  out.push('}');
  out.push('');
  for (const r of ranges) {
    out.push(...decodeRangeFunction(ctx, r));
    out.push('');
  }
  return out;
}

function rangeTest(r: { min: number; max: number }): string {
  return r.min === r.max ? `version === ${r.min}` : `version >= ${r.min} && version <= ${r.max}`;
}

function compactVersions(versions: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < versions.length) {
    let j = i;
    while (j + 1 < versions.length && versions[j + 1] === versions[j]! + 1) j++;
    parts.push(i === j ? `v${versions[i]}` : `v${versions[i]}-${versions[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** Structs that need isDefaultX(): targets of non-array struct fields, transitively. */
function structsNeedingIsDefault(message: Message): Set<string> {
  const need = new Set<string>();
  const add = (name: string): void => {
    if (need.has(name)) return;
    need.add(name);
    for (const f of structByName(message, name).fields) {
      if (f.type.kind === 'struct' && f.default.kind === 'implicit') add(f.type.name);
    }
  };
  for (const s of message.structs) {
    for (const f of s.fields) {
      if (f.type.kind === 'struct' && f.default.kind === 'implicit') add(f.type.name);
    }
  }
  return need;
}

// ------------------------------------------------------------------ file

function describeMessage(message: Message): string {
  const parts: string[] = [];
  if (message.apiKey !== null) parts.push(`apiKey ${message.apiKey}`);
  parts.push(`versions ${formatVersions(message.validVersions)}`);
  parts.push(`flexible ${formatVersions(message.flexibleVersions)}`);
  if (message.deprecatedVersions !== null) parts.push(`deprecated ${formatVersions(message.deprecatedVersions)}`);
  if (message.latestVersionUnstable) parts.push('latest version unstable');
  return `${message.name} (${message.kind}): ${parts.join(', ')}.`;
}

export function generateMessageFile(message: Message): string {
  for (const s of message.structs) {
    if (RESERVED_NAMES.has(s.name)) throw new Error(`${message.sourcePath}: struct name ${s.name} shadows a codec import`);
    if (message.structs.some((o) => inputName(o.name) === s.name)) throw new Error(`${message.sourcePath}: struct ${s.name} collides with an Input type`);
  }
  const used = structUsedVersions(message);
  const isDefaultNeeded = structsNeedingIsDefault(message);
  const body: string[] = [];
  for (const s of message.structs) {
    body.push(...structSection({ message, struct: s }, used.get(s.name)!, isDefaultNeeded.has(s.name)));
  }
  const text = body.join('\n');

  const primitives = ['Reader', 'Writer', 'ZERO_UUID', 'EMPTY_BYTES', 'EMPTY_ARRAY', 'EMPTY_STRUCT', 'nonNull', 'nonIgnorable', 'unsupportedDecodeVersion', 'unsupportedEncodeVersion']
    .filter((name) => name === 'Reader' || name === 'Writer' || new RegExp(`\\b${name}\\b`).test(text));
  const types = /\bRecordsSource\b/.test(text) ? ['type RecordsSource'] : [];
  const imports = [...primitives, ...types].sort((a, b) => a.replace(/^type /, '').localeCompare(b.replace(/^type /, '')));

  const header = [
    `// Generated by ${GENERATOR_PATH} from ${message.sourcePath}. DO NOT EDIT.`,
    '//',
    `// ${describeMessage(message)}`,
    '// Decoding fills every field (a field missing from the version takes its default);',
    `// encoding takes ${inputName(message.name)}, where an undefined field is written as its default.`,
    '',
    `import { ${imports.join(', ')} } from '../primitives/index.js';`,
    '',
  ];
  return `${header.join('\n')}\n${text.trimEnd()}\n`;
}
