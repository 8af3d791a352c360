// The benchmark's page-cache control (bench/page-cache.ts), on real files: it finds a topic's
// segment files and no others, reads them into the page cache, drops them from it, and
// counts what is cached with util-linux's fincore. The consumer scenarios rest on it.
//
// Dropping pages needs a filesystem with a page cache to drop from: on tmpfs the pages are
// the file, so that case is skipped there, with the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evictFiles, residency, topicSegmentFiles, warmFiles } from '../../bench/page-cache.js';
import { tempDir } from '../helpers/broker-process.js';

const SEGMENT_BYTES = 4 * 1024 * 1024;

describe('bench: page cache of a topic', () => {
  let dir: string;
  let onTmpfs: boolean;

  before(() => {
    dir = tempDir('tidelog-page-cache-');
    const bytes = Buffer.alloc(SEGMENT_BYTES, 7);
    // Two brokers' replicas of orders-0 and orders-1, plus files that must not count: an index
    // beside the segments, another topic, and a topic whose name starts with "orders".
    for (const broker of ['broker-1', 'broker-2/data']) {
      for (const partition of ['orders-0', 'orders-1']) {
        mkdirSync(path.join(dir, broker, partition), { recursive: true });
        writeFileSync(path.join(dir, broker, partition, '00000000000000000000.log'), bytes);
        writeFileSync(path.join(dir, broker, partition, '00000000000000000000.index'), bytes.subarray(0, 4096));
      }
      for (const other of ['payments-0', 'orders-eu-0']) {
        mkdirSync(path.join(dir, broker, other), { recursive: true });
        writeFileSync(path.join(dir, broker, other, '00000000000000000000.log'), bytes.subarray(0, 4096));
      }
    }
    onTmpfs = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim() === 'tmpfs';
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("finds every replica's segment files of the topic and nothing else", () => {
    const files = topicSegmentFiles(dir, 'orders').map((f) => path.relative(dir, f)).sort();
    assert.deepEqual(files, [
      'broker-1/orders-0/00000000000000000000.log',
      'broker-1/orders-1/00000000000000000000.log',
      'broker-2/data/orders-0/00000000000000000000.log',
      'broker-2/data/orders-1/00000000000000000000.log',
    ]);
  });

  it('warms the files into the page cache, all of them', () => {
    const files = topicSegmentFiles(dir, 'orders');
    warmFiles(files);
    assert.deepEqual(residency(files), { cachedBytes: 4 * SEGMENT_BYTES, bytes: 4 * SEGMENT_BYTES });
  });

  it('evicts them from the page cache, and warms them again', (t) => {
    if (onTmpfs) {
      t.skip('tmpfs: the page cache is the file itself');
      return;
    }
    const files = topicSegmentFiles(dir, 'orders');
    evictFiles(files);
    assert.deepEqual(residency(files), { cachedBytes: 0, bytes: 4 * SEGMENT_BYTES });
    // Only the topic's files: another topic's file, read before, is still cached.
    const other = topicSegmentFiles(dir, 'payments');
    warmFiles(other);
    evictFiles(files);
    assert.equal(residency(other).cachedBytes, residency(other).bytes);
    warmFiles(files);
    assert.equal(residency(files).cachedBytes, 4 * SEGMENT_BYTES);
  });
});
