// The broker process as an operator meets it: the log dir lock (a second broker on the same
// dirs is refused, the first unharmed), a shutdown that ends through a dead log pipe and within
// shutdown.timeout.ms, start-up errors that name the key to change, logs for people, and the
// "did you mean" for a mistyped key.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { nearestKey } from '../../src/config/nearest-key.js';
import { defaultsTakenSilently } from '../../src/cli/broker-command.js';
import { cliPath, removeDir, startBrokerProcess, tempDir } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ZERO_UUID } from '../../src/protocol/primitives/index.js';

function runBroker(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cliPath, 'broker', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
}

async function produce(bootstrap: string, topic: string, lines: string[]): Promise<void> {
  const r = await kcat(['-b', bootstrap, '-t', topic, '-P', '-X', 'acks=all'], `${lines.join('\n')}\n`);
  assert.equal(r.code, 0, r.stderr);
}

async function consumeAll(bootstrap: string, topic: string): Promise<string[]> {
  const r = await kcat(['-b', bootstrap, '-t', topic, '-C', '-e', '-q', '-f', '%s\n']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** Waits for the child to exit; the limit only keeps a hang from stalling the suite. */
function exitOf(child: ReturnType<typeof spawn>, limitMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not exit within ${limitMs} ms`)), limitMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

describe('operating the broker', { timeout: 180_000 }, () => {
  it('refuses a second broker on the same log dir, naming the dir and the holder, and leaves the first unharmed', async () => {
    const dataDir = tempDir();
    const first = await startBrokerProcess({ dataDir });
    try {
      await produce(first.bootstrap, 'locked', ['a1', 'a2']);
      const second = runBroker(['--override', `log.dirs=${dataDir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'admin.listener=']);
      assert.equal(second.status, 1);
      assert.equal(
        second.stderr,
        `tidelog: broker failed to start: log.dirs: the log directory ${dataDir} is locked by process ${first.child.pid}: another broker is using it\n`,
      );
      assert.equal(readFileSync(path.join(dataDir, '.lock'), 'utf8').trim(), String(first.child.pid), 'the lock file names its holder');
      await produce(first.bootstrap, 'locked', ['a3']);
      assert.deepEqual(await consumeAll(first.bootstrap, 'locked'), ['a1', 'a2', 'a3']);
      assert.equal(await first.stop(), 0);
    } finally {
      await first.kill();
    }
    // A clean stop releases the lock: the next broker opens the dir and finds every record.
    const again = await startBrokerProcess({ dataDir });
    try {
      assert.deepEqual(await consumeAll(again.bootstrap, 'locked'), ['a1', 'a2', 'a3']);
    } finally {
      await again.stop();
      removeDir(dataDir);
    }
  });

  it('takes the lock of a broker that was killed (the kernel drops it with the process)', async () => {
    const dataDir = tempDir();
    const first = await startBrokerProcess({ dataDir });
    await first.kill();
    const second = await startBrokerProcess({ dataDir });
    try {
      assert.equal(readFileSync(path.join(dataDir, '.lock'), 'utf8').trim(), String(second.child.pid));
    } finally {
      await second.stop();
      removeDir(dataDir);
    }
  });

  it('shuts down on SIGINT when the reader of its log pipe has gone', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [cliPath, 'broker', '--override', `log.dirs=${dataDir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'admin.listener='], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const exited = exitOf(child);
      // Started once it logs 'broker started'; then the reader goes away (`| tee` killed).
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('"broker started"')) resolve();
        });
        child.once('exit', () => reject(new Error(`exited before starting: ${seen}`)));
      });
      child.stdout!.destroy();
      child.kill('SIGINT');
      const { code } = await exited;
      assert.equal(code, 0, 'a clean shutdown, not a kill');
    } finally {
      child.kill('SIGKILL');
      removeDir(dataDir);
    }
  });

  it('stops cleanly with a long-poll fetch parked: no error is logged after the logs close', async () => {
    const broker = await startBrokerProcess();
    const conn = await KafkaConnection.connect('127.0.0.1', broker.port, 'operability-test');
    try {
      const created = await conn.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'parked', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
      assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
      const meta = await conn.request(ApiKey.Metadata, 12, { topics: [{ name: 'parked', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      const topicId = meta.topics[0]!.topicId;
      // Waits up to 60 s for a record that never comes; the broker stops meanwhile.
      void conn
        .request(ApiKey.Fetch, 13, { clusterId: null, replicaId: -1, replicaState: { replicaId: -1, replicaEpoch: -1 }, maxWaitMs: 60_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: '', topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID }] }], forgottenTopicsData: [], rackId: '' })
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await broker.stop(), 0);
      const errors = broker.logLines.filter((l) => /"level":(50|60)/.test(l));
      assert.deepEqual(errors, []);
    } finally {
      conn.close();
      removeDir(broker.dataDir);
    }
  });

  it('ends within shutdown.timeout.ms when shutdown does not finish, saying so on stderr', async () => {
    const dataDir = tempDir();
    // A 1 ms bound expires while the clean shutdown is still running: the watchdog ends it.
    const broker = await startBrokerProcess({ dataDir, overrides: { 'shutdown.timeout.ms': 1 } });
    try {
      assert.equal(await broker.stop(), 1);
      assert.ok(broker.logLines.includes('tidelog: shutdown did not finish within shutdown.timeout.ms=1; exiting'), broker.logLines.join('\n'));
    } finally {
      removeDir(dataDir);
    }
  });

  it('names the key to change when a listener port is taken or a log dir is unusable', async () => {
    const dataDir = tempDir();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const taken = runBroker(['--override', `log.dirs=${dataDir}`, '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', 'admin.listener=']);
      assert.equal(taken.status, 1);
      assert.equal(taken.stderr, `tidelog: broker failed to start: listeners: cannot listen on PLAINTEXT://127.0.0.1:${port}: EADDRINUSE\n`);
      assert.doesNotMatch(taken.stdout, /"stack"/, 'no stack trace for an environment error');
      // /proc answers ENOENT to every mkdir: a clear refusal, not a spin.
      const proc = runBroker(['--override', 'log.dirs=/proc/sys/tidelog-test', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'admin.listener=']);
      assert.equal(proc.status, 1);
      assert.equal(proc.stderr, 'tidelog: broker failed to start: log.dirs: cannot create the log directory /proc/sys/tidelog-test: ENOENT\n');
      const file = runBroker(['--override', `log.dirs=${path.join(dataDir, 'x')},/dev/null/y`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'admin.listener=']);
      assert.equal(file.stderr, 'tidelog: broker failed to start: log.dirs: cannot create the log directory /dev/null/y: ENOTDIR\n');
    } finally {
      blocker.close();
      removeDir(dataDir);
    }
  });

  it('says within seconds that ZooKeeper is unreachable, and keeps saying it until the connection timeout', async () => {
    const dataDir = tempDir();
    // A port nobody listens on: taken and released.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    try {
      const r = runBroker([
        '--override', `log.dirs=${dataDir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'admin.listener=',
        '--override', `zookeeper.connect=127.0.0.1:${port}`, '--override', 'zookeeper.connection.timeout.ms=7000',
      ]);
      assert.equal(r.status, 1);
      const waiting = r.stdout.split('\n').filter((l) => l.includes('ZooKeeper not reachable yet'));
      assert.ok(waiting.length >= 2, `repeated notices, got ${waiting.length}:\n${r.stdout}`);
      assert.match(r.stderr, new RegExp(`^tidelog: broker failed to start: Could not connect to ZooKeeper at zookeeper\\.connect=127\\.0\\.0\\.1:${port}: .*\\(zookeeper\\.connection\\.timeout\\.ms=7000\\)\\n$`));
    } finally {
      removeDir(dataDir);
    }
  });

  it('writes one readable line per event with TIDELOG_LOG_FORMAT=pretty, and refuses an unknown format', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [cliPath, 'broker', '--override', `log.dirs=${dataDir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'admin.listener=', '--override', 'log.retention.hour=3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TIDELOG_LOG_FORMAT: 'pretty' },
    });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('broker started')) resolve();
        });
        child.once('exit', () => reject(new Error(`exited before starting: ${out}`)));
      });
      child.kill('SIGTERM');
      await exitOf(child);
      const lines = out.split('\n').filter((l) => l !== '');
      assert.ok(lines.some((l) => /^\d\d:\d\d:\d\d\.\d{3} WARN  unknown configuration key ignored: log\.retention\.hour \(did you mean log\.retention\.hours\?\) key=log\.retention\.hour suggestion=log\.retention\.hours$/.test(l)), out);
      assert.ok(lines.some((l) => /^\d\d:\d\d:\d\d\.\d{3} INFO  listening listener=PLAINTEXT securityProtocol=PLAINTEXT host=127\.0\.0\.1 port=\d+$/.test(l)), out);
      assert.ok(lines.every((l) => !l.startsWith('{')), 'no JSON lines');
    } finally {
      child.kill('SIGKILL');
      removeDir(dataDir);
    }
    const bad = runBroker(['--config', 'config/server.properties'], { TIDELOG_LOG_FORMAT: 'yaml' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, 'tidelog: TIDELOG_LOG_FORMAT must be json or pretty, not "yaml"\n');
  });

  it('requires --config when nothing is given, and says which defaults it took without one', () => {
    const none = runBroker([]);
    assert.equal(none.status, 2);
    assert.equal(none.stderr, 'tidelog: broker: --config FILE is required (for a single node: tidelog broker --config config/server.properties)\n');
    assert.deepEqual(defaultsTakenSilently(buildBrokerConfig(new Map([['num.partitions', '3']]))), ['listeners=PLAINTEXT://:9092', 'log.dirs=/tmp/kafka-logs']);
    assert.deepEqual(defaultsTakenSilently(buildBrokerConfig(new Map([['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.dir', '/x']]))), []);
  });

  it('suggests the nearest known key for a typo, and nothing for a different key', () => {
    const known = ['log.retention.hours', 'log.retention.ms', 'num.partitions', 'listeners'];
    assert.equal(nearestKey('log.retention.hour', known), 'log.retention.hours');
    assert.equal(nearestKey('num.partition', known), 'num.partitions');
    assert.equal(nearestKey('Listeners', known), 'listeners');
    assert.equal(nearestKey('ssl.keystore.location', known), undefined);
    assert.equal(nearestKey('x', known), undefined);
  });
});
