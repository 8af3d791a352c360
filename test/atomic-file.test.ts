// Files replaced atomically, on real files in a temporary directory: a background write lands
// its text and leaves no temporary file; of several asked at once the last one lands and the
// ones it replaced resolve false; a synchronous write, or supersedeWrites before a delete,
// keeps a background write then running from landing over it; a write whose directory went
// away fails unless it was superseded; backgroundWritesSettled waits for all of them.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  backgroundTempPath,
  backgroundWritesSettled,
  supersedeWrites,
  syncTempPath,
  writeFileAtomically,
  writeFileAtomicallyInBackground,
} from '../src/atomic-file.js';
import { tempDir } from './helpers/broker-process.js';

describe('atomic file writes', () => {
  const root = tempDir('tidelog-atomic-file-');
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  /** A new directory with one file path in it (not created). */
  const fresh = (): { dir: string; file: string } => {
    const dir = path.join(root, `case-${++n}`);
    mkdirSync(dir);
    return { dir, file: path.join(dir, 'checkpoint') };
  };

  it('writes in the background: the file holds the text and no temporary file is left', async () => {
    const { dir, file } = fresh();
    assert.equal(await writeFileAtomicallyInBackground(file, 'one\n'), true);
    assert.equal(readFileSync(file, 'utf8'), 'one\n');
    assert.equal(await writeFileAtomicallyInBackground(file, 'two\n'), true, 'over an existing file too');
    assert.equal(readFileSync(file, 'utf8'), 'two\n');
    assert.deepEqual(readdirSync(dir), ['checkpoint']);
  });

  it('of several background writes asked at once, runs one at a time and lands the last', async () => {
    const { dir, file } = fresh();
    const asked = ['a', 'b', 'c', 'd'].map((t) => writeFileAtomicallyInBackground(file, t));
    // 'a' starts at once; 'b' and 'c' wait and are replaced by the next one asked; 'd' lands.
    assert.deepEqual(await Promise.all(asked), [true, false, false, true]);
    assert.equal(readFileSync(file, 'utf8'), 'd');
    assert.deepEqual(readdirSync(dir), ['checkpoint']);
  });

  it('a synchronous write wins over a background write still running or waiting', async () => {
    const { dir, file } = fresh();
    const running = writeFileAtomicallyInBackground(file, 'background 1');
    const waiting = writeFileAtomicallyInBackground(file, 'background 2');
    writeFileAtomically(file, 'sync');
    assert.equal(readFileSync(file, 'utf8'), 'sync');
    assert.deepEqual(await Promise.all([running, waiting]), [false, false]);
    assert.equal(readFileSync(file, 'utf8'), 'sync', 'neither landed over the newer text');
    assert.equal(existsSync(syncTempPath(file)), false);
    assert.equal(existsSync(backgroundTempPath(file)), false);
    assert.deepEqual(readdirSync(dir), ['checkpoint']);
    // A background write asked after the synchronous one is newer: it lands.
    assert.equal(await writeFileAtomicallyInBackground(file, 'background 3'), true);
    assert.equal(readFileSync(file, 'utf8'), 'background 3');
  });

  it('supersedeWrites before a delete: the running write does not bring the file back', async () => {
    const { dir, file } = fresh();
    writeFileAtomically(file, 'old');
    const running = writeFileAtomicallyInBackground(file, 'new');
    supersedeWrites(file);
    rmSync(file);
    assert.equal(await running, false);
    assert.deepEqual(readdirSync(dir), [], 'neither the file nor a temporary one');
  });

  it('a background write whose directory went away rejects, unless it was superseded first', async () => {
    const gone = fresh();
    const failing = writeFileAtomicallyInBackground(gone.file, 'lost');
    renameSync(gone.dir, `${gone.dir}-gone`);
    await assert.rejects(failing, (err: NodeJS.ErrnoException) => err.code === 'ENOENT');

    // A partition deleted as LogManager does it: superseded, then its directory renamed away.
    const deleted = fresh();
    const superseded = writeFileAtomicallyInBackground(deleted.file, 'dropped');
    supersedeWrites(deleted.file);
    renameSync(deleted.dir, `${deleted.dir}-delete`);
    assert.equal(await superseded, false);
    assert.deepEqual(readdirSync(`${deleted.dir}-delete`).filter((f) => f === 'checkpoint'), [], 'nothing landed under the old name');
    // The same file can be written again once its directory is back.
    mkdirSync(deleted.dir);
    assert.equal(await writeFileAtomicallyInBackground(deleted.file, 'again'), true);
    assert.equal(readFileSync(deleted.file, 'utf8'), 'again');
  });

  it('backgroundWritesSettled resolves once every background write has finished', async () => {
    const a = fresh();
    const b = fresh();
    const results: boolean[] = [];
    for (const [file, text] of [[a.file, '1'], [a.file, '2'], [b.file, '3']] as const) void writeFileAtomicallyInBackground(file, text).then((r) => results.push(r));
    await backgroundWritesSettled();
    assert.equal(results.length, 3, 'every promise settled before');
    assert.equal(readFileSync(a.file, 'utf8'), '2');
    assert.equal(readFileSync(b.file, 'utf8'), '3');
    await backgroundWritesSettled(); // and at once when none runs
  });
});
