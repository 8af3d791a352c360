// franz-go (v1.22.3) on the KIP-848 consumer group protocol against one Tidelog broker:
//   1. test/clients/go/kip848: two kgo clients with ServerSideBalancer() read every record of a
//      topic; ConsumerGroupDescribe (which only answers for consumer-protocol groups) shows both
//      members with partitions, so kgo took its KIP-848 path (it uses it only when the broker
//      advertises ConsumerGroupHeartbeat v1).
//   2. franz-go's own integration tests (pkg/kgo, run with KGO_SEEDS): TestGroupSimple (classic
//      and 848), Test848RegexBrokerResolves, and TestTxnEtl (~30-40 s: six transactional
//      consume-produce chains, classic and 848, under transaction version 2: EndTxn while the
//      previous end's markers are written, pipelined Produce requests waiting for the
//      coordinator's implicit add). TestGroupETL (~40-50 s) passes too but is not run here;
//      see README's KIP-848 section for the command.
// Skipped when Go is not installed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runProcess } from '../../bench/run-process.js';
import { removeDir, repoRoot, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

function goInstalled(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const SKIP = goInstalled() ? false : 'Go is not installed';
const PROGRAM_DIR = path.join(repoRoot, 'test', 'clients', 'go', 'kip848');

describe('franz-go on the KIP-848 consumer group protocol', { timeout: 600_000, skip: SKIP }, () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0 } });
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('two kgo consumers with ServerSideBalancer read every record as one consumer-protocol group', async () => {
    const build = await runProcess('go', ['build', '-C', PROGRAM_DIR, '-o', path.join(broker.dataDir, 'kip848'), '.'], undefined, 240_000);
    assert.equal(build.code, 0, build.stderr);
    const r = await runProcess(path.join(broker.dataDir, 'kip848'), [broker.bootstrap, 'franz-848', 'franz-848-group', '5000'], undefined, 180_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.split('\n').slice(-20).join('\n')}`);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { missing: number; members: string[]; groupState: string; assignor: string };
    assert.equal(summary.missing, 0);
    assert.deepEqual([...summary.members].sort(), ['franz-848-0', 'franz-848-1']);
    assert.equal(summary.assignor, 'uniform');
  });

  it("franz-go's own integration tests pass (TestGroupSimple, Test848RegexBrokerResolves, TestTxnEtl)", async () => {
    const r = await runProcess(
      'env',
      [`KGO_SEEDS=${broker.bootstrap}`, 'KGO_TEST_RF=1', 'go', 'test', '-C', PROGRAM_DIR, 'github.com/twmb/franz-go/pkg/kgo', '-run', '^(TestGroupSimple|Test848RegexBrokerResolves|TestTxnEtl)$', '-count=1', '-v'],
      undefined,
      300_000,
    );
    assert.equal(r.code, 0, `${r.stdout.split('\n').slice(-30).join('\n')}\n${r.stderr.split('\n').slice(-10).join('\n')}`);
    assert.match(r.stdout, /--- PASS: TestGroupSimple\/848/);
    assert.match(r.stdout, /--- PASS: Test848RegexBrokerResolves/);
    assert.match(r.stdout, /--- PASS: TestTxnEtl \(/);
    assert.match(r.stdout, /--- PASS: TestTxnEtl\/sticky\/848 /);
    assert.match(r.stdout, /--- PASS: TestTxnEtl\/sticky\/848\/static /);
    assert.doesNotMatch(r.stdout, /--- SKIP/);
  });
});
