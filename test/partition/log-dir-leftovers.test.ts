// What a crash leaves at the top of a log dir is gone after the next start: the temporary
// files of checkpoint writes that never reached their rename (`.tmp` from a synchronous write,
// `.background.tmp` from a periodic one) and a partition renamed for deletion. The
// checkpoints themselves and the partitions' data stay. A real broker on a real directory.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startBroker } from '../../src/embedded.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { tempDir } from '../helpers/broker-process.js';

describe('a log dir after a crash', { timeout: 60_000 }, () => {
  const dataDir = tempDir('tidelog-leftovers-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('loses its temporary checkpoint files and deleted partitions at start-up, nothing else', async () => {
    const first = await startBroker({ dataDir });
    assert.equal((await first.broker.services.topics.createTopic('kept', 2, 1, {})).errorCode, ErrorCode.NONE);
    await first.close();

    const leftovers = ['recovery-point-offset-checkpoint.background.tmp', 'replication-offset-checkpoint.background.tmp', 'log-start-offset-checkpoint.tmp'];
    for (const name of leftovers) writeFileSync(path.join(dataDir, name), '0\n1\nhalf-written');
    const deleted = path.join(dataDir, 'gone-0.0123456789abcdef0123456789abcdef-delete');
    mkdirSync(deleted);
    writeFileSync(path.join(deleted, '00000000000000000000.log'), '');
    const before = readdirSync(dataDir).filter((n) => !leftovers.includes(n) && n !== path.basename(deleted));

    const second = await startBroker({ dataDir });
    try {
      for (const name of leftovers) assert.equal(existsSync(path.join(dataDir, name)), false, `${name} removed`);
      assert.equal(existsSync(deleted), false, 'the partition renamed for deletion is removed');
      for (const name of before) assert.equal(existsSync(path.join(dataDir, name)), true, `${name} kept`);
      assert.ok(before.includes('recovery-point-offset-checkpoint') && before.includes('kept-0') && before.includes('kept-1'));
    } finally {
      await second.close();
    }
  });
});
