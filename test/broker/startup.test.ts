// The broker process's start-up contract: a bad configuration value stops it with one line
// naming the key, the value and what is expected (exit status 2, no stack trace); an unknown
// key is a warning; topic configs survive a restart.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { cliPath, removeDir, startBrokerProcess, tempDir } from '../helpers/broker-process.js';

function runBroker(args: string[]) {
  return spawnSync(process.execPath, [cliPath, 'broker', ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('broker start-up', { timeout: 60_000 }, () => {
  it('refuses a bad value naming the key, the value and what is expected', () => {
    const dir = tempDir();
    try {
      const r = runBroker(['--override', `log.dirs=${dir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'num.partitions=zero']);
      assert.equal(r.status, 2);
      assert.equal(r.stderr.trim(), 'tidelog: Invalid value zero for configuration num.partitions: Not a number of type INT');
      const range = runBroker(['--override', `log.dirs=${dir}`, '--override', 'log.segment.bytes=3']);
      assert.equal(range.status, 2);
      assert.match(range.stderr, /^tidelog: Invalid value 3 for configuration log\.segment\.bytes: Value must be a number of type INT at least 14\n$/);
      const missing = runBroker(['--config', `${dir}/no-such.properties`]);
      assert.notEqual(missing.status, 0);
      assert.match(missing.stderr, /no-such\.properties/);
      assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      removeDir(dir);
    }
  });

  it('warns about an unknown key and starts anyway', async () => {
    const broker = await startBrokerProcess({ overrides: { 'no.such.setting': 'x' } });
    try {
      const warning = broker.logLines.map((l) => JSON.parse(l) as { level: number; key?: string; msg: string }).find((e) => e.key === 'no.such.setting');
      assert.ok(warning, 'a log line names the unknown key');
      assert.equal(warning.level, 40, 'at warn level');
    } finally {
      await broker.stop();
      removeDir(broker.dataDir);
    }
  });

  it('keeps topic config overrides across a restart, and answers an API it does not serve with UNSUPPORTED_VERSION', async () => {
    const dataDir = tempDir();
    const first = await startBrokerProcess({ dataDir });
    const c1 = await KafkaConnection.connect('127.0.0.1', first.port);
    // A failed assertion must not leave the broker (and this file) running.
    try {
      const created = await c1.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'configured', numPartitions: 2, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '12345' }] }], timeoutMs: 5000 });
      assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
      // Delegation tokens are not served: an error code, not a hang. DescribeAcls without an
      // authorizer answers Kafka's SECURITY_DISABLED.
      const tokens = await c1.request(ApiKey.DescribeDelegationToken, 1, { owners: null });
      assert.equal(tokens.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      const acls = await c1.request(ApiKey.DescribeAcls, 1, { resourceTypeFilter: 1, patternTypeFilter: 1, operation: 1, permissionType: 1 });
      assert.equal(acls.errorCode, ErrorCode.SECURITY_DISABLED);
    } catch (err) {
      c1.close();
      await first.kill();
      removeDir(dataDir);
      throw err;
    }
    c1.close();
    assert.equal(await first.stop(), 0);

    const second = await startBrokerProcess({ dataDir });
    try {
      const c2 = await KafkaConnection.connect('127.0.0.1', second.port);
      const described = await c2.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'configured', configurationKeys: ['retention.ms', 'segment.bytes'] }] });
      const configs = Object.fromEntries(described.results[0]!.configs.map((e) => [e.name, [e.value, e.configSource]]));
      assert.deepEqual(configs, { 'retention.ms': ['12345', 1], 'segment.bytes': ['1073741824', 5] });
      c2.close();
    } finally {
      await second.stop();
      removeDir(dataDir);
    }
  });
});
