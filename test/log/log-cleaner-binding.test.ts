// The log cleaner through the addon (BindingLog.cleanableRange and BindingLog.clean): keyed
// records compact to the latest value per key at their original offsets, reads during a
// clean see whole valid batches, and close() stops a running clean and waits for it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { native, type BindingLog, type BindingLogConfig } from '../../src/native.js';
import { recordBatch } from '../helpers/batch.js';
import { decodeBatches, type DecodedRecord } from './records.js';

const CONFIG: BindingLogConfig = {
  segmentBytes: 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 256,
  maxIndexSizeBytes: 4096,
  maxMessageBytes: 1_048_588,
  logAppendTime: false,
  flushIntervalMessages: Number.MAX_SAFE_INTEGER,
};
const DAY_MS = 86_400_000;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tidelog-cleaner-'));
  dirs.push(d);
  return d;
}

/** `rounds` single-record batches cycling through `keys` keys; returns what was written by offset. */
function fill(log: BindingLog, rounds: number, keys: number, valuePad = 0): Map<number, DecodedRecord> {
  const written = new Map<number, DecodedRecord>();
  for (let i = 0; i < rounds; i++) {
    const key = `key-${i % keys}`;
    const value = `value-${i}-${'x'.repeat(valuePad)}`;
    const r = log.appendSync(recordBatch([{ key, value }], 1_700_000_000_000), 0, Date.now());
    written.set(r.firstOffset, { offset: r.firstOffset, key, value });
  }
  return written;
}

async function readAll(log: BindingLog): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  let offset = log.state().logStartOffset;
  for (;;) {
    const slice = log.read(offset, 64 * 1024, Number.MAX_SAFE_INTEGER, true);
    if (!slice) return out;
    for (const b of decodeBatches(await slice.toBuffer())) out.push(...b.records);
    offset = slice.lastOffset + 1;
  }
}

/** Latest record per key below `end`, then everything from `end` on, in offset order. */
function expected(written: Map<number, DecodedRecord>, end: number): DecodedRecord[] {
  const latest = new Map<string | null, DecodedRecord>();
  const rest: DecodedRecord[] = [];
  for (const r of [...written.values()].sort((a, b) => a.offset - b.offset)) {
    if (r.offset < end) latest.set(r.key, r);
    else rest.push(r);
  }
  return [...[...latest.values()].sort((a, b) => a.offset - b.offset), ...rest];
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'));
}

describe('BindingLog.clean', () => {
  it('compacts to the latest value per key, keeping offsets', async () => {
    const dir = tempDir();
    const log = native.BindingLog.open(dir, CONFIG, 0);
    const written = fill(log, 300, 7);
    const state = log.state();
    assert.ok(state.segmentCount > 5);
    const range = log.cleanableRange(-1, Number.MAX_SAFE_INTEGER, Date.now(), 0);
    assert.equal(range.firstDirtyOffset, 0);
    assert.equal(range.cleanBytes, 0);
    assert.equal(range.dirtyRatio, 1);
    assert.ok(range.cleanableBytes > 0 && range.firstUncleanableOffset < state.logEndOffset, 'the active segment is not cleanable');

    const r = await log.clean({ checkpointOffset: -1, nowMs: Date.now(), deleteRetentionMs: DAY_MS, minCompactionLagMs: 0 });
    assert.equal(r.aborted, false);
    assert.equal(r.endOffset, range.firstUncleanableOffset);
    assert.ok(r.recordsRemoved > 0 && r.bytesAfter < r.bytesBefore);
    assert.equal(r.offsetMapKeys, 7);
    assert.deepEqual(await readAll(log), expected(written, r.endOffset));
    assert.equal(log.state().logEndOffset, state.logEndOffset);

    // The checkpoint bounds the next pass: nothing is dirty until more arrives.
    const clean = log.cleanableRange(r.endOffset, Number.MAX_SAFE_INTEGER, Date.now(), 0);
    assert.equal(clean.cleanableBytes, 0);
    assert.equal(clean.dirtyRatio, 0);
    // cleanableUpTo (the high watermark) bounds what is cleaned.
    const bounded = await log.clean({ checkpointOffset: r.endOffset, cleanableUpTo: r.endOffset, nowMs: Date.now(), deleteRetentionMs: DAY_MS, minCompactionLagMs: 0 });
    assert.equal(bounded.segmentsBefore, 0);
    log.close();
    assert.deepEqual(leftovers(dir), []);
  });

  it('reads during a clean see whole, valid batches and every key', async () => {
    const dir = tempDir();
    const log = native.BindingLog.open(dir, { ...CONFIG, segmentBytes: 64 * 1024 }, 0);
    const written = fill(log, 20_000, 50, 40);
    const finalValues = new Map<string | null, string | null>();
    for (const r of written.values()) finalValues.set(r.key, r.value);
    let done = false;
    const cleaning = log.clean({ checkpointOffset: -1, nowMs: Date.now(), deleteRetentionMs: DAY_MS, minCompactionLagMs: 0 }).finally(() => {
      done = true;
    });
    let passes = 0;
    while (!done || passes === 0) {
      const seen = new Map<string | null, string | null>();
      let previous = -1;
      for (const r of await readAll(log)) {
        assert.ok(r.offset > previous, 'offsets increase');
        previous = r.offset;
        seen.set(r.key, r.value);
      }
      assert.deepEqual(seen, finalValues, 'every key ends at its latest value');
      passes++;
    }
    const r = await cleaning;
    assert.equal(r.aborted, false);
    assert.deepEqual(await readAll(log), expected(written, r.endOffset));
    log.close();
  });

  it('close() stops a running clean and leaves no cleaner files', async () => {
    const dir = tempDir();
    const log = native.BindingLog.open(dir, { ...CONFIG, segmentBytes: 64 * 1024 }, 0);
    const written = fill(log, 20_000, 50, 40);
    const cleaning = log.clean({ checkpointOffset: -1, nowMs: Date.now(), deleteRetentionMs: DAY_MS, minCompactionLagMs: 0 });
    // Give the thread pool a moment to start it (the test holds whether it has or not).
    await new Promise((resolve) => setTimeout(resolve, 20));
    log.close();
    // The clean settled inside close(): whatever it finished is on disk, the rest untouched.
    assert.deepEqual(leftovers(dir), []);
    const r = await cleaning;
    const reopened = native.BindingLog.open(dir, CONFIG, 0);
    const got = await readAll(reopened);
    if (r.aborted) {
      // Groups swapped before the stop stay swapped: each key still ends at its latest value.
      const last = new Map(got.map((x) => [x.key, x.value]));
      const want = new Map([...written.values()].map((x) => [x.key, x.value]));
      assert.deepEqual(last, want);
    } else {
      assert.deepEqual(got, expected(written, r.endOffset));
    }
    reopened.close();
    // A clean asked of a closed log does nothing.
    const late = await log.clean({ checkpointOffset: -1, nowMs: Date.now(), deleteRetentionMs: DAY_MS, minCompactionLagMs: 0 });
    assert.equal(late.aborted, true);
  });
});
