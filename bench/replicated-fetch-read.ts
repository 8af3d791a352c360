// How much CPU a replica fetcher's connection spends reading fetch responses (issue #20): one
// Tidelog broker holding a topic of 512 KiB batches, read from offset 0 to the end with
// Fetch requests of `--max-bytes` (a follower catching up gets responses of
// replica.fetch.max.bytes, 1 MiB) through src/client/kafka-connection.ts, the connection the
// replica fetcher uses. Reports this process's CPU (user + system) per GiB read, so that two
// builds of the client can be compared on the same broker and data:
//
//   node dist/bench/replicated-fetch-read.js [--client-from DIR] [--mib 256] [--max-bytes 1048576] [--rounds 5]
//
// --client-from DIR imports DIR/dist/src/client/kafka-connection.js instead of this build's
// (e.g. a checkout of an older commit, built); the broker is always this build's.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { startTidelog } from './brokers.js';
import { repoRoot } from './kafka-dist.js';
import { ApiKey } from '../src/protocol/generated/index.js';
import { recordBatch } from '../test/helpers/batch.js';
import type { KafkaConnection as KafkaConnectionType } from '../src/client/kafka-connection.js';

const { values } = parseArgs({ options: { 'client-from': { type: 'string' }, mib: { type: 'string', default: '256' }, 'max-bytes': { type: 'string', default: String(1024 * 1024) }, rounds: { type: 'string', default: '5' } } });
const clientRoot = values['client-from'] ?? repoRoot;
const { KafkaConnection } = (await import(pathToFileURL(path.join(clientRoot, 'dist', 'src', 'client', 'kafka-connection.js')).href)) as { KafkaConnection: typeof KafkaConnectionType };
const maxBytes = Number(values['max-bytes']);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-fetch-read-'));
const broker = await startTidelog({ dataDir: path.join(dir, 'data'), logFile: path.join(dir, 'broker.log') });
try {
  const c = await KafkaConnection.connect(broker.host, broker.port, 'fetch-read');
  await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'r', numPartitions: 1, replicationFactor: 1, configs: [] }], timeoutMs: 10_000 });
  const value = Buffer.alloc(8 * 1024, 0x61).toString('latin1');
  const records = recordBatch(Array.from({ length: 64 }, () => ({ value })));
  const batches = Math.ceil((Number(values.mib) * 1024 * 1024) / records.length);
  for (let i = 0; i < batches; i++) {
    await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 10_000, topicData: [{ name: 'r', partitionData: [{ index: 0, records }] }] });
  }
  process.stdout.write(`client from ${clientRoot}; ${batches} batches of ${records.length} B; fetches of ${maxBytes} B\n`);
  for (let round = 1; round <= Number(values.rounds); round++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let offset = 0;
    let bytes = 0;
    let fetches = 0;
    for (;;) {
      const f = await c.request(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 'r', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: maxBytes }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      fetches++;
      const p = f.responses[0]!.partitions[0]!;
      if (!p.records || p.records.length === 0) break;
      bytes += p.records.length;
      // The next offset: past the last whole batch (base offset + last offset delta + 1).
      let pos = 0;
      while (pos + 12 <= p.records.length) {
        const size = p.records.readInt32BE(pos + 8);
        if (pos + 12 + size > p.records.length) break;
        offset = Number(p.records.readBigInt64BE(pos)) + p.records.readInt32BE(pos + 23) + 1;
        pos += 12 + size;
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const sec = (cpu.user + cpu.system) / 1e6;
    const gib = bytes / 2 ** 30;
    process.stdout.write(`round ${round}: ${(bytes / 2 ** 20).toFixed(0)} MiB in ${fetches} fetches, ${((performance.now() - t0) / 1000).toFixed(2)} s, client CPU ${sec.toFixed(2)} s = ${(sec / gib).toFixed(2)} s/GiB (user ${(cpu.user / 1e6 / gib).toFixed(2)}, system ${(cpu.system / 1e6 / gib).toFixed(2)})\n`);
  }
  c.close();
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
