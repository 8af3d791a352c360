// Group configs (Kafka 4.4's GroupConfig, the GROUP config resource 32) on one broker process:
//   - IncrementalAlterConfigs validates with Kafka's messages (checked against Kafka 4.4's
//     GroupConfig.validate with the broker defaults: unknown names, types, lower bounds, the
//     broker's min/max, the session timeout over the heartbeat interval);
//   - DescribeConfigs lists every Kafka 4.4 key, the group's values as DYNAMIC_GROUP_CONFIG;
//   - the consumer-group coordinator applies consumer.heartbeat.interval.ms (KIP-848's
//     ConsumerGroupHeartbeat answers it), the share-group coordinator share.heartbeat.interval.ms;
//   - the configs survive a broker kill and restart (the data directory's metadata file).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { SHARE_BROKER_OVERRIDES } from './share-fixtures.js';

const GROUP_RESOURCE = 32;
const SET = 0;
const DELETE = 1;
const TOPIC = 'group-configs-topic';

type Op = { name: string; configOperation: number; value: string | null };

async function alter(conn: KafkaConnection, group: string, configs: Op[], validateOnly = false): Promise<{ errorCode: number; errorMessage: string | null }> {
  const r = await conn.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: GROUP_RESOURCE, resourceName: group, configs }], validateOnly });
  const { errorCode, errorMessage } = r.responses[0]!;
  return { errorCode, errorMessage };
}

async function describeGroup(conn: KafkaConnection, group: string): Promise<Map<string, { value: string | null; configSource: number }>> {
  const r = await conn.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: GROUP_RESOURCE, resourceName: group, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  assert.equal(r.results[0]!.errorCode, ErrorCode.NONE);
  return new Map(r.results[0]!.configs.map((c) => [c.name, { value: c.value, configSource: c.configSource }]));
}

describe('group configs (GROUP config resource) on one broker', { timeout: 120_000 }, () => {
  const dataDir = tempDir('tidelog-group-configs-');
  let broker: BrokerProcess;
  let conn: KafkaConnection;

  before(async () => {
    broker = await startBrokerProcess({ dataDir, overrides: SHARE_BROKER_OVERRIDES });
    conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'group-configs');
  });

  after(async () => {
    conn?.close();
    await broker?.stop();
    removeDir(dataDir);
  });

  it('refuses bad values with Kafka 4.4 GroupConfig.validate messages', async () => {
    // Each message as Kafka 4.4 gives it for the same value with the same broker defaults.
    const cases: [Op, string][] = [
      [{ name: 'nope.x', configOperation: SET, value: '1' }, 'Unknown group config name: nope.x'],
      [{ name: 'consumer.session.timeout.ms', configOperation: SET, value: '1000' }, 'consumer.session.timeout.ms must be in the range 45000 to 60000 inclusive.'],
      [{ name: 'consumer.heartbeat.interval.ms', configOperation: SET, value: '60000' }, 'consumer.heartbeat.interval.ms must be in the range 5000 to 15000 inclusive.'],
      [{ name: 'consumer.session.timeout.ms', configOperation: SET, value: 'abc' }, 'Invalid value abc for configuration consumer.session.timeout.ms: Not a number of type INT'],
      [{ name: 'consumer.assignment.interval.ms', configOperation: SET, value: '-1' }, 'Invalid value -1 for configuration consumer.assignment.interval.ms: Value must be at least 0'],
      [{ name: 'share.delivery.count.limit', configOperation: SET, value: '1' }, 'Invalid value 1 for configuration share.delivery.count.limit: Value must be at least 2'],
      [{ name: 'share.delivery.count.limit', configOperation: SET, value: '11' }, 'share.delivery.count.limit must be in the range 2 to 10 inclusive.'],
      [{ name: 'share.record.lock.duration.ms', configOperation: SET, value: '1000' }, 'share.record.lock.duration.ms must be in the range 15000 to 60000 inclusive.'],
      [{ name: 'share.isolation.level', configOperation: SET, value: 'foo' }, 'Invalid value foo for configuration share.isolation.level: String must be one of: read_committed, read_uncommitted'],
      [{ name: 'share.auto.offset.reset', configOperation: SET, value: 'foo' }, "Invalid value foo for configuration share.auto.offset.reset: Invalid value `foo` for configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'."],
      [{ name: 'consumer.assignor.offload.enable', configOperation: SET, value: '0' }, 'Invalid value 0 for configuration consumer.assignor.offload.enable: Expected value to be either true or false'],
      [{ name: 'streams.num.standby.replicas', configOperation: SET, value: '999999999' }, 'streams.num.standby.replicas must be less than or equal to 2'],
      [{ name: 'errors.deadletterqueue.topic.name', configOperation: SET, value: '__x' }, "errors.deadletterqueue.topic.name: DLQ topic name must not start with '__'"],
    ];
    for (const [op, message] of cases) {
      const r = await alter(conn, 'g-bad', [op]);
      assert.deepEqual(r, { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: message }, `${op.name}=${String(op.value)}`);
    }
    assert.equal((await describeGroup(conn, 'g-bad')).get('share.delivery.count.limit')?.configSource, 4, 'nothing was set');
  });

  it('describes every key; the group coordinators apply the group values; they survive a restart', async () => {
    const group = 'g-set';
    assert.deepEqual(await alter(conn, group, [{ name: 'consumer.heartbeat.interval.ms', configOperation: SET, value: '7000' }], true), { errorCode: ErrorCode.NONE, errorMessage: null });
    assert.equal((await describeGroup(conn, group)).get('consumer.heartbeat.interval.ms')?.value, '5000', 'validateOnly changes nothing');
    const set = await alter(conn, group, [
      { name: 'consumer.heartbeat.interval.ms', configOperation: SET, value: '7000' },
      { name: 'consumer.session.timeout.ms', configOperation: SET, value: '50000' },
      { name: 'share.auto.offset.reset', configOperation: SET, value: 'earliest' },
    ]);
    assert.deepEqual(set, { errorCode: ErrorCode.NONE, errorMessage: null });
    const share = await alter(conn, 'g-share', [{ name: 'share.heartbeat.interval.ms', configOperation: SET, value: '6000' }]);
    assert.deepEqual(share, { errorCode: ErrorCode.NONE, errorMessage: null });

    const check = async (): Promise<void> => {
      const d = await describeGroup(conn, group);
      // Kafka 4.4's GroupConfig keys, in its order.
      assert.deepEqual([...d.keys()].slice(0, 4), ['consumer.session.timeout.ms', 'consumer.heartbeat.interval.ms', 'consumer.assignment.interval.ms', 'consumer.assignor.offload.enable']);
      assert.equal(d.size, 27);
      assert.deepEqual(d.get('consumer.heartbeat.interval.ms'), { value: '7000', configSource: 8 });
      assert.deepEqual(d.get('consumer.session.timeout.ms'), { value: '50000', configSource: 8 });
      assert.deepEqual(d.get('share.auto.offset.reset'), { value: 'earliest', configSource: 8 });
      assert.deepEqual(d.get('share.isolation.level'), { value: 'read_uncommitted', configSource: 5 });
      // KIP-848: the coordinator gives the group's heartbeat interval to a joining member.
      const produced = await kcat(['-P', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0'], 'x\n');
      assert.equal(produced.code, 0, produced.stderr);
      const hb = await conn.request(ApiKey.ConsumerGroupHeartbeat, 1, { groupId: group, memberId: `m-${Date.now()}`, memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: [TOPIC], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });
      assert.equal(hb.errorCode, ErrorCode.NONE, hb.errorMessage ?? '');
      assert.equal(hb.heartbeatIntervalMs, 7000);
      const leave = await conn.request(ApiKey.ConsumerGroupHeartbeat, 1, { groupId: group, memberId: hb.memberId!, memberEpoch: -1, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null });
      assert.equal(leave.errorCode, ErrorCode.NONE);
      const shb = await conn.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'g-share', memberId: `s-${Date.now()}`, memberEpoch: 0, rackId: null, subscribedTopicNames: [TOPIC] });
      assert.equal(shb.errorCode, ErrorCode.NONE, shb.errorMessage ?? '');
      assert.equal(shb.heartbeatIntervalMs, 6000);
      await conn.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: 'g-share', memberId: shb.memberId!, memberEpoch: -1, rackId: null, subscribedTopicNames: null });
    };
    await check();

    await broker.kill();
    conn.close();
    broker = await startBrokerProcess({ dataDir, overrides: SHARE_BROKER_OVERRIDES });
    conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'group-configs');
    await check();

    // DELETE goes back to the broker's value.
    assert.deepEqual(await alter(conn, group, [{ name: 'consumer.heartbeat.interval.ms', configOperation: DELETE, value: null }]), { errorCode: ErrorCode.NONE, errorMessage: null });
    assert.deepEqual((await describeGroup(conn, group)).get('consumer.heartbeat.interval.ms'), { value: '5000', configSource: 4 });
  });
});
