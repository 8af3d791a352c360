// The ZooKeeper test harness itself: a real server answers on its port, stops, and restarts
// on the same port and data directory with its data (mntr's znode count) intact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fourLetterWord, startZooKeeper } from './zookeeper.js';

function znodeCount(mntr: string | null): number {
  const line = mntr?.split('\n').find((l) => l.startsWith('zk_znode_count'));
  assert.ok(line, `mntr answers zk_znode_count:\n${mntr}`);
  return Number(line.split(/\s+/)[1]);
}

describe('ZooKeeper test harness', { timeout: 90_000 }, () => {
  it('starts a standalone 3.8 server, stops it and restarts it on the same port and data', async () => {
    const zk = await startZooKeeper();
    try {
      const srvr = await fourLetterWord(zk.port, 'srvr');
      assert.match(srvr ?? '', /Zookeeper version: 3\.8\./);
      assert.match(srvr ?? '', /Mode: standalone/);
      const before = znodeCount(await fourLetterWord(zk.port, 'mntr'));
      await zk.stop();
      assert.equal(zk.running, false);
      assert.equal(await fourLetterWord(zk.port, 'ruok', 300), null, 'nothing answers while stopped');
      await zk.restart();
      assert.equal(await fourLetterWord(zk.port, 'ruok'), 'imok');
      assert.equal(znodeCount(await fourLetterWord(zk.port, 'mntr')), before);
      await zk.kill();
      await zk.restart();
      assert.equal(await fourLetterWord(zk.port, 'ruok'), 'imok', 'restarts after SIGKILL too');
    } finally {
      await zk.close();
    }
  });
});
