// Share-group membership in __consumer_offsets (Kafka 4.4's ShareGroup* records), one broker
// process over real sockets:
//   - members, epochs and assignments survive a broker kill and restart: a member heartbeats
//     on with its epoch (no UNKNOWN_MEMBER_ID), ShareGroupDescribe shows what it showed before;
//   - a member that left stays gone after a restart;
//   - Kafka 4.4's own DumpLogSegments --offsets-decoder reads the records we wrote.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass } from '../../bench/kafka-dist.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { SHARE_BROKER_OVERRIDES } from './share-fixtures.js';

const TOPIC = 'share-membership';
const GROUP = 'share-members';
// One __consumer_offsets partition: every record of the group is in __consumer_offsets-0.
const OVERRIDES = { ...SHARE_BROKER_OVERRIDES, 'offsets.topic.num.partitions': 1, 'num.partitions': 2 };

describe('share-group membership persisted in __consumer_offsets', { timeout: 180_000 }, () => {
  const dataDir = tempDir('tidelog-share-members-');
  let broker: BrokerProcess;
  let conn: KafkaConnection;

  const heartbeat = (memberId: string, memberEpoch: number) => conn.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: GROUP, memberId, memberEpoch, rackId: null, subscribedTopicNames: memberEpoch === 0 ? [TOPIC] : null });
  const describeGroup = async () => {
    const r = await conn.request(ApiKey.ShareGroupDescribe, 1, { groupIds: [GROUP], includeAuthorizedOperations: false });
    const g = r.groups[0]!;
    assert.equal(g.errorCode, ErrorCode.NONE, g.errorMessage ?? '');
    return {
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      members: g.members.map((m) => ({ memberId: m.memberId, memberEpoch: m.memberEpoch, clientId: m.clientId, subscribed: m.subscribedTopicNames, partitions: m.assignment.topicPartitions.flatMap((tp) => tp.partitions) })).sort((a, b) => a.memberId.localeCompare(b.memberId)),
    };
  };
  const restart = async (): Promise<void> => {
    conn.close();
    await broker.kill();
    broker = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
    conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'share-member-client');
  };

  before(async () => {
    broker = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
    const produced = await kcat(['-P', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0'], 'a\n');
    assert.equal(produced.code, 0, produced.stderr);
    const more = await kcat(['-P', '-b', broker.bootstrap, '-t', TOPIC, '-p', '1'], 'b\n');
    assert.equal(more.code, 0, more.stderr);
    conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'share-member-client');
  });

  after(async () => {
    conn?.close();
    await broker?.stop();
    removeDir(dataDir);
  });

  it('members and epochs survive restarts; Kafka 4.4 decodes the records', async () => {
    const a = await heartbeat('member-a', 0);
    assert.equal(a.errorCode, ErrorCode.NONE, a.errorMessage ?? '');
    const b = await heartbeat('member-b', 0);
    assert.equal(b.errorCode, ErrorCode.NONE, b.errorMessage ?? '');
    const a2 = await heartbeat('member-a', a.memberEpoch);
    assert.equal(a2.errorCode, ErrorCode.NONE);
    assert.equal(a2.memberEpoch, b.memberEpoch, 'a moved to the group epoch b made');
    const before = await describeGroup();
    assert.equal(before.members.length, 2);
    assert.equal(before.groupEpoch, 2);

    await restart();
    assert.deepEqual(await describeGroup(), before, 'the group as it was, read back from __consumer_offsets');
    const a3 = await heartbeat('member-a', a2.memberEpoch);
    assert.equal(a3.errorCode, ErrorCode.NONE, `a member carries on with its epoch after a restart: ${a3.errorMessage ?? ''}`);
    assert.equal(a3.memberEpoch, a2.memberEpoch);

    const left = await heartbeat('member-b', -1);
    assert.equal(left.errorCode, ErrorCode.NONE);
    const afterLeave = await describeGroup();
    assert.deepEqual(afterLeave.members.map((m) => m.memberId), ['member-a']);
    await restart();
    assert.deepEqual(await describeGroup(), afterLeave, 'a member that left stays gone');
    const gone = await heartbeat('member-b', b.memberEpoch);
    assert.equal(gone.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

    // Kafka's own decoder reads our records (ShareGroup* keys and values).
    const dir = path.join(dataDir, '__consumer_offsets-0');
    const files = readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => path.join(dir, f));
    const dumped = await runKafkaClass(await ensureKafkaLibs(), KAFKA_MAIN.dumpLogSegments, ['--files', files.join(','), '--offsets-decoder'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(dumped.code, 0, dumped.stderr);
    // Record types 10 (member metadata), 11 (group epoch), 12 (target assignment epoch), 13
    // (target assignment), 14 (current assignment), with their values decoded by Kafka.
    const expected = [
      /key: \{"type":"10","data":\{"groupId":"share-members","memberId":"member-a"\}\} payload: \{"version":"0","data":\{"rackId":null,"clientId":"share-member-client","clientHost":"\/127\.0\.0\.1","subscribedTopicNames":\["share-membership"\]\}\}/,
      /key: \{"type":"11","data":\{"groupId":"share-members"\}\} payload: \{"version":"0","data":\{"epoch":3,"metadataHash":0\}\}/,
      /key: \{"type":"12","data":\{"groupId":"share-members"\}\} payload: \{"version":"0","data":\{"assignmentEpoch":3,"assignmentTimestamp":\d+\}\}/,
      /key: \{"type":"13","data":\{"groupId":"share-members","memberId":"member-a"\}\} payload: \{"version":"0","data":\{"topicPartitions":\[\{"topicId":"[\w-]{22}","partitions":\[0,1\]\}\]\}\}/,
      /key: \{"type":"14","data":\{"groupId":"share-members","memberId":"member-a"\}\} payload: \{"version":"0","data":\{"memberEpoch":2,"previousMemberEpoch":1,"state":0,"assignedPartitions":\[\{"topicId":"[\w-]{22}","partitions":\[0\]\}\]\}\}/,
      /key: \{"type":"10","data":\{"groupId":"share-members","memberId":"member-b"\}\} payload: <DELETE>/,
    ];
    for (const re of expected) assert.match(dumped.stdout, re, `Kafka's dump:\n${dumped.stdout.slice(-3000)}`);
    assert.doesNotMatch(dumped.stdout, /Error|Exception|unknown/i, dumped.stdout.slice(-3000));
  });
});
