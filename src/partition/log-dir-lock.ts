// Owns the exclusive locks on the broker's log directories (Kafka's `.lock` in every
// log.dirs entry, LogManager.lockLogDirs): taken before anything in a directory is read or
// written, held for the life of the broker, released at shutdown or by the process's end.
// A directory that another broker (Tidelog or Kafka) holds stops start-up with a message
// naming the directory and, when known, the holder's pid.
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { native } from '../native.js';
import type { BindingLogDirLock } from '../native.js';

/** A log directory could not be prepared or locked; the message names `log.dirs` and the dir. */
export class LogDirError extends Error {
  constructor(
    message: string,
    readonly dir: string,
    /** The pid of the process holding the directory, when known. */
    readonly holderPid: number | null = null,
  ) {
    super(message);
    this.name = 'LogDirError';
  }
}

/** The locks on every log dir, released together. */
export class LogDirLocks {
  private constructor(private readonly locks: BindingLogDirLock[]) {}

  /**
   * Creates each directory if missing and locks it. All or nothing: when one fails, the
   * locks already taken are released before the error is thrown.
   */
  static acquire(dirs: readonly string[]): LogDirLocks {
    const taken: BindingLogDirLock[] = [];
    try {
      for (const dir of dirs) taken.push(lockDir(dir));
    } catch (err) {
      for (const lock of taken) lock.release();
      throw err;
    }
    return new LogDirLocks(taken);
  }

  release(): void {
    for (const lock of this.locks) lock.release();
  }
}

/**
 * Creates `dir` and its missing parents one level at a time. Not mkdirSync's `recursive`: on
 * a file system that answers ENOENT to every mkdir (/proc), Node 20's recursive mkdir loops
 * for ever at full CPU.
 */
function makeDirectory(dir: string): void {
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  for (let d = absolute; ; d = path.dirname(d)) {
    try {
      if (!statSync(d).isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || d === path.dirname(d)) throw err;
      missing.push(d);
    }
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

function lockDir(dir: string): BindingLogDirLock {
  try {
    makeDirectory(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new LogDirError(`log.dirs: cannot create the log directory ${dir}: ${e.code ?? e.message}`, dir);
  }
  try {
    return native.BindingLogDirLock.acquire(dir);
  } catch (err) {
    const e = err as Error & { code?: string; holderPid?: number };
    if (e.code === 'LOG_DIR_LOCKED') {
      const holder = e.holderPid ? ` by process ${e.holderPid}` : '';
      throw new LogDirError(
        `log.dirs: the log directory ${dir} is locked${holder}: another broker is using it`,
        dir,
        e.holderPid ?? null,
      );
    }
    throw new LogDirError(`log.dirs: the log directory ${dir} is not usable: ${e.message}`, dir);
  }
}
