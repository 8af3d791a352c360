// __consumer_offsets on a single node (embedded broker): Kafka's rule that the topic needs
// offsets.topic.replication.factor live brokers holds here too (the default 3 refuses on one
// node, COORDINATOR_NOT_AVAILABLE), and with 1 the first FindCoordinator creates it with
// offsets.topic.num.partitions partitions, compacted, segment.bytes from
// offsets.topic.segment.bytes and the broker's min.insync.replicas, and names this broker.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startBroker } from '../../src/embedded.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { GROUP_METADATA_TOPIC_NAME } from '../../src/groups/offsets-topic.js';

const TOPIC_CONFIG_RESOURCE = 2;

describe('__consumer_offsets on a single node', () => {
  it("the default offsets.topic.replication.factor (3) is refused on one broker, as Kafka's", async () => {
    const broker = await startBroker({ config: { 'offsets.topic.replication.factor': 3 } });
    const c = await KafkaConnection.connect(broker.host, broker.port, 'offsets-topic-test');
    try {
      const r = await c.request(ApiKey.FindCoordinator, 3, { key: 'g', keyType: 0 });
      assert.equal(r.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      assert.equal(broker.broker.topics.getTopic(GROUP_METADATA_TOPIC_NAME), undefined);
    } finally {
      c.close();
      await broker.close();
    }
  });

  it('the first FindCoordinator creates it with the offsets.topic.* settings and names this broker', async () => {
    const broker = await startBroker({ config: { 'offsets.topic.num.partitions': 4, 'offsets.topic.segment.bytes': 1048576, 'min.insync.replicas': 1 } });
    const c = await KafkaConnection.connect(broker.host, broker.port, 'offsets-topic-test');
    try {
      const r = await c.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g', 'h'] });
      for (const found of r.coordinators) {
        assert.equal(found.errorCode, ErrorCode.NONE);
        assert.deepEqual([found.nodeId, found.host, found.port], [broker.broker.brokerId, broker.host, broker.port]);
      }
      const t = broker.broker.topics.getTopic(GROUP_METADATA_TOPIC_NAME)!;
      assert.equal(t.partitions.length, 4);
      const described = await c.request(ApiKey.DescribeConfigs, 4, {
        resources: [{ resourceType: TOPIC_CONFIG_RESOURCE, resourceName: GROUP_METADATA_TOPIC_NAME, configurationKeys: ['cleanup.policy', 'segment.bytes', 'min.insync.replicas', 'compression.type'] }],
        includeSynonyms: false,
        includeDocumentation: false,
      });
      assert.deepEqual(Object.fromEntries(described.results[0]!.configs.map((x) => [x.name, x.value])), {
        'cleanup.policy': 'compact',
        'segment.bytes': '1048576',
        'min.insync.replicas': '1',
        'compression.type': 'producer',
      });
      // min.insync.replicas is the broker's, not an override of the topic (as Kafka).
      assert.equal(t.configs['min.insync.replicas'], undefined);
    } finally {
      c.close();
      await broker.close();
    }
  });
});
