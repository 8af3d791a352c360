// Files replaced whole and atomically (checkpoints, producer state snapshots, the local
// metadata and ACL stores): the new text goes to a temporary file beside the old one, is
// fsynced, and is renamed over it, so a crash leaves the old file or the new one, never a
// mix. Two ways to write one:
// - writeFileAtomically: all of it now, on the calling thread (start-up, shutdown, a file
//   read back at once).
// - writeFileAtomicallyInBackground: open, write, fsync and close on the libuv thread pool,
//   only the rename on the event loop, for the periodic writes of a busy broker (an fsync is
//   0.4-2 ms here; 500 producer snapshots written on the loop held every request for about
//   175 ms, in the background for 2.5 ms at most: bench/checkpoint-stall.ts).
// This module owns the order of the writes to one path (the path is the key; the file
// system is one per process): background writes of a file run one at a time, and one asked
// for while another runs waits; a newer one replaces it (the older promise resolves false).
// A synchronous write, or supersedeWrites before a delete, makes every background write of
// that file then pending or running not land: the rename is the one step that makes a write
// visible, and it runs on the event loop after a check that nothing newer came, so the last
// write asked for is the one the file holds. The two ways use different temporary files
// (`.tmp`, `.background.tmp`), so a synchronous write never truncates one a background write
// is still filling. A crash can leave either temporary file behind; the next write replaces
// it, and a partition directory's are deleted when its log opens.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** The temporary file of a synchronous write of `file`. */
export function syncTempPath(file: string): string {
  return `${file}.tmp`;
}

/** The temporary file of a background write of `file`. */
export function backgroundTempPath(file: string): string {
  return `${file}.background.tmp`;
}

/** One file's background writes: the generation they were asked in, the one running and the one waiting. */
interface FileWrites {
  /** Bumped by every synchronous write and supersedeWrites: a background write asked in an older generation must not land. */
  generation: number;
  running: boolean;
  waiting: { readonly text: string; readonly generation: number; readonly settle: (result: boolean | Error) => void } | null;
}

const writes = new Map<string, FileWrites>();
/** Resolvers of backgroundWritesSettled, called when no background write runs or waits. */
let settledWaiters: (() => void)[] = [];

/** Writes `text` to `file` now, on the calling thread; background writes of `file` asked before it will not land. Throws on I/O errors. */
export function writeFileAtomically(file: string, text: string): void {
  supersedeWrites(file);
  const tmp = syncTempPath(file);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * Writes `text` to `file` with the file work on the thread pool. Resolves true once `file`
 * holds `text`, false if a newer write (or supersedeWrites) came first and this one was
 * dropped; rejects on an I/O error of a write that was still the newest.
 */
export function writeFileAtomicallyInBackground(file: string, text: string): Promise<boolean> {
  let state = writes.get(file);
  if (!state) {
    state = { generation: 0, running: false, waiting: null };
    writes.set(file, state);
  }
  const s = state;
  return new Promise<boolean>((resolve, reject) => {
    // The one waiting is older than this one: it is dropped.
    s.waiting?.settle(false);
    s.waiting = { text, generation: s.generation, settle: (result) => (result instanceof Error ? reject(result) : resolve(result)) };
    if (!s.running) runNext(file, s);
  });
}

/** Background writes of `file` pending or running now will not land (call before deleting it). */
export function supersedeWrites(file: string): void {
  const s = writes.get(file);
  if (s) s.generation++;
}

/** Resolves once no background write runs or waits (every file's). */
export function backgroundWritesSettled(): Promise<void> {
  if (writes.size === 0) return Promise.resolve();
  return new Promise((resolve) => settledWaiters.push(resolve));
}

function runNext(file: string, s: FileWrites): void {
  const next = s.waiting;
  s.waiting = null;
  if (!next) {
    writes.delete(file);
    if (writes.size === 0) {
      const waiters = settledWaiters;
      settledWaiters = [];
      for (const w of waiters) w();
    }
    return;
  }
  const finish = (result: boolean | Error): void => {
    s.running = false;
    next.settle(result);
    runNext(file, s);
  };
  if (next.generation !== s.generation) {
    finish(false);
    return;
  }
  s.running = true;
  const tmp = backgroundTempPath(file);
  writeAndSync(tmp, next.text).then(
    () => {
      // Back on the event loop: land the write unless a newer one was asked meanwhile.
      if (next.generation !== s.generation) {
        rmSync(tmp, { force: true });
        finish(false);
        return;
      }
      try {
        renameSync(tmp, file);
        finish(true);
      } catch (err) {
        finish(err as Error);
      }
    },
    (err: unknown) => {
      // A superseded write that failed (its directory deleted meanwhile, say) is only dropped.
      if (next.generation !== s.generation) {
        rmSync(tmp, { force: true });
        finish(false);
      } else {
        finish(err as Error);
      }
    },
  );
}

/** Creates (or truncates) `tmp`, writes `text`, fsyncs and closes it, on the thread pool. */
async function writeAndSync(tmp: string, text: string): Promise<void> {
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
