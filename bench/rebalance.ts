// Rebalance time of a consumer group (issue #19): the classic protocol (JoinGroup/SyncGroup,
// the Java client's default assignors: range, eager) against the KIP-848 consumer protocol
// (group.protocol=consumer, server-side uniform assignor), on Tidelog and on Kafka 4.4 (one
// KRaft node), for groups of 10 and 50 members. One JVM runs the members as threads
// (test/clients/java/Kip848RebalanceBench.java); each round one more member joins and the time
// runs from its subscribe() until every member holds its new assignment and polls with it
// (the N+1 assignments disjoint, non-empty, covering all 2(N+1) partitions); then it leaves.
// Both brokers run with their defaults (group.consumer.heartbeat.interval.ms 5000: a
// consumer-protocol rebalance waits for the members' heartbeats; classic members rejoin on
// their heartbeat.interval.ms 3000).
//
// --heartbeat-ms N sets both protocols' heartbeat interval to N (the brokers'
// group.consumer.heartbeat.interval.ms and its minimum; the classic clients'
// heartbeat.interval.ms), so that the protocols' own costs show rather than the defaults'.
//
//   npm run build:ts && node dist/bench/rebalance.js [--members 10,50] [--rounds 3] [--brokers tidelog,kafka] [--protocols classic,consumer] [--heartbeat-ms N]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startKafka, startTidelog, type BrokerKind, type RunningBroker } from './brokers.js';
import { ensureKafkaLibs } from './kafka-dist.js';
import { compileJava, runJava } from '../test/clients/transactions-target.js';

interface Row {
  broker: BrokerKind;
  protocol: string;
  members: number;
  roundsMs: number[];
  leaveMs: number[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string', default: '10,50' },
      rounds: { type: 'string', default: '3' },
      brokers: { type: 'string', default: 'tidelog,kafka' },
      protocols: { type: 'string', default: 'classic,consumer' },
      'heartbeat-ms': { type: 'string' },
    },
  });
  const sizes = values.members.split(',').map(Number);
  const rounds = Number(values.rounds);
  const libs = await ensureKafkaLibs();
  const programs = await compileJava(libs, ['Out.java', 'Kip848RebalanceBench.java']);
  const rows: Row[] = [];
  const heartbeatMs = values['heartbeat-ms'];
  const config: Record<string, string> = heartbeatMs === undefined ? {} : { 'group.consumer.heartbeat.interval.ms': heartbeatMs, 'group.consumer.min.heartbeat.interval.ms': heartbeatMs };
  for (const kind of values.brokers.split(',') as BrokerKind[]) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `tidelog-rebalance-${kind}-`));
    let broker: RunningBroker | null = null;
    try {
      broker = kind === 'tidelog' ? await startTidelog({ dataDir: path.join(dir, 'data'), logFile: path.join(dir, 'broker.log'), config }) : await startKafka({ libs, dir, logFile: path.join(dir, 'broker.log'), config });
      for (const protocol of values.protocols.split(',')) {
        for (const n of sizes) {
          const name = `${protocol}-${n}`;
          const r = await runJava(programs, 'Kip848RebalanceBench', [broker.bootstrap, `g-${name}`, `t-${name}`, String(n), protocol, String(rounds), ...(heartbeatMs === undefined ? [] : [heartbeatMs])], 900_000);
          const failed = r.events.find((e) => e.event === 'error');
          if (r.code !== 0 || failed) throw new Error(`${kind} ${name}: exit ${r.code} ${JSON.stringify(failed)}\n${r.stderr.split('\n').slice(-10).join('\n')}`);
          const row: Row = {
            broker: kind,
            protocol,
            members: n,
            roundsMs: r.events.filter((e) => e.event === 'round').map((e) => Number(e.rebalanceMs)),
            leaveMs: r.events.filter((e) => e.event === 'round').map((e) => Number(e.leaveMs)),
          };
          rows.push(row);
          process.stdout.write(`${kind.padEnd(8)} ${protocol.padEnd(9)} ${String(n).padStart(3)} members: join rebalance ${row.roundsMs.map((x) => x.toFixed(0)).join(' / ')} ms (median ${median(row.roundsMs).toFixed(0)}), leave ${row.leaveMs.map((x) => x.toFixed(0)).join(' / ')} ms\n`);
        }
      }
    } finally {
      await broker?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write('\n| broker | protocol | members | join: rebalance ms (median of rounds) | rounds | leave: ms (median) |\n|---|---|---|---|---|---|\n');
  for (const r of rows) {
    process.stdout.write(`| ${r.broker} | ${r.protocol} | ${r.members} | ${median(r.roundsMs).toFixed(0)} | ${r.roundsMs.map((x) => x.toFixed(0)).join(', ')} | ${median(r.leaveMs).toFixed(0)} |\n`);
  }
}

await main();
