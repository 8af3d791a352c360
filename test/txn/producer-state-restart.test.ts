// Idempotent producers' state across broker restarts, on a broker process and its real files.
// After a clean stop the state comes from the snapshot the broker left (here the producer's
// batches are three segments back, beyond what a rebuild from the log reads); after SIGKILL it
// is rebuilt from the batch headers of the last two segments, as it is when the snapshot is
// damaged. Either way a retry of the last
// batch sent before the restart is answered with its original offset and stored once, a gap
// is still refused, and the next sequence is accepted.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { PRODUCER_STATE_SNAPSHOT_FILE } from '../../src/txn/producer-state-snapshot.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';

const TOPIC = 'idem-restart';
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

  async function start(dataDir: string): Promise<BrokerProcess> {
    const broker = await startBrokerProcess({ dataDir });
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

  const endOffset = async (c: KafkaConnection) => (await c.request(ApiKey.ListOffsets, 9, { replicaId: -1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] })).topics[0]!.partitions[0]!.offset;

  /**
   * Sends two batches of one idempotent producer, then `filler` batches of about 600 bytes
   * without a producer id (with 1 KiB segments, one segment each), stops the broker with
   * `how`, starts it again on the same files and checks the producer is still known.
   */
  async function retryAcrossRestart(how: 'stop' | 'kill', filler: number, beforeRestart?: (partitionDir: string) => void): Promise<{ snapshotLeft: boolean; logLines: string[] }> {
    const dataDir = tempDir();
    cleanup.push(() => removeDir(dataDir));
    let broker = await start(dataDir);
    let c = await connect(broker);
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, configs: [{ name: 'segment.bytes', value: '1024' }] }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    const { producerId } = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000 });
    const producer = (baseSequence: number, values: string[]) => recordBatch(values.map((value) => ({ value })), Date.now(), { producerId, producerEpoch: 0, baseSequence });

    assert.equal((await produce(c, producer(0, ['a', 'b']))).errorCode, ErrorCode.NONE);
    const last = producer(2, ['c', 'd', 'e']);
    const sent = await produce(c, last);
    assert.equal(sent.errorCode, ErrorCode.NONE);
    for (let i = 0; i < filler; i++) assert.equal((await produce(c, recordBatch([{ value: 'x'.repeat(600) }]))).errorCode, ErrorCode.NONE);
    const end = await endOffset(c);
    c.close();

    if (how === 'stop') assert.equal(await broker.stop(), 0);
    else await broker.kill();
    const partitionDir = path.join(dataDir, `${TOPIC}-0`);
    const snapshotLeft = existsSync(path.join(partitionDir, PRODUCER_STATE_SNAPSHOT_FILE));
    beforeRestart?.(partitionDir);

    broker = await start(dataDir);
    c = await connect(broker);
    const retried = await produce(c, last);
    assert.equal(retried.errorCode, ErrorCode.NONE);
    assert.equal(retried.baseOffset, sent.baseOffset, 'the retry is answered with the offset it was stored at');
    assert.equal(await endOffset(c), end, 'and is not stored again');
    assert.equal((await produce(c, producer(9, ['g']))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const next = await produce(c, producer(5, ['f']));
    assert.equal(next.errorCode, ErrorCode.NONE);
    assert.equal(next.baseOffset, end);
    assert.equal(existsSync(path.join(partitionDir, PRODUCER_STATE_SNAPSHOT_FILE)), false, 'a snapshot serves one start only');
    return { snapshotLeft, logLines: broker.logLines };
  }

  it('keeps the state through a clean stop in a snapshot, also for batches older than the last two segments', async () => {
    const { snapshotLeft } = await retryAcrossRestart('stop', 3);
    assert.equal(snapshotLeft, true);
  });

  it('rebuilds the state from the last segments after SIGKILL', async () => {
    const { snapshotLeft } = await retryAcrossRestart('kill', 1);
    assert.equal(snapshotLeft, false);
  });

  it('rebuilds the state from the last segments when the snapshot is damaged, and says so', async () => {
    const damage = (dir: string) => writeFileSync(path.join(dir, PRODUCER_STATE_SNAPSHOT_FILE), '{"version":1,"offset":');
    const { snapshotLeft, logLines } = await retryAcrossRestart('stop', 1, damage);
    assert.equal(snapshotLeft, true);
    assert.ok(logLines.some((line) => line.includes('producer state snapshot unusable') && line.includes('not JSON')), logLines.join('\n'));
  });
});
