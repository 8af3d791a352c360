// A log dir whose filesystem is full: producers are answered KAFKA_STORAGE_ERROR ("Disk error
// when trying to access log file on disk") and lose nothing that was acknowledged; the broker
// keeps serving reads; the failures are logged once per partition per 10 s, not per request,
// and each is counted in /metrics;
// once there is room again appends go on from the same offset, and a restart finds the same
// log. The log dir is a real tmpfs of 3 MiB mounted for the test (root only, as the machines
// the tests run on are); kcat is the client.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { scrapeMetric } from '../helpers/limits.js';

const TOPIC = 'full';

function mountTmpfs(dir: string, size: string, remount = false): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `${remount ? 'remount,' : ''}size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  }
}

function lines(count: number, tag: string): string {
  return Array.from({ length: count }, (_, i) => `${tag}-${String(i).padStart(6, '0')}-${'x'.repeat(1000)}`).join('\n') + '\n';
}

async function offsetsAndValues(bootstrap: string): Promise<{ offsets: number[]; values: string[] }> {
  const r = await kcat(['-C', '-b', bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o %s\n']);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((l) => l !== '');
  return { offsets: rows.map((l) => Number(l.slice(0, l.indexOf(' ')))), values: rows.map((l) => l.slice(l.indexOf(' ') + 1)) };
}

describe('a full log dir', { timeout: 120_000 }, () => {
  const dir = tempDir('tidelog-disk-full-');
  let mounted = false;
  let broker: BrokerProcess | undefined;

  after(async () => {
    await broker?.stop();
    if (mounted) execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses appends with KAFKA_STORAGE_ERROR, keeps what it acknowledged, and goes on once there is room', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('mounting a tmpfs needs root');
    const refused = mountTmpfs(dir, '3m');
    if (refused !== null) return t.skip(`cannot mount a tmpfs here: ${refused}`);
    mounted = true;
    const overrides = { 'log.segment.bytes': 1048576 };
    broker = await startBrokerProcess({ dataDir: dir, overrides });

    // 5 MB into 3 MiB, each message sent once: some are refused.
    const first = await kcat(['-P', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0', '-X', 'message.send.max.retries=0', '-X', 'linger.ms=5'], lines(5000, 'a'));
    assert.match(first.stderr, /Disk error when trying to access log file on disk/, 'the refusals are KAFKA_STORAGE_ERROR');
    const refusedCount = first.stderr.split('\n').filter((l) => l.includes('Delivery failed')).length;
    assert.ok(refusedCount > 0 && refusedCount < 5000, `${refusedCount} of 5000 refused`);

    // Everything in the log is readable, with no hole and nothing half-written.
    const full = await offsetsAndValues(broker.bootstrap);
    const kept = full.offsets.length;
    assert.equal(kept, 5000 - refusedCount, 'every message not refused is in the log');
    assert.deepEqual(full.offsets, Array.from({ length: kept }, (_, i) => i));
    assert.ok(full.values.every((v) => v.startsWith('a-') && v.length === 1009));

    // A client that retries KAFKA_STORAGE_ERROR (as they do) until its message times out.
    const retrying = await kcat(['-P', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0', '-X', 'message.timeout.ms=3000', '-X', 'retry.backoff.ms=10'], lines(500, 'r'));
    assert.match(retrying.stderr, /Delivery failed/);
    const logged = broker.logLines.filter((l) => l.includes('"msg":"append failed"'));
    assert.ok(logged.length >= 1 && logged.length <= 2, `${logged.length} lines for a few hundred refused appends within 10 s: ${logged.map((l) => l.slice(0, 200)).join('\n')}`);
    assert.match(logged[0]!, /No space left on device/);
    const counted = await scrapeMetric(broker.adminUrl!, 'tidelog_request_errors_total', { api: 'Produce', error: 'KAFKA_STORAGE_ERROR' });
    assert.ok(counted > 10 * logged.length, `every refused append counted in /metrics: ${counted}`);

    // Room again: appends go on from the next offset.
    assert.equal(mountTmpfs(dir, '16m', true), null);
    const more = await kcat(['-P', '-b', broker.bootstrap, '-t', TOPIC, '-p', '0'], lines(100, 'b'));
    assert.equal(more.code, 0, more.stderr);
    assert.doesNotMatch(more.stderr, /Delivery failed/);
    const grown = await offsetsAndValues(broker.bootstrap);
    assert.deepEqual(grown.offsets, Array.from({ length: kept + 100 }, (_, i) => i));
    assert.deepEqual(grown.values.slice(kept).map((v) => v.slice(0, 8)), Array.from({ length: 100 }, (_, i) => `b-${String(i).padStart(6, '0')}`));

    // And a restart finds the same log.
    assert.equal(await broker.stop(), 0);
    broker = await startBrokerProcess({ dataDir: dir, overrides });
    assert.deepEqual(await offsetsAndValues(broker.bootstrap), grown);
  });
});
