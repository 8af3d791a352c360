// The fuzzer's own parts: the PRNG replays from its seed, byte mutations keep the size prefix
// true (but size-lie), never touch the API key, field mutations change the request, batch
// mutations change the batch behind a right CRC (mostly).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiKey, loadAllApiCodecs } from '../../src/protocol/generated/index.js';
import { crc32c, recordBatch } from '../helpers/batch.js';
import { MUTATIONS, mutate, mutateBatch, mutateFields } from './mutate.js';
import { deriveSeed, Prng } from './prng.js';
import { sampleRequest, validFrame } from './requests.js';

// validFrame encodes synchronously: every API's codecs first.
await loadAllApiCodecs();

describe('fuzz mutations', () => {
  it('the PRNG gives the same stream for the same seed and another for another', () => {
    const a = new Prng(7);
    const b = new Prng(7);
    const c = new Prng(deriveSeed(7, 'Produce'));
    const first = Array.from({ length: 8 }, () => a.u32());
    assert.deepEqual(Array.from({ length: 8 }, () => b.u32()), first);
    assert.notDeepEqual(Array.from({ length: 8 }, () => c.u32()), first);
  });

  it('every byte mutation keeps the API key and, but for size-lie, a true size prefix', () => {
    const rng = new Prng(1);
    const frame = validFrame(ApiKey.Metadata, 9, 0, 1);
    for (const kind of MUTATIONS) {
      for (let i = 0; i < 50; i++) {
        const m = mutate(rng, frame, { min: 0, max: 12 }, kind);
        if (m.frame.length >= 6) assert.equal(m.frame.readInt16BE(4), ApiKey.Metadata, `${kind}: ${m.detail}`);
        if (kind !== 'size-lie') assert.equal(m.frame.readInt32BE(0), m.frame.length - 4, `${kind}: ${m.detail}`);
        else assert.notEqual(m.frame.readInt32BE(0), m.frame.length - 4, m.detail);
      }
    }
  });

  it('a field mutation changes the request and leaves the sample alone', () => {
    const rng = new Prng(3);
    const sample = sampleRequest(ApiKey.Produce, 9, 0);
    const before = JSON.stringify(sample);
    for (let i = 0; i < 20; i++) {
      const { request, detail } = mutateFields(rng, sample);
      assert.notEqual(JSON.stringify(request), before, detail);
    }
    assert.equal(JSON.stringify(sample), before);
  });

  it('a batch mutation changes the batch and mostly keeps its CRC right', () => {
    const rng = new Prng(5);
    const batch = recordBatch([{ key: 'k', value: 'v' }, { value: 'w' }], 1_700_000_000_000);
    let fixed = 0;
    let changed = 0;
    for (let i = 0; i < 60; i++) {
      const m = mutateBatch(rng, batch);
      // A lie can equal the value already there (leader epoch -1 of a client's batch).
      if (!m.batch.equals(batch)) changed++;
      const right = m.batch.length > 21 && m.batch.readUInt32BE(17) === crc32c(m.batch.subarray(21));
      // (A change before the CRC field, such as magic, leaves it right without fixing.)
      if (m.detail.endsWith('CRC fixed')) assert.ok(right, m.detail);
      if (right) fixed++;
    }
    assert.ok(changed > 50, `${changed} of 60 batches changed`);
    assert.ok(fixed > 30, `${fixed} of 60 batches keep a right CRC`);
  });
});
