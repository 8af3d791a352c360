// The page-cache state of a topic's segment files, which a consumer scenario sets before it
// measures: a read served from memory and a read from the disk cost a broker different CPU,
// and which one a scenario measures must not depend on how long ago the data was written.
// This machine hands page cache back to its host: a DAMON scheme pages out file pages that
// were not touched for about a minute (BENCHMARKS.md, "The consumer: the page cache and the
// idle cluster").
//
// Works on the brokers' data directories from the outside, the same way for both brokers:
// reads the files to warm them, `sync` and `dd iflag=nocache` (POSIX_FADV_DONTNEED) to evict
// them, util-linux's `fincore` to count what is cached.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';

/** The segment files (`*.log`) of `topic`'s partitions anywhere under `dataDir` (every broker's replica). */
export function topicSegmentFiles(dataDir: string, topic: string): string[] {
  const partitionDir = new RegExp(`^${topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
  const files: string[] = [];
  const walk = (dir: string, inPartition: boolean): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, partitionDir.test(e.name));
      else if (inPartition && e.name.endsWith('.log')) files.push(p);
    }
  };
  walk(dataDir, false);
  return files;
}

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} ...: exit ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Reads every file through, so all its pages are in the page cache and recently used. */
export function warmFiles(files: readonly string[]): void {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      while (readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

/** Writes the files' dirty pages back, then drops all their pages from the page cache. */
export function evictFiles(files: readonly string[]): void {
  if (files.length === 0) return;
  run('sync', files);
  for (const f of files) run('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none']);
}

/** Bytes of the files in the page cache, and their size, by fincore. */
export function residency(files: readonly string[]): { cachedBytes: number; bytes: number } {
  if (files.length === 0) return { cachedBytes: 0, bytes: 0 };
  let cachedBytes = 0;
  let bytes = 0;
  for (const line of run('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES,SIZE', ...files]).trim().split('\n')) {
    const [res, size] = line.trim().split(/\s+/).map(Number);
    cachedBytes += res ?? 0;
    bytes += size ?? 0;
  }
  return { cachedBytes, bytes };
}

/** "412 of 524 MiB in the page cache" */
export function describeResidency(r: { cachedBytes: number; bytes: number }): string {
  return `${(r.cachedBytes / 2 ** 20).toFixed(0)} of ${(r.bytes / 2 ** 20).toFixed(0)} MiB in the page cache`;
}
