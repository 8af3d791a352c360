// Idempotent producers' state across broker restarts, on a broker process and its real files.
// After a clean stop the state comes from the snapshot the broker left at shutdown, and after
// SIGKILL from the last snapshot (a stop's or a checkpoint's) plus the batches after it (in
// both cases the producer's batches are three segments back, beyond what a rebuild from the
// log alone reads).
// Without a snapshot, or with a damaged one, it is rebuilt from the batch headers of the last
// two segments. Each way a retry of the last batch sent before the restart is answered with
// its original offset and stored once, an older epoch and a gap are still refused, and the
// next sequence is accepted.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { PRODUCER_STATE_SNAPSHOT_FILE } from '../../src/partition/producer-state-snapshot.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';

const TOPIC = 'idem-restart';
const NO_CHECKPOINTS = { 'log.flush.offset.checkpoint.interval.ms': 0 };
const RETRIABLE = new Set<number>([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE]);

describe('idempotent producer state across restarts', { timeout: 120_000 }, () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function connect(broker: BrokerProcess): Promise<KafkaConnection> {
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    cleanup.push(() => c.close());
    return c;
  }

  async function start(dataDir: string, overrides: Record<string, string | number> = {}): Promise<BrokerProcess> {
    const broker = await startBrokerProcess({ dataDir, overrides });
    cleanup.push(async () => {
      if (broker.child.exitCode === null) await broker.stop();
    });
    return broker;
  }

  /** Produces with acks=-1, retrying while the restarted broker is still taking up leadership. */
  async function produce(c: KafkaConnection, batch: Buffer) {
    for (let attempt = 0; ; attempt++) {
      const response = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: Buffer.from(batch) }] }] });
      const partition = response.responses[0]!.partitionResponses[0]!;
      if (!RETRIABLE.has(partition.errorCode) || attempt === 50) return partition;
      await sleep(100);
    }
  }

  /** The topic, with 1 KiB segments. */
  async function createTopic(c: KafkaConnection): Promise<void> {
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.bytes', value: '1024' }] }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  }

  const endOffset = async (c: KafkaConnection) => (await c.request(ApiKey.ListOffsets, 9, { replicaId: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] })).topics[0]!.partitions[0]!.offset;

  interface Restart {
    readonly how: 'stop' | 'kill';
    /** Batches of about 600 bytes without a producer id after the producer's: with 1 KiB segments, one segment each. */
    readonly filler: number;
    /** Broker config for the first run. */
    readonly overrides?: Record<string, string | number>;
    /** Stop cleanly and start again between the producer's two batches. */
    readonly restartBetweenBatches?: boolean;
    /** Runs between the two brokers. */
    readonly beforeRestart?: (partitionDir: string) => void;
  }

  const snapshotIn = (dir: string) => path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE);

  /**
   * Sends a batch of one idempotent producer at epoch 0 and one at epoch 1, then the filler,
   * stops the broker as told, starts it again on the same files and checks the producer is
   * still known.
   */
  async function retryAcrossRestart(r: Restart): Promise<{ snapshotLeft: boolean; logLines: string[] }> {
    const dataDir = tempDir();
    cleanup.push(() => removeDir(dataDir));
    const partitionDir = path.join(dataDir, `${TOPIC}-0`);
    let broker = await start(dataDir, r.overrides);
    let c = await connect(broker);
    await createTopic(c);
    const { producerId } = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 });
    const producer = (producerEpoch: number, baseSequence: number, values: string[]) => recordBatch(values.map((value) => ({ value })), Date.now(), { producerId, producerEpoch, baseSequence });

    assert.equal((await produce(c, producer(0, 0, ['a', 'b']))).errorCode, ErrorCode.NONE);
    if (r.restartBetweenBatches) {
      c.close();
      assert.equal(await broker.stop(), 0);
      broker = await start(dataDir, r.overrides);
      c = await connect(broker);
    }
    const last = producer(1, 0, ['c', 'd', 'e']);
    const sent = await produce(c, last);
    assert.equal(sent.errorCode, ErrorCode.NONE);
    for (let i = 0; i < r.filler; i++) assert.equal((await produce(c, recordBatch([{ value: 'x'.repeat(600) }]))).errorCode, ErrorCode.NONE);
    const end = await endOffset(c);
    c.close();

    if (r.how === 'stop') assert.equal(await broker.stop(), 0);
    else await broker.kill();
    const snapshotLeft = existsSync(snapshotIn(partitionDir));
    r.beforeRestart?.(partitionDir);

    broker = await start(dataDir);
    c = await connect(broker);
    const retried = await produce(c, last);
    assert.equal(retried.errorCode, ErrorCode.NONE);
    assert.equal(retried.baseOffset, sent.baseOffset, 'the retry is answered with the offset it was stored at');
    assert.equal(await endOffset(c), end, 'and is not stored again');
    assert.equal((await produce(c, producer(0, 2, ['f']))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal((await produce(c, producer(1, 9, ['g']))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const next = await produce(c, producer(1, 3, ['h']));
    assert.equal(next.errorCode, ErrorCode.NONE);
    assert.equal(next.baseOffset, end);
    return { snapshotLeft, logLines: broker.logLines };
  }

  it('keeps the state through a clean stop in a snapshot, also for batches older than the last two segments', async () => {
    const { snapshotLeft } = await retryAcrossRestart({ how: 'stop', filler: 3 });
    assert.equal(snapshotLeft, true);
  });

  it('after SIGKILL, restores the snapshot of an earlier stop and replays the batches after it', async () => {
    // The epoch-0 batch is only in the snapshot of the first stop; the epoch-1 batch after it,
    // three segments back at the kill, only in the replay. No checkpoint runs (interval 0).
    const { snapshotLeft } = await retryAcrossRestart({ how: 'kill', filler: 3, restartBetweenBatches: true, overrides: NO_CHECKPOINTS });
    assert.equal(snapshotLeft, true);
  });

  it('writes the snapshot at each recovery-point checkpoint while the broker runs', async () => {
    const dataDir = tempDir();
    cleanup.push(() => removeDir(dataDir));
    const broker = await start(dataDir, { 'log.flush.offset.checkpoint.interval.ms': 100 });
    const c = await connect(broker);
    await createTopic(c);
    const { producerId } = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 });
    const file = snapshotIn(path.join(dataDir, `${TOPIC}-0`));
    for (const baseSequence of [0, 1]) {
      assert.equal((await produce(c, recordBatch([{ value: 'v' }], 1_700_000_000_000, { producerId, producerEpoch: 0, baseSequence }))).errorCode, ErrorCode.NONE);
      let snapshot: { offset?: number; producers?: unknown } = {};
      for (let i = 0; i < 100 && snapshot.offset !== baseSequence + 1; i++) {
        await sleep(50);
        if (existsSync(file)) snapshot = JSON.parse(readFileSync(file, 'utf8')) as typeof snapshot;
      }
      assert.deepEqual(snapshot, { version: 2, offset: baseSequence + 1, producers: [{ producerId, epoch: 0, lastTimestamp: 1_700_000_000_000, batches: [0, 1].slice(0, baseSequence + 1).map((s) => ({ firstSequence: s, lastSequence: s, firstOffset: s })), coordinatorEpoch: -1, currentTxnFirstOffset: -1 }] });
    }
  });

  it('without a snapshot, rebuilds the state from the last two segments', async () => {
    // The producer's batches end up in the second-to-last segment; no checkpoint runs.
    const { snapshotLeft } = await retryAcrossRestart({ how: 'kill', filler: 2, overrides: NO_CHECKPOINTS });
    assert.equal(snapshotLeft, false);
  });

  it('rebuilds the state from the last segments when the snapshot is damaged, and says so', async () => {
    const damage = (dir: string) => writeFileSync(snapshotIn(dir), '{"version":1,"offset":');
    const { snapshotLeft, logLines } = await retryAcrossRestart({ how: 'stop', filler: 1, beforeRestart: damage });
    assert.equal(snapshotLeft, true);
    assert.ok(logLines.some((line) => line.includes('producer state snapshot unusable') && line.includes('not JSON')), logLines.join('\n'));
  });
});
