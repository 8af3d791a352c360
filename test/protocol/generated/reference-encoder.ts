// Test oracle: a slow encoder that interprets Kafka's schema at run time, written
// independently of scripts/protocol/codegen.ts. The round-trip test requires the generated
// encoders to produce exactly its bytes, which catches symmetric bugs a round trip cannot
// (a default tagged field written anyway, two fields swapped in both directions, ...).
import { isDeepStrictEqual } from 'node:util';

import {
  fieldCompact,
  fieldNullable,
  fieldPresent,
  fieldTagged,
  isFlexible,
  structByName,
  type Field,
  type FieldType,
  type Message,
  type Struct,
} from '../../../scripts/protocol/schema.js';
import { Writer } from '../../../src/protocol/primitives/index.js';
import { defaultValue, type Sample } from './samples.js';

export function referenceEncode(message: Message, version: number, data: Sample): Buffer {
  const w = new Writer();
  encodeStruct(message, message.structs[0]!, version, data, w);
  return w.finish();
}

function encodeStruct(message: Message, struct: Struct, version: number, data: Sample, w: Writer): void {
  const tagged: Field[] = [];
  for (const f of struct.fields) {
    if (!fieldPresent(f, version)) continue;
    const value = data[f.jsName];
    if (fieldTagged(message, f, version)) {
      if (!isDeepStrictEqual(value, defaultValue(message, f))) tagged.push(f);
      continue;
    }
    encodeValue(message, f, f.type, version, value, w, fieldNullable(f, version));
  }
  if (!isFlexible(message, version)) return;
  tagged.sort((a, b) => a.tag! - b.tag!);
  w.writeUnsignedVarint(tagged.length);
  for (const f of tagged) {
    const sub = new Writer();
    encodeValue(message, f, f.type, version, data[f.jsName], sub, fieldNullable(f, version));
    const bytes = sub.finish();
    w.writeUnsignedVarint(f.tag!);
    w.writeUnsignedVarint(bytes.length);
    w.writeRaw(bytes);
  }
}

function encodeValue(message: Message, f: Field, type: FieldType, version: number, value: unknown, w: Writer, nullable: boolean): void {
  const compact = fieldCompact(message, f, version);
  if (value === null && !nullable) throw new Error(`${f.name}: null in a non-nullable version`);
  if (type.kind === 'struct') {
    if (nullable) {
      if (value === null) {
        w.writeInt8(-1);
        return;
      }
      w.writeInt8(1);
    }
    encodeStruct(message, structByName(message, type.name), version, value as Sample, w);
    return;
  }
  if (type.kind === 'array') {
    if (value === null) {
      if (compact) w.writeUnsignedVarint(0);
      else w.writeInt32(-1);
      return;
    }
    const items = value as unknown[];
    if (compact) w.writeUnsignedVarint(items.length + 1);
    else w.writeInt32(items.length);
    for (const item of items) encodeValue(message, f, type.element, version, item, w, false);
    return;
  }
  switch (type.name) {
    case 'bool':
      w.writeInt8(value ? 1 : 0);
      return;
    case 'int8':
      w.writeInt8(value as number);
      return;
    case 'int16':
      w.writeInt16(value as number);
      return;
    case 'uint16':
      w.writeUint16(value as number);
      return;
    case 'int32':
      w.writeInt32(value as number);
      return;
    case 'uint32':
      w.writeUint32(value as number);
      return;
    case 'int64': {
      // Independent of Writer.writeInt64: go through BigInt.
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(BigInt(value as number));
      w.writeRaw(b);
      return;
    }
    case 'float64': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(value as number);
      w.writeRaw(b);
      return;
    }
    case 'uuid':
      w.writeRaw(Buffer.from((value as string).replace(/-/g, ''), 'hex'));
      return;
    case 'string':
    case 'bytes':
    case 'records': {
      const bytes = value === null ? null : typeof value === 'string' ? Buffer.from(value, 'utf8') : (value as Buffer);
      if (bytes === null) {
        if (compact) w.writeUnsignedVarint(0);
        else if (type.name === 'string') w.writeInt16(-1);
        else w.writeInt32(-1);
        return;
      }
      if (compact) w.writeUnsignedVarint(bytes.length + 1);
      else if (type.name === 'string') w.writeInt16(bytes.length);
      else w.writeInt32(bytes.length);
      w.writeRaw(bytes);
      return;
    }
  }
}
