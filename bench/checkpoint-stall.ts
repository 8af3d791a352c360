// How long the periodic recovery-point checkpoint holds the broker's event loop: an embedded
// broker with `--partitions N` partitions, each with an idempotent producer's state changed
// since the last checkpoint (one new batch per partition before every measurement), so that
// every partition's producer state snapshot is out of date, as on a busy broker every
// log.flush.offset.checkpoint.interval.ms (60 s by default). Two ways, alternating, on the
// same broker:
// - synchronous: each snapshot and both checkpoint files written, fsync included, on the
//   event loop (what the periodic checkpoint did before it moved off the loop, and what a
//   clean shutdown still does once the logs are closed);
// - background: LogManager.checkpointRecoveryPoints as the schedule runs it now, the fsyncs
//   on the thread pool.
// For each: the wall time until the files are written, and the event loop's longest stall
// meanwhile (the longest gap between the callbacks of a 1 ms interval timer, less 1 ms): the
// time every request waited at worst.
//
//   node dist/bench/checkpoint-stall.js [--partitions 500] [--rounds 5]
//
// Prints one line per measurement and the medians; BENCHMARKS.md records the figures.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KafkaConnection } from '../src/client/kafka-connection.js';
import { startBroker } from '../src/embedded.js';
import { writeOffsetCheckpoint } from '../src/partition/checkpoint.js';
import { ApiKey } from '../src/protocol/generated/index.js';
import { recordBatch } from '../test/helpers/batch.js';

const { values } = parseArgs({ options: { partitions: { type: 'string', default: '500' }, rounds: { type: 'string', default: '5' } } });
const partitions = Number(values.partitions);
const rounds = Number(values.rounds);
if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`--partitions takes a positive integer, not ${values.partitions}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds takes a positive integer, not ${values.rounds}`);

const TOPIC = 'checkpointed';
/** Partitions per Produce request. */
const PER_REQUEST = 250;
/** Producer ids 1000.. : one producer per partition. */
const FIRST_PRODUCER_ID = 1000;

interface Measured {
  readonly wallMs: number;
  readonly longestStallMs: number;
}

// No admin API: its modules load in the background after start-up (120 ms of this thread
// here), which would land in the first measurement. No periodic checkpoint: this calls it.
const broker = await startBroker({ config: { 'offsets.topic.num.partitions': 1, 'log.flush.offset.checkpoint.interval.ms': 0, 'admin.listener': '' } });
const { topics, logs } = broker.broker.services;
const created = await topics.createTopic(TOPIC, partitions, 1, {});
if (created.errorCode !== 0) throw new Error(`CreateTopics ${TOPIC}: error ${created.errorCode}`);
const client = await KafkaConnection.connect(broker.host, broker.port, 'checkpoint-stall');
let sequence = 0;

/** One batch from each partition's producer, so that every producer state snapshot is out of date. */
async function changeEveryProducer(): Promise<void> {
  for (let from = 0; from < partitions; from += PER_REQUEST) {
    const partitionData = [];
    for (let i = from; i < Math.min(partitions, from + PER_REQUEST); i++) {
      partitionData.push({ index: i, records: recordBatch([{ value: `s${sequence}` }], Date.now(), { producerId: FIRST_PRODUCER_ID + i, producerEpoch: 0, baseSequence: sequence }) });
    }
    const r = await client.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData }] });
    const failed = r.responses[0]!.partitionResponses.find((p) => p.errorCode !== 0);
    if (failed) throw new Error(`produce to ${TOPIC}-${failed.index}: error ${failed.errorCode}`);
  }
  sequence++;
}

/**
 * Runs `write` from a timer callback while a 1 ms interval timer notes the gaps between its
 * callbacks: the longest gap, less the 1 ms period, is the longest time the loop could not
 * run anything else.
 */
async function measure(write: () => Promise<void>): Promise<Measured> {
  let last = performance.now();
  let longestGapMs = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 1);
  try {
    await new Promise((r) => setTimeout(r, 20));
    longestGapMs = 0;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      setTimeout(() => write().then(resolve, reject), 0);
    });
    const wallMs = performance.now() - t0;
    // A few more ticks, so that a stall at the very end is seen.
    await new Promise((r) => setTimeout(r, 10));
    return { wallMs, longestStallMs: Math.max(0, longestGapMs - 1) };
  } finally {
    clearInterval(probe);
  }
}

function synchronousCheckpoint(): Promise<void> {
  const all = [...logs.registry.all()];
  for (const p of all) p.producerStore.writeSnapshot();
  writeOffsetCheckpoint(path.join(broker.dataDir, 'recovery-point-offset-checkpoint'), all.map((p) => [p.topic, p.index, p.state().recoveryPoint]));
  writeOffsetCheckpoint(path.join(broker.dataDir, 'log-start-offset-checkpoint'), all.map((p) => [p.topic, p.index, p.logStartOffset]));
  return Promise.resolve();
}

const results: Record<'synchronous' | 'background', Measured[]> = { synchronous: [], background: [] };
try {
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? (['synchronous', 'background'] as const) : (['background', 'synchronous'] as const);
    for (const way of order) {
      await changeEveryProducer();
      const m = await measure(way === 'synchronous' ? synchronousCheckpoint : () => logs.checkpointRecoveryPoints());
      results[way].push(m);
      process.stdout.write(`round ${round} ${way}: ${partitions} snapshots and 2 checkpoint files in ${m.wallMs.toFixed(1)} ms; longest event loop stall ${m.longestStallMs.toFixed(1)} ms\n`);
    }
  }
} finally {
  client.close();
  await broker.close();
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, z) => a - z);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
for (const way of ['synchronous', 'background'] as const) {
  const ms = results[way];
  process.stdout.write(`median ${way}: ${median(ms.map((m) => m.wallMs)).toFixed(1)} ms to write, longest stall ${median(ms.map((m) => m.longestStallMs)).toFixed(1)} ms (${ms.length} rounds, ${partitions} partitions)\n`);
}
