// librdkafka (confluent-kafka 2.16.1) with group.protocol=consumer (KIP-848) against one
// Tidelog broker: two consumers of one group read every record of a 6-partition topic and
// both hold partitions; ConsumerGroupDescribe (consumer-protocol groups only) shows them, and
// DescribeGroups (classic groups) answers for it as Kafka 4.4 does (v6 and v5).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ensurePythonKafka, runPython } from '../clients/transactions-target.js';
import { requestOnce } from '../cluster/three-brokers.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

describe('librdkafka on the KIP-848 consumer group protocol', { timeout: 300_000 }, () => {
  let broker: BrokerProcess;
  let python: string;

  before(async () => {
    python = await ensurePythonKafka();
    broker = await startBrokerProcess({ overrides: { 'num.partitions': 6 } });
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('two consumers share the partitions and read every record', async () => {
    const r = await runPython(python, 'kip848_consumer.py', [broker.bootstrap, 'rdk-848', 'rdk-848-group', '2000'], 180_000);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { read: number[]; distinct: number; assignment: string[][] };
    assert.equal(out.distinct, 2000, r.stdout);
    assert.ok(out.assignment.every((a) => a.length > 0), r.stdout);
    assert.equal(out.assignment.flat().length, 6, r.stdout);
    const described = await requestOnce(broker.port, ApiKey.ConsumerGroupDescribe, 1, { groupIds: ['rdk-848-group'], includeAuthorizedOperations: false }, 'ConsumerGroupDescribe');
    assert.equal(described.groups[0]!.errorCode, 0);
    assert.equal(described.groups[0]!.groupEpoch > 0, true);
    // DescribeGroups is for classic groups: v6 says so (KIP-1043), v5 answers Dead.
    const v6 = await requestOnce(broker.port, ApiKey.DescribeGroups, 6, { groups: ['rdk-848-group'], includeAuthorizedOperations: false }, 'DescribeGroups v6');
    assert.equal(v6.groups[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(v6.groups[0]!.errorMessage, 'Group rdk-848-group is not a classic group.');
    const v5 = await requestOnce(broker.port, ApiKey.DescribeGroups, 5, { groups: ['rdk-848-group'], includeAuthorizedOperations: false }, 'DescribeGroups v5');
    assert.equal(v5.groups[0]!.errorCode, ErrorCode.NONE);
    assert.equal(v5.groups[0]!.groupState, 'Dead');
  });
});
