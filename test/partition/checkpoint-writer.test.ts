// Checkpoint files are rewritten only when what they would hold changed: OffsetCheckpointWriter
// on real files (a skipped write leaves the same inode; a new text, or a file removed
// meanwhile, is written), and a real broker whose periodic high watermark and recovery point
// checkpoints leave the files alone while it is idle and rewrite them after a produce.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startBroker } from '../../src/embedded.js';
import { OffsetCheckpointWriter, readOffsetCheckpoint } from '../../src/partition/checkpoint.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { recordBatch } from '../helpers/batch.js';
import { tempDir } from '../helpers/broker-process.js';

const inode = (file: string): number => statSync(file).ino;

describe('OffsetCheckpointWriter', () => {
  const dir = tempDir('tidelog-checkpoint-writer-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('skips a write of what the file already holds, and writes a change or a removed file', () => {
    const file = path.join(dir, 'replication-offset-checkpoint');
    const writer = new OffsetCheckpointWriter();
    assert.equal(writer.write(file, [['t', 0, 5], ['t', 1, 7]]), true);
    assert.equal(readFileSync(file, 'utf8'), '0\n2\nt 0 5\nt 1 7\n');
    const first = inode(file);

    assert.equal(writer.write(file, [['t', 0, 5], ['t', 1, 7]]), false);
    assert.equal(inode(file), first, 'the same text: the file is not replaced');

    assert.equal(writer.write(file, [['t', 0, 6], ['t', 1, 7]]), true);
    assert.notEqual(inode(file), first, 'a new text goes through a new file and a rename');
    assert.deepEqual([...readOffsetCheckpoint(file)], [['t-0', 6], ['t-1', 7]]);

    rmSync(file);
    assert.equal(writer.write(file, [['t', 0, 6], ['t', 1, 7]]), true, 'a removed file is written again');
    assert.equal(readFileSync(file, 'utf8'), '0\n2\nt 0 6\nt 1 7\n');

    // Another writer (another owner) knows nothing of this one's writes.
    writeFileSync(file, '0\n0\n');
    assert.equal(new OffsetCheckpointWriter().write(file, [['t', 0, 6], ['t', 1, 7]]), true);
    assert.equal(readFileSync(file, 'utf8'), '0\n2\nt 0 6\nt 1 7\n');
  });
});

describe('OffsetCheckpointWriter in the background', () => {
  const dir = tempDir('tidelog-checkpoint-writer-bg-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('skips what it last asked for, and lands the newest text when writes overlap', async () => {
    const file = path.join(dir, 'replication-offset-checkpoint');
    const writer = new OffsetCheckpointWriter();
    assert.equal(await writer.writeInBackground(file, [['t', 0, 5]]), true);
    assert.equal(await writer.writeInBackground(file, [['t', 0, 5]]), false, 'unchanged: not rewritten');
    // 6 is asked while nothing runs, then 5 again before 6 landed: 5 is not "unchanged" then.
    const six = writer.writeInBackground(file, [['t', 0, 6]]);
    const fiveAgain = writer.writeInBackground(file, [['t', 0, 5]]);
    assert.deepEqual(await Promise.all([six, fiveAgain]), [true, true]);
    assert.deepEqual([...readOffsetCheckpoint(file)], [['t-0', 5]]);
    // A synchronous write after a background one it overtakes.
    const seven = writer.writeInBackground(file, [['t', 0, 7]]);
    assert.equal(writer.write(file, [['t', 0, 8]]), true);
    assert.equal(await seven, false, 'overtaken by the synchronous write');
    assert.deepEqual([...readOffsetCheckpoint(file)], [['t-0', 8]]);
    assert.equal(await writer.writeInBackground(file, [['t', 0, 8]]), false, 'the synchronous text counts as asked');
  });
});

describe("a broker's periodic checkpoints", { timeout: 60_000 }, () => {
  it('leave the files alone while nothing changes and rewrite them after a produce', async () => {
    const broker = await startBroker({ config: { 'offsets.topic.num.partitions': 1 } });
    try {
      const { topics, logs } = broker.broker.services;
      assert.equal((await topics.createTopic('idle', 2, 1, {})).errorCode, ErrorCode.NONE);
      const hwFile = path.join(broker.dataDir, 'replication-offset-checkpoint');
      const recoveryFile = path.join(broker.dataDir, 'recovery-point-offset-checkpoint');
      await logs.checkpointHighWatermarks();
      await logs.checkpointRecoveryPoints();
      const before = { hw: inode(hwFile), recovery: inode(recoveryFile) };

      await logs.checkpointHighWatermarks();
      await logs.checkpointRecoveryPoints();
      assert.deepEqual({ hw: inode(hwFile), recovery: inode(recoveryFile) }, before, 'idle: neither file is rewritten');

      const c = await KafkaConnection.connect(broker.host, broker.port);
      try {
        const r = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 10_000, topicData: [{ name: 'idle', partitionData: [{ index: 1, records: recordBatch([{ value: 'a' }, { value: 'b' }]) }] }] });
        assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
      } finally {
        c.close();
      }
      await logs.checkpointHighWatermarks();
      assert.notEqual(inode(hwFile), before.hw, 'the high watermark moved: rewritten');
      assert.equal(readOffsetCheckpoint(hwFile).get('idle-1'), 2);
    } finally {
      await broker.close();
      rmSync(broker.dataDir, { recursive: true, force: true });
    }
  });
});
