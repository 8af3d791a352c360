// ReplicaManager.writeTxnMarkers over real partitions (real logs in temp dirs) behind a small
// TopicService stand-in: each partition's error as Kafka's handleWriteTxnMarkersRequest gives
// it (UNKNOWN_TOPIC_OR_PARTITION without a local replica, NOT_LEADER_OR_FOLLOWER on a follower,
// NOT_ENOUGH_REPLICAS below min.insync.replicas), the answer only once the ISR has the marker
// (acks=-1), and onTxnMarkerWritten called for __consumer_offsets partitions only, after
// replication; a throwing callback turns into UNKNOWN_SERVER_ERROR.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { effectiveTopicConfig } from '../../src/config/topic-config.js';
import { openLog, Partition } from '../../src/partition/partition.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ReplicaManager } from '../../src/partition/replica-manager.js';
import type { TopicService } from '../../src/partition/topic-service.js';
import { crc32c, recordBatch } from '../helpers/batch.js';

const BROKER = 0;
const dirs: string[] = [];
const partitions = new Map<string, Partition>();
const key = (topic: string, index: number) => `${topic}-${index}`;

function addPartition(topic: string, index: number, overrides: Record<string, string> = {}): Partition {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-rm-txn-'));
  dirs.push(dir);
  const config = effectiveTopicConfig(buildBrokerConfig(new Map([['log.dirs', dir]])), overrides);
  const p = new Partition(topic, index, dir, openLog(dir, config, 0), config, BROKER);
  p.producerStore.restore(Date.now(), 86_400_000);
  partitions.set(key(topic, index), p);
  return p;
}

/** The two TopicService calls ReplicaManager makes, over the map above. */
const topics = {
  partition: (topic: string, index: number) => partitions.get(key(topic, index)),
  leaderReplica: (topic: string, index: number) => {
    const p = partitions.get(key(topic, index));
    if (!p) return { partition: null, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    return p.isLeader ? { partition: p, errorCode: ErrorCode.NONE } : { partition: null, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  },
} as unknown as TopicService;

function txnBatch(producerId: number): Buffer {
  const b = recordBatch([{ key: 'k', value: 'v' }], Date.now(), { producerId, producerEpoch: 0, baseSequence: 0 });
  b.writeInt16BE(0x10, 21);
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
}

after(() => {
  for (const p of partitions.values()) p.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('ReplicaManager.writeTxnMarkers', () => {
  it("answers each partition's error, waits for the ISR, and reports __consumer_offsets markers once replicated", async () => {
    const rm = new ReplicaManager(topics, pino({ level: 'silent' }));
    const written: unknown[] = [];
    rm.onTxnMarkerWritten = (topic, partition, producerId, commit) => written.push([topic, partition, producerId, commit]);
    const offsets = addPartition('__consumer_offsets', 3);
    offsets.becomeLeader(1, [0, 1], [0, 1], Date.now());
    await offsets.appendAsLeader(txnBatch(77), 'coordinator'); // a transactional offset commit
    const data = addPartition('orders', 0);
    await data.appendAsLeader(txnBatch(77));
    const follower = addPartition('orders', 1);
    follower.becomeFollower(1, 1, [0, 1], [0, 1]);
    const thin = addPartition('orders', 2, { 'min.insync.replicas': '2' });

    const pending = rm.writeTxnMarkers(
      [
        {
          producerId: 77,
          producerEpoch: 0,
          coordinatorEpoch: 4,
          commit: true,
          partitions: [
            { topic: 'orders', partition: 0 },
            { topic: '__consumer_offsets', partition: 3 },
            { topic: 'orders', partition: 1 },
            { topic: 'orders', partition: 2 },
            { topic: 'orders', partition: 9 },
          ],
        },
      ],
      60_000,
    );
    while (offsets.logEndOffset < 2) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(written, [], 'not before the ISR has the marker');
    offsets.recordFollowerFetch(1, offsets.logEndOffset, Date.now());
    assert.deepEqual(await pending, [
      {
        producerId: 77,
        partitions: [
          { topic: 'orders', partition: 0, errorCode: ErrorCode.NONE },
          { topic: '__consumer_offsets', partition: 3, errorCode: ErrorCode.NONE },
          { topic: 'orders', partition: 1, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER },
          { topic: 'orders', partition: 2, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS },
          { topic: 'orders', partition: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
        ],
      },
    ]);
    assert.deepEqual(written, [['__consumer_offsets', 3, 77, true]], 'only the offsets partition is reported');
    assert.equal(offsets.lastStableOffset, offsets.highWatermark);
    assert.equal(data.lastStableOffset, 2);

  });

  it('answers UNKNOWN_SERVER_ERROR for an offsets partition whose callback throws, as Kafka when the group coordinator fails', async () => {
    const rm = new ReplicaManager(topics, pino({ level: 'silent' }));
    rm.onTxnMarkerWritten = () => {
      throw new Error('the group coordinator failed');
    };
    addPartition('__consumer_offsets', 5);
    const [result] = await rm.writeTxnMarkers([{ producerId: 78, producerEpoch: 0, coordinatorEpoch: 0, commit: false, partitions: [{ topic: '__consumer_offsets', partition: 5 }] }]);
    assert.deepEqual(result?.partitions, [{ topic: '__consumer_offsets', partition: 5, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR }]);
    assert.equal(partitions.get(key('__consumer_offsets', 5))!.logEndOffset, 1, 'the marker itself was written');
  });
});
