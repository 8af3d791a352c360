// Fetch sessions between brokers (KIP-227), measured: three brokers on ZooKeeper, topics of 100
// partitions each, `--partitions N` in all, with replication factor 3, idle, then a trickle of one small
// produce per second to one partition. Each follower fetches from each leader every
// replica.fetch.wait.max.ms; without sessions every fetch names all its partitions and every
// answer carries them all, with sessions an idle fetch is a few bytes each way. Prints the
// three brokers' CPU seconds over the window, with sessions on and off
// (max.incremental.fetch.session.cache.slots=0 makes every fetch a full one).
//
//   node dist/bench/fetch-sessions.js [--partitions 1500] [--seconds 30]
import { parseArgs } from 'node:util';
import { ApiKey } from '../src/protocol/generated/index.js';
import { ThreeBrokerCluster, requestOnce } from '../test/cluster/three-brokers.js';
import { recordBatch } from '../test/helpers/batch.js';
import { cpuTimes } from './proc-stats.js';

const { values } = parseArgs({ options: { partitions: { type: 'string', default: '1500' }, seconds: { type: 'string', default: '30' } } });
const partitions = Number(values.partitions);
const seconds = Number(values.seconds);

async function run(slots: number): Promise<{ slots: number; cpuSec: number; perBroker: number[] }> {
  const cluster = await ThreeBrokerCluster.start({ chroot: `/bench-fetch-sessions-${slots}-${Date.now()}`, overrides: { 'max.incremental.fetch.session.cache.slots': slots, 'num.partitions': 1 } });
  try {
    // Topics of 100 partitions: one CreateTopics of thousands answers slower than the helper waits.
    for (let t = 0; t < Math.ceil(partitions / 100); t++) await cluster.createTopic(`wide-${t}`, Math.min(100, partitions - t * 100), 3, {});
    // Let creation and the first full fetches settle.
    await new Promise((r) => setTimeout(r, 5000));
    const pids = [...cluster.brokers.values()].map((b) => b.child.pid!);
    const before = pids.map((pid) => cpuTimes(pid));
    const port = cluster.livePorts()[0]!;
    for (let i = 0; i < seconds; i++) {
      await requestOnce(port, ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'wide-0', partitionData: [{ index: 0, records: recordBatch([{ value: `tick-${i}` }]) }] }] }, 'produce').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const perBroker = pids.map((pid, i) => {
      const after = cpuTimes(pid);
      return after.userSec + after.systemSec - before[i]!.userSec - before[i]!.systemSec;
    });
    return { slots, cpuSec: perBroker.reduce((a, b) => a + b, 0), perBroker };
  } finally {
    await cluster.close();
  }
}

const results = [];
for (const slots of [1000, 0]) {
  const r = await run(slots);
  results.push(r);
  console.log(JSON.stringify({ scenario: slots > 0 ? 'fetch sessions on' : 'fetch sessions off (full fetches)', partitions, seconds, brokersCpuSec: Number(r.cpuSec.toFixed(2)), perBrokerCpuSec: r.perBroker.map((c) => Number(c.toFixed(2))) }));
}
console.log(JSON.stringify({ summary: 'CPU with sessions / without', ratio: Number((results[0]!.cpuSec / results[1]!.cpuSec).toFixed(3)) }));
