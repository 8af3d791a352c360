// kafkajs's transactional producer against the coordinator (in-process broker; the markers go
// through ReplicaManager.writeTxnMarkers, watched here): commit and abort end with the right
// markers on the partitions written, and a second producer with the same transactional id
// fences the first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startBroker, type EmbeddedBroker } from '../../src/embedded.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import type { TxnMarkerEntry } from '../../src/partition/txn-markers.js';
import { waitFor } from '../helpers/wait.js';


describe('kafkajs transactional producer', { timeout: 120_000 }, () => {
  let broker: EmbeddedBroker;
  let kafka: Kafka;
  const markers: TxnMarkerEntry[] = [];
  const producers: Producer[] = [];

  before(async () => {
    broker = await startBroker({ config: { 'transaction.state.log.num.partitions': 3, 'num.partitions': 2 } });
    const replicas = broker.broker.replicas;
    const real = replicas.writeTxnMarkers.bind(replicas);
    replicas.writeTxnMarkers = async (m) => {
      const results = await real(m);
      for (const entry of m) {
        const written = results.find((r) => r.producerId === entry.producerId)?.partitions.filter((p) => p.errorCode === ErrorCode.NONE) ?? [];
        if (written.length > 0) markers.push({ ...entry, partitions: written.map((p) => ({ topic: p.topic, partition: p.partition })) });
      }
      return results;
    };
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 2 }] });
    await admin.disconnect();
  });

  after(async () => {
    for (const p of producers) await p.disconnect().catch(() => {});
    await broker?.close();
  });

  const producer = async (transactionalId: string) => {
    const p = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true });
    producers.push(p);
    await p.connect();
    return p;
  };

  const stateOf = async (id: string) => broker.broker.transactions.describeTransaction(id).transactionState;

  it('commits and aborts; the markers name the partitions written', async () => {
    const p = await producer('kjs-1');
    const t1 = await p.transaction();
    await t1.send({ topic: 'ledger', messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }] });
    await t1.commit();
    // EndTxn answers once PrepareCommit is logged; the markers follow (as in Kafka).
    await waitFor('the commit markers', () => markers.some((m) => m.commit));
    const commit = markers.at(-1)!;
    assert.equal(commit.commit, true);
    assert.deepEqual(commit.partitions.map((x) => `${x.topic}-${x.partition}`).sort(), ['ledger-0', 'ledger-1']);
    for (let i = 0; i < 50 && (await stateOf('kjs-1')) !== 'CompleteCommit'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await stateOf('kjs-1'), 'CompleteCommit');

    const t2 = await p.transaction();
    await t2.send({ topic: 'ledger', messages: [{ partition: 1, value: 'c' }] });
    await t2.abort();
    // EndTxn answers once PrepareAbort is logged; the markers follow (as in Kafka).
    for (let i = 0; i < 50 && (await stateOf('kjs-1')) !== 'CompleteAbort'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await stateOf('kjs-1'), 'CompleteAbort');
    const abort = markers.at(-1)!;
    assert.equal(abort.commit, false);
    assert.deepEqual(abort.partitions, [{ topic: 'ledger', partition: 1 }]);
    assert.equal(abort.producerId, commit.producerId);
  });

  it('a second producer with the same transactional id fences the first', async () => {
    const zombie = await producer('kjs-fence');
    const tz = await zombie.transaction();
    await tz.send({ topic: 'ledger', messages: [{ partition: 0, value: 'zombie' }] });
    const fresh = await producer('kjs-fence');
    // kafkajs sends InitProducerId with the first transaction: it fences the zombie, whose
    // transaction the coordinator aborts first.
    const tf = await fresh.transaction();
    const aborted = markers.at(-1)!;
    assert.equal(aborted.commit, false);
    assert.deepEqual(aborted.partitions, [{ topic: 'ledger', partition: 0 }]);
    await assert.rejects(tz.commit(), (err: Error) => /fenced|epoch/i.test(`${err.name} ${err.message} ${(err as { type?: string }).type ?? ''}`), 'the zombie cannot commit');
    await tf.send({ topic: 'ledger', messages: [{ partition: 0, value: 'fresh' }] });
    await tf.commit();
    for (let i = 0; i < 50 && (await stateOf('kjs-fence')) !== 'CompleteCommit'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(markers.at(-1)!.commit, true);
    assert.ok(markers.at(-1)!.producerEpoch > aborted.producerEpoch - 1);
  });
});
