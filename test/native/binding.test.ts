// Tests of the native addon (native/tidelog.node, built by `npm run build:native`) through
// its JS API, as the broker uses it: appends (async and sync), reads as file slices, sendfile
// to a real TCP socket, Kafka error codes, close and reopen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import type * as Binding from '../../native/binding.js';
import { crc32c, recordBatch } from '../helpers/batch.js';

// This file runs as dist/test/native/binding.test.js: the repository root is three up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const require = createRequire(import.meta.url);
const native = require(path.join(root, 'native', 'tidelog.node')) as typeof Binding;

// ---- v2 record batches, from the test helper (CRC-32C computed there, not by the addon)

interface Rec {
  key?: Buffer;
  value: Buffer;
  tsDelta?: number;
}

function encodeBatch(records: Rec[], baseTimestamp = 1_700_000_000_000, baseOffset = 0n, leaderEpoch = -1): Buffer {
  return recordBatch(
    records.map((r) => ({ key: r.key ?? null, value: r.value, timestampDelta: r.tsDelta ?? 0 })),
    baseTimestamp,
    undefined,
    { baseOffset, leaderEpoch },
  );
}

function batchOf(n: number, valueBytes = 32, fill = 0x61): Buffer {
  return encodeBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.alloc(valueBytes, fill), tsDelta: i })));
}

const config: Binding.BindingLogConfig = {
  segmentBytes: 16 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 1024,
  maxIndexSizeBytes: 4096,
  maxMessageBytes: 1024 * 1024 + 12,
  logAppendTime: false,
  flushIntervalMessages: Number.MAX_SAFE_INTEGER,
};

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tidelog-native-'));
}

function errorOf(fn: () => unknown): { code?: string; kafkaErrorCode?: number; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; kafkaErrorCode?: number; message: string };
  }
  assert.fail('expected a throw');
}

// ---- tests

test('golden CRC32C: the encoder agrees with the standard check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
});

test('append (async and sync) assigns offsets in place; read + toBuffer return the batches', async () => {
  const dir = tempDir();
  const log = native.BindingLog.open(dir, config, 0);
  const a = batchOf(3);
  const r1 = await log.append(a, 0, Date.now());
  assert.deepEqual([r1.firstOffset, r1.lastOffset, r1.recordCount, r1.logEndOffset], [0, 2, 3, 3]);
  assert.equal(r1.logAppendTimeMs, -1);
  const b = batchOf(2);
  const r2 = log.appendSync(b, 0, Date.now());
  assert.deepEqual([r2.firstOffset, r2.lastOffset, r2.logEndOffset], [3, 4, 5]);
  assert.equal(b.readBigInt64BE(0), 3n, 'baseOffset patched in the caller buffer (no copy)');
  assert.equal(b.readInt32BE(12), 0, 'partitionLeaderEpoch set');
  const two = Buffer.concat([batchOf(1), batchOf(4)]);
  const r3 = await log.append(two, 1, Date.now());
  assert.deepEqual([r3.firstOffset, r3.lastOffset], [5, 9]);

  const slice = log.read(0, 1 << 20, Number.MAX_SAFE_INTEGER, true);
  assert.ok(slice);
  assert.equal(slice.firstOffset, 0);
  assert.equal(slice.lastOffset, 9);
  assert.equal(slice.size, a.length + b.length + two.length);
  assert.deepEqual(await slice.toBuffer(), Buffer.concat([a, b, two]));
  // Any offset inside a batch returns that whole batch.
  for (const offset of [3, 4]) {
    const s = log.read(offset, 1, Number.MAX_SAFE_INTEGER, true);
    assert.ok(s);
    assert.deepEqual(await s.toBuffer(), b);
  }
  assert.equal(log.read(10, 1000, Number.MAX_SAFE_INTEGER, true), null, 'at the log end');
  assert.equal(log.read(3, 1000, 3, true), null, 'at maxOffset');
  const state = log.state();
  assert.deepEqual([state.logStartOffset, state.logEndOffset, state.latestEpoch, state.segmentCount], [0, 10, 1, 1]);
  assert.deepEqual(log.endOffsetForEpoch(0), { leaderEpoch: 0, endOffset: 5 });
  assert.deepEqual(log.endOffsetForEpoch(1), { leaderEpoch: 1, endOffset: 10 });
  assert.deepEqual(log.endOffsetForEpoch(7), { leaderEpoch: -1, endOffset: -1 });
  assert.deepEqual(log.offsetForTimestamp(1_700_000_000_001), { offset: 1, timestamp: 1_700_000_000_001 });
  assert.equal(log.offsetForTimestamp(1_800_000_000_000), null);
  assert.deepEqual(log.maxTimestampAndOffset(), { offset: 9, timestamp: 1_700_000_000_003 }); // the 4-record batch
  log.close();
});

test('sendTo streams a slice to a real TCP socket with sendfile', { timeout: 20_000 }, async () => {
  const dir = tempDir();
  const log = native.BindingLog.open(dir, { ...config, segmentBytes: 64 * 1024 * 1024 }, 0);
  const batches: Buffer[] = [];
  for (let i = 0; i < 64; i++) {
    const b = batchOf(8, 4000, i);
    await log.append(b, 0, Date.now());
    batches.push(b);
  }
  const expected = Buffer.concat(batches);
  const slice = log.read(0, 64 * 1024 * 1024, Number.MAX_SAFE_INTEGER, true);
  assert.ok(slice);
  assert.equal(slice.size, expected.length);

  // trySendTo runs on this thread, which is also the reader's: it sends what the socket takes.
  // A fresh slice of 32 KiB between a head and a tail, to an empty socket, goes out whole
  // where the kernel has cachestat(2) (6.5+) to tell that its pages are cached; elsewhere
  // nothing goes out and the caller sends all three.
  const head = Buffer.from('response head');
  const tail = Buffer.from('tail');
  const [major = 0, minor = 0] = os.release().split('.').map(Number);
  const kernelHasCachestat = major > 6 || (major === 6 && minor >= 5);
  const small = log.read(0, 1, Number.MAX_SAFE_INTEGER, true);
  assert.ok(small);
  const smallBytes = await small.toBuffer();
  const received: Buffer[] = [];
  let receivedBytes = 0;
  let sending: Promise<void> | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const server = net.createServer((conn) => {
      conn.on('data', (d: Buffer) => {
        received.push(d);
        receivedBytes += d.length;
        if (receivedBytes >= head.length + smallBytes.length + tail.length + expected.length) {
          conn.end();
          server.close();
          resolve();
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      const client = net.connect(port, '127.0.0.1', () => {
        const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
        sending = (async () => {
          assert.ok(fd > 0);
          const sentHere = small.trySendTo(fd, head, tail);
          if (kernelHasCachestat) {
            assert.equal(sentHere, head.length + smallBytes.length + tail.length);
          } else {
            assert.equal(sentHere, 0);
            client.write(head);
            await new Promise<void>((resolve) => client.write(Buffer.alloc(0), () => resolve()));
            assert.equal(await small.sendTo(fd), smallBytes.length);
            client.write(tail);
            await new Promise<void>((resolve) => client.write(Buffer.alloc(0), () => resolve()));
          }
          assert.equal(await slice.sendTo(fd), expected.length);
        })();
        sending.catch(reject);
      });
      client.on('error', reject);
      client.on('end', () => client.destroy());
    });
  });
  await done;
  await sending;
  assert.deepEqual(Buffer.concat(received), Buffer.concat([head, smallBytes, tail, expected]));
  log.close();
});

test('tryReadInto copies a cached slice into a reused buffer from an offset, in pieces from skip', async () => {
  const dir = tempDir();
  const log = native.BindingLog.open(dir, { ...config, segmentBytes: 64 * 1024 * 1024 }, 0);
  for (let i = 0; i < 16; i++) await log.append(batchOf(8, 1000, 0x41 + i), 0, Date.now());
  const slice = log.read(0, 64 * 1024 * 1024, Number.MAX_SAFE_INTEGER, true);
  assert.ok(slice);
  const expected = await slice.toBuffer(); // also brings every page into the page cache
  const [major = 0, minor = 0] = os.release().split('.').map(Number);
  const kernelHasCachestat = major > 6 || (major === 6 && minor >= 5);
  const dest = Buffer.alloc(40_000, 0xee);
  const first = slice.tryReadInto(dest, 100, 0);
  if (!kernelHasCachestat) {
    // Nothing can tell that the pages are cached: nothing is read on the loop.
    assert.equal(first, 0);
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  // From byte 100 of the buffer to its end; the bytes before are left alone.
  assert.equal(first, dest.length - 100);
  assert.deepEqual(dest.subarray(100), expected.subarray(0, first));
  assert.ok(dest.subarray(0, 100).every((b) => b === 0xee));
  // The rest, piece by piece, from where the last piece ended; then nothing is left.
  const got = [expected.subarray(0, first)];
  let skip = first;
  while (skip < expected.length) {
    const n = slice.tryReadInto(dest, 0, skip);
    assert.ok(n > 0 && n <= dest.length, `read ${n} from ${skip}`);
    got.push(Buffer.from(dest.subarray(0, n)));
    skip += n;
  }
  assert.deepEqual(Buffer.concat(got), expected);
  assert.equal(slice.tryReadInto(dest, 0, expected.length), 0);
  assert.equal(slice.tryReadInto(dest, dest.length, 0), 0, 'no room left in the buffer');
  log.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('errors carry the Kafka error name as code and the numeric kafkaErrorCode', async () => {
  const dir = tempDir();
  const log = native.BindingLog.open(dir, { ...config, maxMessageBytes: 1000 }, 0);
  const corrupt = batchOf(2);
  corrupt[corrupt.length - 3]! ^= 0xff;
  const sync = errorOf(() => log.appendSync(corrupt, 0, 0));
  assert.ok((sync as unknown) instanceof Error);
  assert.equal(sync.code, 'CORRUPT_MESSAGE');
  assert.equal(sync.kafkaErrorCode, 2);
  assert.match(sync.message, /^CORRUPT_MESSAGE: .*CRC32C/);
  await assert.rejects(log.append(corrupt, 0, 0), { code: 'CORRUPT_MESSAGE', kafkaErrorCode: 2 });
  assert.equal(log.state().logEndOffset, 0, 'nothing written');

  const v1 = batchOf(1);
  v1.writeInt8(1, 16);
  assert.equal(errorOf(() => log.appendSync(v1, 0, 0)).code, 'UNSUPPORTED_FOR_MESSAGE_FORMAT');
  assert.equal(errorOf(() => log.appendSync(batchOf(1, 2000), 0, 0)).kafkaErrorCode, 10);
  const badCount = batchOf(3);
  badCount.writeInt32BE(7, 23);
  badCount.writeUInt32BE(crc32c(badCount.subarray(21)), 17);
  assert.equal(errorOf(() => log.appendSync(badCount, 0, 0)).code, 'INVALID_RECORD');

  log.appendSync(batchOf(2), 3, 0);
  const oor = errorOf(() => log.read(5, 100, Number.MAX_SAFE_INTEGER, true));
  assert.deepEqual([oor.code, oor.kafkaErrorCode], ['OFFSET_OUT_OF_RANGE', 1]);
  assert.equal(errorOf(() => log.appendSync(batchOf(1), 2, 0)).code, 'FENCED_LEADER_EPOCH');
  assert.equal(errorOf(() => log.updateConfig({ ...config, segmentBytes: 1 })).code, 'INVALID_CONFIG');
  assert.equal(errorOf(() => native.BindingLog.open(tempDir(), { ...config, segmentMs: -5 }, 0)).code, 'INVALID_CONFIG');

  log.close();
  log.close(); // a no-op
  const closed = errorOf(() => log.state());
  assert.deepEqual([closed.code, closed.kafkaErrorCode], ['KAFKA_STORAGE_ERROR', 56]);
  await assert.rejects(log.append(batchOf(1), 3, 0), { code: 'KAFKA_STORAGE_ERROR' });
  await assert.rejects(log.flush(), { code: 'KAFKA_STORAGE_ERROR' });
});

test('close + reopen keeps offsets, epochs and bytes; flush advances the recovery point', async () => {
  const dir = tempDir();
  let log = native.BindingLog.open(dir, config, 0);
  const written: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const b = batchOf(1 + (i % 3), 200, i);
    await log.append(b, i < 25 ? 0 : 4, Date.now());
    written.push(b);
  }
  assert.ok(log.state().unflushedMessages > 0);
  await log.flush();
  const flushed = log.state();
  assert.equal(flushed.recoveryPoint, flushed.logEndOffset);
  assert.equal(flushed.unflushedMessages, 0);
  assert.ok(flushed.segmentCount > 1, 'rolled at 16 KiB');
  log.close();

  log = native.BindingLog.open(dir, config, flushed.logEndOffset);
  const reopened = log.state();
  assert.deepEqual(
    [reopened.logStartOffset, reopened.logEndOffset, reopened.segmentCount, reopened.latestEpoch],
    [0, flushed.logEndOffset, flushed.segmentCount, 4],
  );
  const all: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const s = log.read(offset, 1 << 20, Number.MAX_SAFE_INTEGER, true);
    if (!s) break;
    all.push(await s.toBuffer());
    offset = s.lastOffset + 1;
  }
  assert.deepEqual(Buffer.concat(all), Buffer.concat(written));

  // A follower copy of the same bytes keeps their offsets.
  const follower = native.BindingLog.open(tempDir(), config, 0);
  const r = await follower.appendAsFollower(Buffer.concat(all));
  assert.deepEqual([r.firstOffset, r.logEndOffset], [0, flushed.logEndOffset]);
  assert.deepEqual(follower.endOffsetForEpoch(0), log.endOffsetForEpoch(0));
  follower.close();

  // Retention and truncation keep offsets continuous.
  const before = log.state();
  const deleted = log.deleteOldSegments(Date.now(), -1, 1000);
  assert.ok(deleted > 0);
  const after = log.state();
  assert.ok(after.logStartOffset > 0 && after.sizeBytes <= before.sizeBytes);
  log.truncateTo(after.logEndOffset - 1);
  log.deleteRecordsBefore(after.logStartOffset + 1);
  assert.equal(log.state().logStartOffset, after.logStartOffset + 1);
  log.close();
});
