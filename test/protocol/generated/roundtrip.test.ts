// For every message (requests, responses, headers, data records) and every valid version:
// a sample built from the schema (non-default values everywhere the version has a field,
// two-element arrays; and a second sample with every nullable field null) encodes, decodes
// to an equal object with no bytes left, and re-encodes to the same bytes. Also: an empty
// input encodes every default, non-ignorable fields refuse to be dropped, null is refused
// where a version is not nullable, and every truncation of a frame is a ProtocolDecodeError.
// Encoded bytes must equal those of an independent schema-interpreting encoder.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { messageFileBase } from '../../../scripts/protocol/codegen.js';
import {
  fieldNullable,
  fieldPresent,
  fieldTypeNullable,
  loadAllMessages,
  validVersionList,
  type Message,
} from '../../../scripts/protocol/schema.js';
import { ProtocolDecodeError, ProtocolEncodeError, Reader, Writer } from '../../../src/protocol/primitives/index.js';
import { repoRoot } from '../repo-root.js';
import { referenceEncode } from './reference-encoder.js';
import { defaultMessage, nonDefaultValue, sampleMessage, type Sample } from './samples.js';

interface Codec {
  encode(w: Writer, version: number, data: unknown): void;
  decode(r: Reader, version: number): unknown;
  defaults(): unknown;
}

const root = repoRoot();
const messages = loadAllMessages(root);
const generatedDir = join(root, 'dist', 'src', 'protocol', 'generated');

async function codecOf(message: Message): Promise<Codec> {
  const mod = (await import(pathToFileURL(join(generatedDir, `${messageFileBase(message)}.js`)).href)) as Record<string, unknown>;
  const encode = mod[`encode${message.name}`];
  const decode = mod[`decode${message.name}`];
  const defaults = mod[`default${message.name}`];
  assert.equal(typeof encode, 'function', `encode${message.name}`);
  assert.equal(typeof decode, 'function', `decode${message.name}`);
  assert.equal(typeof defaults, 'function', `default${message.name}`);
  return { encode, decode, defaults } as Codec;
}

function encode(codec: Codec, version: number, data: unknown): Buffer {
  const w = new Writer({ initialCapacityBytes: 64 });
  codec.encode(w, version, data);
  return w.finish();
}

function decodeAll(codec: Codec, version: number, bytes: Buffer): unknown {
  const r = new Reader(bytes);
  const value = codec.decode(r, version);
  assert.equal(r.remaining, 0, 'no bytes remain');
  return value;
}

test('the definitions cover every message kind', () => {
  const kinds = new Map<string, number>();
  for (const m of messages) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(kinds), { request: 91, response: 91, header: 2, data: 44 }); // data: Kafka's transaction, consumer-group, share-group (ShareGroup* types 10-14) and share-state records
});

test('every message and version round-trips a full sample and a null sample', async () => {
  let cases = 0;
  for (const message of messages) {
    const codec = await codecOf(message);
    for (const version of validVersionList(message)) {
      for (const nulls of [false, true]) {
        const sample = sampleMessage(message, version, nulls);
        const where = `${message.name} v${version}${nulls ? ' (nulls)' : ''}`;
        let bytes: Buffer;
        try {
          bytes = encode(codec, version, sample);
        } catch (err) {
          assert.fail(`${where}: encode threw ${(err as Error).message}`);
        }
        assert.deepStrictEqual(bytes, referenceEncode(message, version, sample), `${where}: bytes differ from the reference encoder`);
        const decoded = decodeAll(codec, version, bytes);
        assert.deepStrictEqual(decoded, sample, where);
        assert.deepStrictEqual(encode(codec, version, decoded), bytes, `${where}: re-encode`);
        cases++;
      }
    }
  }
  assert.ok(cases > 1000, `${cases} cases`);
});

test('an empty input encodes every default, in every version', async () => {
  for (const message of messages) {
    const codec = await codecOf(message);
    const expected = defaultMessage(message);
    assert.deepStrictEqual(codec.defaults(), expected, `default${message.name}()`);
    for (const version of validVersionList(message)) {
      const bytes = encode(codec, version, {});
      assert.deepStrictEqual(bytes, referenceEncode(message, version, expected), `${message.name} v${version}: bytes`);
      const decoded = decodeAll(codec, version, bytes);
      assert.deepStrictEqual(decoded, expected, `${message.name} v${version}`);
    }
  }
});

test('a non-default value in a field the version lacks throws unless the field is ignorable', async () => {
  let checked = 0;
  for (const message of messages) {
    const codec = await codecOf(message);
    const top = message.structs[0]!;
    for (const version of validVersionList(message)) {
      for (const f of top.fields) {
        if (fieldPresent(f, version)) continue;
        const data = { [f.jsName]: nonDefaultValue(message, f, message.validVersions.max) };
        const where = `${message.name}.${f.jsName} at v${version}`;
        if (f.ignorable) {
          assert.doesNotThrow(() => encode(codec, version, data), where);
        } else {
          assert.throws(() => encode(codec, version, data), ProtocolEncodeError, where);
        }
        checked++;
      }
    }
  }
  assert.ok(checked > 100, `${checked} checks`);
});

test('null in a version where the field is not nullable throws', async () => {
  let checked = 0;
  for (const message of messages) {
    const codec = await codecOf(message);
    for (const version of validVersionList(message)) {
      for (const f of message.structs[0]!.fields) {
        if (!fieldPresent(f, version) || fieldNullable(f, version) || !fieldTypeNullable(f)) continue;
        assert.throws(() => encode(codec, version, { [f.jsName]: null }), ProtocolEncodeError, `${message.name}.${f.jsName} v${version}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 5, `${checked} checks`);
});

test('every truncation of an encoded message throws ProtocolDecodeError', async () => {
  for (const message of messages) {
    const codec = await codecOf(message);
    const version = message.validVersions.max;
    const bytes = encode(codec, version, sampleMessage(message, version, false));
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => codec.decode(new Reader(bytes.subarray(0, n)), version), ProtocolDecodeError, `${message.name} v${version} cut at ${n}/${bytes.length}`);
    }
  }
});

test('seeded fuzz: corrupted frames decode or throw ProtocolDecodeError, never anything else', async () => {
  // xorshift32: deterministic, so a failure reproduces.
  let state = 0x9e3779b9;
  const rand = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  let decoded = 0;
  let rejected = 0;
  for (const message of messages) {
    const codec = await codecOf(message);
    for (const version of [message.validVersions.min, message.validVersions.max]) {
      const bytes = encode(codec, version, sampleMessage(message, version, false));
      for (let round = 0; round < 20; round++) {
        const copy = Buffer.from(bytes);
        const flips = 1 + Math.floor(rand() * 3);
        for (let i = 0; i < flips; i++) copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
        try {
          codec.decode(new Reader(copy), version);
          decoded++;
        } catch (err) {
          if (!(err instanceof ProtocolDecodeError)) {
            assert.fail(`${message.name} v${version} round ${round}: ${(err as Error).name}: ${(err as Error).message}`);
          }
          rejected++;
        }
      }
    }
  }
  assert.ok(decoded > 0 && rejected > 0, `decoded ${decoded}, rejected ${rejected}`);
});

test('a sample with every nullable field null really differs from the full one where nulls exist', () => {
  // Guards the sample builder itself: the null variant must exercise nullable encodings.
  const produce = messages.find((m) => m.name === 'ProduceRequest')!;
  const full = sampleMessage(produce, 3, false) as Sample;
  const nulls = sampleMessage(produce, 3, true) as Sample;
  assert.notEqual(full['transactionalId'], null);
  assert.equal(nulls['transactionalId'], null);
});
