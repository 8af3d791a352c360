// The group APIs on the wire, every served version, through a broker process: requests
// encoded and responses decoded by the generated codecs, so each handler's answer is checked
// to be encodable in each version and to carry the version's fields (MEMBER_ID_REQUIRED from
// JoinGroup v4, batched FindCoordinator from v4, OffsetFetch groups from v8, ...).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { subscription } from './helpers.js';

const TOPIC = 'wire';

describe('group APIs on the wire', { timeout: 180_000 }, () => {
  let broker: BrokerProcess;
  const connections: KafkaConnection[] = [];

  async function connect(clientId = 'wire-test'): Promise<KafkaConnection> {
    const c = await KafkaConnection.connect('127.0.0.1', broker.port, clientId);
    connections.push(c);
    return c;
  }

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 7, 'num.partitions': 2 } });
    const c = await connect();
    const created = await c.request(ApiKey.CreateTopics, 5, { topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  });

  after(async () => {
    for (const c of connections) c.close();
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('ApiVersions advertises the group APIs', async () => {
    const c = await connect();
    const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'wire', clientSoftwareVersion: '1' });
    const range = (k: number) => r.apiKeys.find((a) => a.apiKey === k);
    assert.deepEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 42, 47].map((k) => [k, range(k)?.minVersion, range(k)?.maxVersion]), [
      [8, 2, 9],
      [9, 1, 9],
      [10, 0, 6],
      [11, 0, 9],
      [12, 0, 4],
      [13, 0, 5],
      [14, 0, 5],
      [15, 0, 6],
      [16, 0, 5],
      [42, 0, 2],
      [47, 0, 0],
    ]);
  });

  it('FindCoordinator names this broker for groups (batched from v4) and creates __consumer_offsets', async () => {
    const c = await connect();
    for (let v = 0; v <= 3; v++) {
      const r = await c.request(ApiKey.FindCoordinator, v, { key: `group-${v}`, keyType: 0 });
      assert.deepEqual([r.errorCode, r.nodeId, `${r.host}:${r.port}`], [ErrorCode.NONE, 0, broker.bootstrap], `v${v}`);
    }
    // keyType 1: the transaction coordinator (it creates __transaction_state the same way).
    const txn = await c.request(ApiKey.FindCoordinator, 3, { key: 'txn', keyType: 1 });
    assert.deepEqual([txn.errorCode, txn.nodeId, txn.port], [ErrorCode.NONE, 0, broker.port]);
    for (let v = 4; v <= 6; v++) {
      const r = await c.request(ApiKey.FindCoordinator, v, { keyType: 0, coordinatorKeys: ['a', 'b'] });
      assert.deepEqual(
        r.coordinators.map((x) => [x.key, x.errorCode, x.nodeId, x.port]),
        [
          ['a', ErrorCode.NONE, 0, broker.port],
          ['b', ErrorCode.NONE, 0, broker.port],
        ],
        `v${v}`,
      );
    }
    assert.equal((await c.request(ApiKey.FindCoordinator, 4, { keyType: 7, coordinatorKeys: ['a'] })).coordinators[0]!.errorCode, ErrorCode.INVALID_REQUEST);
    const meta = await c.request(ApiKey.Metadata, 12, { topics: [{ name: '__consumer_offsets', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.equal(meta.topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal(meta.topics[0]!.isInternal, true);
    assert.equal(meta.topics[0]!.partitions.length, 7, 'offsets.topic.num.partitions');
    const configs = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: '__consumer_offsets', configurationKeys: ['cleanup.policy'] }], includeSynonyms: false, includeDocumentation: false });
    assert.equal(configs.results[0]!.configs[0]!.value, 'compact');
    // Clients may not write to it.
    const produced = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: '__consumer_offsets', partitionData: [{ index: 0, records: recordBatch([{ value: 'x' }]) }] }] });
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('JoinGroup, SyncGroup, Heartbeat and LeaveGroup in every version', async () => {
    for (let v = 0; v <= 9; v++) {
      const groupId = `join-v${v}`;
      const c = await connect(`client-v${v}`);
      const body = {
        groupId,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: subscription([TOPIC]) }],
        reason: null,
      };
      let r = await c.request(ApiKey.JoinGroup, v, body);
      if (v >= 4) {
        assert.equal(r.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `v${v}: KIP-394`);
        assert.match(r.memberId, new RegExp(`^client-v${v}-`));
        r = await c.request(ApiKey.JoinGroup, v, { ...body, memberId: r.memberId });
      }
      assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`);
      assert.equal(r.generationId, 1);
      assert.equal(r.leader, r.memberId);
      assert.equal(r.protocolName, 'range');
      assert.equal(r.protocolType, v >= 7 ? 'consumer' : null);
      assert.equal(r.members.length, 1);
      assert.deepEqual(r.members[0]!.metadata, subscription([TOPIC]));
      const memberId = r.memberId;
      const syncV = Math.min(v, 5);
      const sync = await c.request(ApiKey.SyncGroup, syncV, {
        groupId,
        generationId: 1,
        memberId,
        groupInstanceId: null,
        protocolType: syncV >= 5 ? 'consumer' : null,
        protocolName: syncV >= 5 ? 'range' : null,
        assignments: [{ memberId, assignment: Buffer.from('mine') }],
      });
      assert.equal(sync.errorCode, ErrorCode.NONE, `SyncGroup v${syncV}`);
      assert.equal(sync.assignment.toString(), 'mine');
      assert.equal(sync.protocolName, syncV >= 5 ? 'range' : null);
      const hbV = Math.min(v, 4);
      assert.equal((await c.request(ApiKey.Heartbeat, hbV, { groupId, generationId: 1, memberId, groupInstanceId: null })).errorCode, ErrorCode.NONE, `Heartbeat v${hbV}`);
      assert.equal((await c.request(ApiKey.Heartbeat, hbV, { groupId, generationId: 7, memberId, groupInstanceId: null })).errorCode, ErrorCode.ILLEGAL_GENERATION);
      const leaveV = Math.min(v, 5);
      const left = await c.request(
        ApiKey.LeaveGroup,
        leaveV,
        leaveV >= 3
          ? {
              groupId,
              members: [
                { memberId, groupInstanceId: null, reason: 'done' },
                { memberId: 'ghost', groupInstanceId: null, reason: null },
              ],
            }
          : { groupId, memberId },
      );
      if (leaveV >= 3) {
        assert.equal(left.errorCode, ErrorCode.NONE);
        assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
      } else {
        assert.equal(left.errorCode, ErrorCode.NONE, `LeaveGroup v${leaveV}`);
        assert.equal((await c.request(ApiKey.LeaveGroup, leaveV, { groupId, memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'v0-2: the member error is the response error');
      }
    }
    const c = await connect();
    const noType = await c.request(ApiKey.SyncGroup, 5, { groupId: 'join-v9', generationId: 1, memberId: 'x', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    assert.equal(noType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'v5 requires protocolType and protocolName');
    assert.equal((await c.request(ApiKey.JoinGroup, 5, { groupId: '', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [] })).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await c.request(ApiKey.JoinGroup, 5, { groupId: 'x', sessionTimeoutMs: 10, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [] })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  });

  it('OffsetCommit and OffsetFetch in every version', async () => {
    const c = await connect();
    for (let v = 2; v <= 9; v++) {
      const r = await c.request(ApiKey.OffsetCommit, v, {
        groupId: 'offsets',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [
          { name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 100 + v, committedLeaderEpoch: v >= 6 ? 4 : -1, committedMetadata: `v${v}` }] },
          { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] },
        ],
      });
      assert.deepEqual(
        r.topics.map((t) => [t.name, t.partitions[0]!.errorCode]),
        [
          [TOPIC, ErrorCode.NONE],
          ['no-such-topic', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
        `OffsetCommit v${v}`,
      );
    }
    const stale = await c.request(ApiKey.OffsetCommit, 8, { groupId: 'nogroup', generationIdOrMemberEpoch: 3, memberId: 'm', groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    assert.equal(stale.topics[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);

    const expected = { committedOffset: 109, metadata: 'v9' };
    for (let v = 1; v <= 7; v++) {
      const r = await c.request(ApiKey.OffsetFetch, v, { groupId: 'offsets', topics: [{ name: TOPIC, partitionIndexes: [0, 1] }], requireStable: v >= 7 });
      const [p0, p1] = r.topics[0]!.partitions;
      assert.deepEqual([p0!.committedOffset, p0!.metadata, p0!.errorCode], [expected.committedOffset, expected.metadata, ErrorCode.NONE], `OffsetFetch v${v}`);
      assert.equal(p0!.committedLeaderEpoch, v >= 5 ? 4 : -1);
      assert.deepEqual([p1!.committedOffset, p1!.metadata], [-1, ''], 'no committed offset: -1');
      if (v >= 2) {
        const all = await c.request(ApiKey.OffsetFetch, v, { groupId: 'offsets', topics: null, requireStable: false });
        assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]), [[TOPIC, [0]]], `v${v}: null topics means all`);
      }
    }
    const emptyId = await c.request(ApiKey.OffsetFetch, 1, { groupId: '', topics: [{ name: TOPIC, partitionIndexes: [0] }] });
    assert.deepEqual([emptyId.topics[0]!.partitions[0]!.committedOffset, emptyId.topics[0]!.partitions[0]!.errorCode], [-1, ErrorCode.NONE], "'' is a valid group id for OffsetFetch");
    for (let v = 8; v <= 9; v++) {
      const r = await c.request(ApiKey.OffsetFetch, v, {
        groups: [
          { groupId: 'offsets', memberId: null, memberEpoch: -1, topics: null },
          { groupId: 'unknown-group', memberId: null, memberEpoch: -1, topics: [{ name: TOPIC, partitionIndexes: [1] }] },
          { groupId: '', memberId: null, memberEpoch: -1, topics: null },
        ],
        requireStable: true,
      });
      assert.deepEqual(
        r.groups.map((g) => [g.groupId, g.errorCode, g.topics.map((t) => t.partitions.map((p) => p.committedOffset))]),
        [
          ['offsets', ErrorCode.NONE, [[109]]],
          ['unknown-group', ErrorCode.NONE, [[-1]]],
          ['', ErrorCode.NONE, []],
        ],
        `OffsetFetch v${v}`,
      );
    }
  });

  it('ListGroups, DescribeGroups, OffsetDelete and DeleteGroups in every version', async () => {
    const member = await connect('lister');
    const joined = await member.request(ApiKey.JoinGroup, 5, { groupId: 'listed', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: 'static-1', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription([TOPIC]) }] });
    assert.equal(joined.errorCode, ErrorCode.NONE);
    await member.request(ApiKey.SyncGroup, 3, { groupId: 'listed', generationId: 1, memberId: joined.memberId, groupInstanceId: 'static-1', assignments: [{ memberId: joined.memberId, assignment: Buffer.from('a') }] });
    const c = await connect();
    await c.request(ApiKey.OffsetCommit, 7, { groupId: 'listed', generationIdOrMemberEpoch: 1, memberId: joined.memberId, groupInstanceId: 'static-1', topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }] });

    for (let v = 0; v <= 5; v++) {
      const r = await c.request(ApiKey.ListGroups, v, { statesFilter: [], typesFilter: [] });
      const listed = r.groups.find((g) => g.groupId === 'listed')!;
      assert.equal(listed.protocolType, 'consumer', `ListGroups v${v}`);
      assert.equal(listed.groupState, v >= 4 ? 'Stable' : '');
      assert.equal(listed.groupType, v >= 5 ? 'classic' : '');
    }
    const stableOnly = await c.request(ApiKey.ListGroups, 4, { statesFilter: ['Stable'] });
    assert.deepEqual(stableOnly.groups.map((g) => g.groupId), ['listed']);
    assert.deepEqual((await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] })).groups, []);

    for (let v = 0; v <= 5; v++) {
      const r = await c.request(ApiKey.DescribeGroups, v, { groups: ['listed', 'nobody'], includeAuthorizedOperations: v >= 3 });
      const [g, missing] = r.groups;
      assert.deepEqual([g!.groupState, g!.protocolType, g!.protocolData], ['Stable', 'consumer', 'range'], `DescribeGroups v${v}`);
      assert.equal(g!.members[0]!.memberId, joined.memberId);
      assert.equal(g!.members[0]!.clientId, 'lister');
      assert.equal(g!.members[0]!.clientHost, '/127.0.0.1');
      assert.equal(g!.members[0]!.groupInstanceId, v >= 4 ? 'static-1' : null);
      assert.equal(g!.members[0]!.memberAssignment.toString(), 'a');
      assert.deepEqual(g!.members[0]!.memberMetadata, subscription([TOPIC]));
      if (v >= 3) assert.equal(g!.authorizedOperations, (1 << 3) | (1 << 6) | (1 << 8));
      assert.deepEqual([missing!.errorCode, missing!.groupState, missing!.members.length], [ErrorCode.NONE, 'Dead', 0]);
    }

    const od = await c.request(ApiKey.OffsetDelete, 0, { groupId: 'listed', topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0 }] }, { name: 'no-such-topic', partitions: [{ partitionIndex: 0 }] }] });
    assert.equal(od.errorCode, ErrorCode.NONE);
    assert.deepEqual(
      od.topics.map((t) => [t.name, t.partitions[0]!.errorCode]),
      [
        [TOPIC, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
        ['no-such-topic', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    assert.equal((await c.request(ApiKey.OffsetDelete, 0, { groupId: 'nobody', topics: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

    const busy = await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ['listed', 'nobody'] });
    assert.deepEqual(
      busy.results.map((r) => [r.groupId, r.errorCode]),
      [
        ['listed', ErrorCode.NON_EMPTY_GROUP],
        ['nobody', ErrorCode.GROUP_ID_NOT_FOUND],
      ],
    );
    // KIP-345 removal by instance id, then the Empty group can go.
    const left = await c.request(ApiKey.LeaveGroup, 4, { groupId: 'listed', members: [{ memberId: '', groupInstanceId: 'static-1' }] });
    assert.equal(left.members[0]!.errorCode, ErrorCode.NONE);
    for (let v = 0; v <= 2; v++) {
      await c.request(ApiKey.OffsetCommit, 8, { groupId: `deletable-${v}`, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      const r = await c.request(ApiKey.DeleteGroups, v, { groupsNames: [`deletable-${v}`] });
      assert.deepEqual(r.results.map((x) => [x.groupId, x.errorCode]), [[`deletable-${v}`, ErrorCode.NONE]], `DeleteGroups v${v}`);
    }
    assert.equal((await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ['listed'] })).results[0]!.errorCode, ErrorCode.NONE);
    const after = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'listed', topics: null }], requireStable: false });
    assert.deepEqual(after.groups[0]!.topics, [], 'deleting a group deletes its offsets');
  });
});
