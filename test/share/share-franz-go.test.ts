// franz-go's own share-group tests (github.com/twmb/franz-go v1.22.3, pkg/kgo/share_test.go:
// TestShareGroup, TestShareGroupETL, TestShareGroupAckOnClose, TestShareGroupOffsetsAdmin)
// against one Tidelog broker. They skip themselves unless the broker advertises ShareFetch v2
// and ShareAcknowledge v2; here they must run and pass. The module comes from the Go module
// cache (`go mod download`, through the Go proxy when missing) and is copied to a temporary
// folder (the cache is read-only). KGO_TEST_RECORDS keeps the ETL test's record count modest.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { SHARE_BROKER_OVERRIDES } from './share-fixtures.js';

const FRANZ_GO = 'github.com/twmb/franz-go@v1.22.3';

function goAvailable(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to its exit (killed after timeoutMs); its output as text. */
function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) makeWritable(p);
    else chmodSync(p, 0o644);
  }
}

describe("franz-go's share-group tests (v1.22.3) against Tidelog", { timeout: 600_000, skip: goAvailable() ? false : 'Go is not installed' }, () => {
  let broker: BrokerProcess;
  let work: string;

  before(async () => {
    const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', FRANZ_GO], { encoding: 'utf8', cwd: tempDir('tidelog-go-') })) as { Dir: string };
    assert.ok(existsSync(info.Dir), `go mod download gave no directory for ${FRANZ_GO}`);
    work = tempDir('tidelog-franz-go-');
    cpSync(info.Dir, path.join(work, 'franz-go'), { recursive: true });
    makeWritable(path.join(work, 'franz-go'));
    broker = await startBrokerProcess({ overrides: SHARE_BROKER_OVERRIDES });
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    if (work) removeDir(work);
  });

  it('TestShareGroup, TestShareGroupETL, TestShareGroupAckOnClose and TestShareGroupOffsetsAdmin pass (none skipped)', async () => {
    const env = { ...process.env, KGO_SEEDS: broker.bootstrap, KGO_TEST_RF: '1', KGO_TEST_RECORDS: '50000' };
    const r = await run('go', ['test', '-count=1', '-v', '-run', '^TestShareGroup', '.'], path.join(work, 'franz-go', 'pkg', 'kgo'), env, 540_000);
    const tail = `${r.stdout.split('\n').filter((l) => /^(---|===|ok|FAIL|PASS)|share_test/.test(l)).slice(-40).join('\n')}\n${r.stderr.slice(-2000)}`;
    assert.equal(r.code, 0, tail);
    for (const name of ['TestShareGroup', 'TestShareGroupETL', 'TestShareGroupAckOnClose', 'TestShareGroupOffsetsAdmin']) {
      assert.match(r.stdout, new RegExp(`--- PASS: ${name} `), `${name} did not pass (skipped?)\n${tail}`);
    }
    assert.doesNotMatch(r.stdout, /--- SKIP/, tail);
  });
});
