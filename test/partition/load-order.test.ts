// TopicService.loadAll serves each partition as soon as its log is open, the coordinators'
// internal topics first (issue #22: serve partitions as they become ready). With one recovery
// thread the order is deterministic: when `internalReady` resolves every partition of
// __consumer_offsets is ready and no partition of the user topics is yet (their logs are still
// opening on the thread pool): those answer NOT_LEADER_OR_FOLLOWER, a retriable error, as a
// leader that is not ready does. Once `done` resolves, every partition is ready. Real logs in
// a real directory, written by a broker before.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startBroker } from '../../src/embedded.js';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { LocalMetadataStore } from '../../src/cluster/local-metadata-store.js';
import { LogManager } from '../../src/partition/log-manager.js';
import { TopicService } from '../../src/partition/topic-service.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { silentLogger } from '../../src/logger.js';
import { tempDir } from '../helpers/broker-process.js';

describe('loading the partitions at start-up', { timeout: 60_000 }, () => {
  const dataDir = tempDir('tidelog-load-order-');

  before(async () => {
    // A broker creates __consumer_offsets (3 partitions) and two topics of 4, then stops.
    const broker = await startBroker({ dataDir, config: { 'offsets.topic.num.partitions': 3 } });
    assert.equal((await broker.broker.services.topics.createTopic('orders', 4, 1, {})).errorCode, ErrorCode.NONE);
    assert.equal((await broker.broker.services.topics.createTopic('audit', 4, 1, {})).errorCode, ErrorCode.NONE);
    assert.equal(broker.broker.services.groups.findGroupCoordinator('g').errorCode, ErrorCode.NONE);
    await broker.close();
  });

  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('internal topics first; each partition served once its log is open; all of them at the end', async () => {
    const config = buildBrokerConfig(new Map([['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.dirs', dataDir], ['num.recovery.threads.per.data.dir', '1']]));
    const logger = silentLogger();
    const metadata = new LocalMetadataStore(config.logDirs, config.brokerId, config.values['cluster.id']);
    const logs = new LogManager(config, logger);
    const topics = new TopicService(config, metadata, logs, logger, null);
    try {
      const loading = topics.loadAll();
      await loading.internalReady;
      const ready = (topic: string) => topics.partitionsOf(topic).filter((p) => p !== undefined).length;
      assert.equal(ready('__consumer_offsets'), 3, 'every internal partition is ready');
      assert.equal(ready('orders') + ready('audit'), 0, 'the user topics are still opening');
      assert.equal(topics.leaderReplica('orders', 0).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'a partition not ready yet: retriable');
      assert.equal(topics.leaderReplica('__consumer_offsets', 0).errorCode, ErrorCode.NONE);
      await loading.done;
      assert.equal(ready('orders'), 4);
      assert.equal(ready('audit'), 4);
      assert.equal(topics.leaderReplica('orders', 3).errorCode, ErrorCode.NONE);
    } finally {
      await logs.shutdown();
    }
  });
});
