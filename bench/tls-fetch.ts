// The secured read alone, repeated: broker CPU per GiB of a consumer reading over SASL_SSL
// against the same consumer over PLAINTEXT, on one Tidelog broker (issue #16). Quicker to
// repeat than bench/run.ts (one topic written once, then only reads, round after round), so
// changes to the TLS fetch path can be compared build against build on a busy machine.
//
//   npm run build:ts && node dist/bench/tls-fetch.js [--records 10000000] [--rounds 4]
//       [--clients kcat,java] [--perf]        # --perf: `perf record -g` of the broker during
//                                             # each secured read, perf.data kept in the run dir
//
// The topic is written once by kcat over PLAINTEXT (100-byte records, one partition, full 1 MB
// batches: linger.ms=200 as bench/run.ts's same-batches scenario), read to its end once
// unmeasured over each listener, then every round reads it with each client over PLAINTEXT and
// over SASL_SSL, alternating which goes first. Around each read the harness takes the broker's
// user and system CPU seconds (/proc/<pid>/stat, all threads) and the machine's busy time
// (/proc/stat) minus the broker's and the clients', so a figure taken while other work ran
// says so ("other load", in cores).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createTopic, endOffsetSum } from './admin.js';
import { startTidelog } from './brokers.js';
import { ensureKafkaLibs } from './kafka-dist.js';
import { consumerPerformance, kcatConsume, kcatProduce } from './load-tools.js';
import { cpuTimes, machineBusySeconds, selfAndReapedChildrenSeconds } from './proc-stats.js';
import { makeSaslSsl } from './security.js';
import { writeKcatFile } from './kcat-file.js';

const GiB = 1024 * 1024 * 1024;
const RECORD_BYTES = 100;

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    rounds: { type: 'string', default: '4' },
    clients: { type: 'string', default: 'kcat,java' },
    perf: { type: 'boolean', default: false },
    'node-flags': { type: 'string', default: '' },
  },
});
const records = Number(values.records);
const rounds = Number(values.rounds);
const clients = values.clients.split(',').map((c) => c.trim()) as ('kcat' | 'java')[];

interface Row {
  readonly client: string;
  readonly listener: 'PLAINTEXT' | 'SASL_SSL';
  readonly round: number;
  readonly recordsPerSec: number;
  readonly userPerGiB: number;
  readonly systemPerGiB: number;
  readonly otherCores: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const runDir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-tls-fetch-'));
  const security = makeSaslSsl();
  const libs = clients.includes('java') ? await ensureKafkaLibs() : undefined;
  const broker = await startTidelog({ dataDir: path.join(runDir, 'data'), logFile: path.join(runDir, 'broker.log'), saslSsl: security, nodeFlags: values['node-flags'].split(/\s+/).filter((f) => f !== '') });
  const rows: Row[] = [];
  try {
    const ep = { host: broker.host, port: broker.port };
    const topic = 'tls-fetch';
    await createTopic(ep, topic, 1);
    const file = path.join(runDir, 'records.txt');
    await writeKcatFile(file, records, RECORD_BYTES);
    await kcatProduce({ bootstrap: broker.bootstrap, topic, file, records, acks: '1', extraArgs: ['-X', 'linger.ms=200'] });
    const end = await endOffsetSum(ep, topic, 1);
    if (end !== records) throw new Error(`end offset ${end}, wrote ${records}`);
    const bootstrapOf = (l: Row['listener']): string => (l === 'SASL_SSL' ? broker.saslSslBootstrap! : broker.bootstrap);
    let groupSeq = 0;
    const read = async (client: 'kcat' | 'java', listener: Row['listener']): Promise<number> => {
      const sec = listener === 'SASL_SSL' ? { security } : {};
      if (client === 'kcat') {
        const r = await kcatConsume({ bootstrap: bootstrapOf(listener), topic, ...sec });
        if (r.records !== end) throw new Error(`kcat read ${r.records} of ${end}`);
        return r.recordsPerSec;
      }
      const r = await consumerPerformance(libs!, { bootstrap: bootstrapOf(listener), topic, records: end, group: `tls-fetch-${groupSeq++}`, ...sec });
      if (r.records !== end) throw new Error(`ConsumerPerformance read ${r.records} of ${end}`);
      return r.recordsPerSec;
    };
    // Unmeasured: the page cache holds the segment, both listeners' code paths are warm.
    for (const client of clients) for (const l of ['PLAINTEXT', 'SASL_SSL'] as const) await read(client, l);
    for (let round = 1; round <= rounds; round++) {
      for (const client of clients) {
        const order: Row['listener'][] = round % 2 === 1 ? ['SASL_SSL', 'PLAINTEXT'] : ['PLAINTEXT', 'SASL_SSL'];
        for (const listener of order) {
          const perf = values.perf && listener === 'SASL_SSL' ? startPerf(broker.pid, path.join(runDir, `perf-${client}-${round}.data`)) : undefined;
          const before = cpuTimes(broker.pid);
          const machineBefore = machineBusySeconds();
          const selfBefore = selfAndReapedChildrenSeconds();
          const t0 = performance.now();
          const recordsPerSec = await read(client, listener);
          const wallSec = (performance.now() - t0) / 1000;
          const after = cpuTimes(broker.pid);
          const brokerSec = after.userSec - before.userSec + (after.systemSec - before.systemSec);
          const others = machineBusySeconds() - machineBefore - brokerSec - (selfAndReapedChildrenSeconds() - selfBefore);
          await perf?.stop();
          const gib = (end * RECORD_BYTES) / GiB;
          const row: Row = { client, listener, round, recordsPerSec, userPerGiB: (after.userSec - before.userSec) / gib, systemPerGiB: (after.systemSec - before.systemSec) / gib, otherCores: Math.max(0, others / wallSec) };
          rows.push(row);
          process.stdout.write(`round ${round} ${client} ${listener}: ${Math.round(recordsPerSec).toLocaleString('en-US')} records/s, broker ${(row.userPerGiB + row.systemPerGiB).toFixed(2)} s/GiB (user ${row.userPerGiB.toFixed(2)}, system ${row.systemPerGiB.toFixed(2)}), other load ${row.otherCores.toFixed(2)} cores\n`);
        }
      }
    }
  } finally {
    await broker.stop();
    security.remove();
    if (!values.perf) rmSync(runDir, { recursive: true, force: true });
    else process.stdout.write(`perf data kept in ${runDir}\n`);
  }
  process.stdout.write('\n| client | listener | records/s | broker CPU s/GiB | user | system | other load (cores), per round |\n| --- | --- | ---: | ---: | ---: | ---: | --- |\n');
  for (const client of clients) {
    for (const listener of ['PLAINTEXT', 'SASL_SSL'] as const) {
      const rs = rows.filter((r) => r.client === client && r.listener === listener);
      process.stdout.write(`| ${client} | ${listener} | ${Math.round(median(rs.map((r) => r.recordsPerSec))).toLocaleString('en-US')} | ${median(rs.map((r) => r.userPerGiB + r.systemPerGiB)).toFixed(2)} | ${median(rs.map((r) => r.userPerGiB)).toFixed(2)} | ${median(rs.map((r) => r.systemPerGiB)).toFixed(2)} | ${rs.map((r) => r.otherCores.toFixed(2)).join(', ')} |\n`);
    }
  }
}

/** `perf record -g` of the broker until stop() (SIGINT, as perf expects). */
function startPerf(pid: number, out: string): { stop(): Promise<void> } {
  if (spawnSync('perf', ['--version']).status !== 0) throw new Error('--perf needs perf installed');
  const child = spawn('perf', ['record', '-g', '-F', '999', '-p', String(pid), '-o', out], { stdio: 'ignore' });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}

await main();
