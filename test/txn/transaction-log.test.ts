// __transaction_state records against their byte layout written out by hand from Kafka's
// TransactionLogKey.json and TransactionLogValue.json (version 0, as Kafka writes it for
// transaction version 1), and the state machine's allowed and refused transitions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeTransactionLogKey, decodeTransactionLogValue, transactionLogKey, transactionLogValue } from '../../src/txn/transaction-log.js';
import { TransactionMetadata, TransactionState, TransactionStateError, transactionStateFromName, transactionStateName } from '../../src/txn/transaction-metadata.js';
import { partitionForTransactionalId } from '../../src/txn/transaction-state-topic.js';
import { ErrorCode } from '../../src/protocol/errors.js';

/** A tiny big-endian writer, independent of the protocol primitives. */
function be(parts: ([ 'i8' | 'i16' | 'i32' | 'i64', number ] | ['str', string])[]): Buffer {
  const out: Buffer[] = [];
  for (const [kind, v] of parts) {
    if (kind === 'str') {
      const s = Buffer.from(v, 'utf8');
      const len = Buffer.alloc(2);
      len.writeInt16BE(s.length);
      out.push(len, s);
      continue;
    }
    const size = { i8: 1, i16: 2, i32: 4, i64: 8 }[kind];
    const b = Buffer.alloc(size);
    if (kind === 'i8') b.writeInt8(v);
    else if (kind === 'i16') b.writeInt16BE(v);
    else if (kind === 'i32') b.writeInt32BE(v);
    else b.writeBigInt64BE(BigInt(v));
    out.push(b);
  }
  return Buffer.concat(out);
}

describe('__transaction_state records', () => {
  it('key: int16 version 0, then the transactional id as a STRING', () => {
    const key = transactionLogKey('tx-é');
    assert.deepEqual(key, be([['i16', 0], ['str', 'tx-é']]));
    assert.equal(decodeTransactionLogKey(key), 'tx-é');
  });

  it('value v0 of an Ongoing transaction: partitions grouped by topic, sorted', () => {
    const value = transactionLogValue({
      producerId: 4242,
      producerEpoch: 3,
      txnTimeoutMs: 60_000,
      state: TransactionState.Ongoing,
      topicPartitions: [{ topic: 'b', partition: 1 }, { topic: 'a', partition: 2 }, { topic: 'b', partition: 0 }],
      txnLastUpdateTimestampMs: 1_700_000_000_123,
      txnStartTimestampMs: 1_700_000_000_000,
    });
    const expected = be([
      ['i16', 0],
      ['i64', 4242],
      ['i16', 3],
      ['i32', 60_000],
      ['i8', 1],
      ['i32', 2],
      ['str', 'a'],
      ['i32', 1],
      ['i32', 2],
      ['str', 'b'],
      ['i32', 2],
      ['i32', 0],
      ['i32', 1],
      ['i64', 1_700_000_000_123],
      ['i64', 1_700_000_000_000],
    ]);
    assert.deepEqual(value, expected);
    const decoded = decodeTransactionLogValue(value);
    assert.equal(decoded.state, TransactionState.Ongoing);
    assert.deepEqual(decoded.topicPartitions, [{ topic: 'a', partition: 2 }, { topic: 'b', partition: 0 }, { topic: 'b', partition: 1 }]);
  });

  it('value v0 of an Empty id: partitions null', () => {
    const value = transactionLogValue({ producerId: 1, producerEpoch: 0, txnTimeoutMs: 1000, state: TransactionState.Empty, topicPartitions: [], txnLastUpdateTimestampMs: 5, txnStartTimestampMs: -1 });
    assert.deepEqual(value, be([['i16', 0], ['i64', 1], ['i16', 0], ['i32', 1000], ['i8', 0], ['i32', -1], ['i64', 5], ['i64', -1]]));
    assert.deepEqual(decodeTransactionLogValue(value).topicPartitions, []);
  });

  it('refuses to write Dead, PrepareEpochFence, or an Empty id with partitions; refuses to read an unknown version', () => {
    const base = { producerId: 1, producerEpoch: 0, txnTimeoutMs: 1000, topicPartitions: [], txnLastUpdateTimestampMs: 0, txnStartTimestampMs: -1 };
    assert.throws(() => transactionLogValue({ ...base, state: TransactionState.Dead }));
    assert.throws(() => transactionLogValue({ ...base, state: TransactionState.PrepareEpochFence }));
    assert.throws(() => transactionLogValue({ ...base, state: TransactionState.Empty, topicPartitions: [{ topic: 't', partition: 0 }] }));
    assert.throws(() => decodeTransactionLogValue(be([['i16', 9], ['i64', 1]])));
    assert.throws(() => decodeTransactionLogKey(be([['i16', 1], ['str', 'x']])));
  });

  it('partitionFor is Kafka\'s: abs(String.hashCode) % partitions, with Integer.MIN_VALUE mapped to 0', () => {
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE in Java.
    assert.equal(partitionForTransactionalId('polygenelubricants', 50), 0);
    // "my-txn".hashCode() = -1061187895 in Java: abs % 50 = 45.
    assert.equal(partitionForTransactionalId('my-txn', 50), 45);
    assert.equal(partitionForTransactionalId('', 50), 0);
  });
});

describe('TransactionMetadata state machine', () => {
  const fresh = () => new TransactionMetadata('t', 10, -1, -1, -1, 1000, TransactionState.Empty, [], -1, 0);

  it('names every state as Kafka does', () => {
    for (const name of ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence']) {
      assert.equal(transactionStateName(transactionStateFromName(name)!), name);
    }
    assert.equal(transactionStateFromName('Stable'), null);
  });

  it('runs Empty -> Ongoing -> PrepareCommit -> CompleteCommit -> Ongoing with a pending state between prepare and complete', () => {
    const m = fresh();
    const init = m.prepareIncrementProducerEpoch(1000, null, 1);
    assert.ok(!('errorCode' in init));
    assert.equal(m.pendingState, TransactionState.Empty);
    assert.throws(() => m.prepareAddPartitions([{ topic: 'x', partition: 0 }], 2), TransactionStateError, 'one transition at a time');
    m.completeTransitionTo(init);
    assert.equal(m.producerEpoch, 0);
    const add = m.prepareAddPartitions([{ topic: 'x', partition: 0 }], 2);
    m.completeTransitionTo(add);
    assert.equal(m.state, TransactionState.Ongoing);
    assert.equal(m.txnStartTimestamp, 2);
    m.completeTransitionTo(m.prepareAbortOrCommit(TransactionState.PrepareCommit, 3));
    assert.throws(() => m.prepareAddPartitions([{ topic: 'x', partition: 1 }], 4), TransactionStateError, 'no partitions while committing');
    m.removePartition({ topic: 'x', partition: 0 });
    m.completeTransitionTo(m.prepareComplete(5));
    assert.equal(m.state, TransactionState.CompleteCommit);
    assert.equal(m.topicPartitions.size, 0);
    m.completeTransitionTo(m.prepareAddPartitions([{ topic: 'y', partition: 0 }], 6));
    assert.equal(m.txnStartTimestamp, 6, 'a new transaction starts now');
  });

  it('refuses transitions Kafka refuses', () => {
    const m = fresh();
    assert.throws(() => m.prepareAbortOrCommit(TransactionState.PrepareCommit, 1), TransactionStateError, 'Empty cannot commit');
    assert.throws(() => m.prepareComplete(1), TransactionStateError);
    assert.throws(() => m.prepareFenceProducerEpoch(), TransactionStateError, 'only an Ongoing transaction is fenced');
  });

  it('KIP-360 epochs: expected = current bumps and remembers it; expected = last answers the same; else PRODUCER_FENCED', () => {
    const m = new TransactionMetadata('t', 10, -1, 5, -1, 1000, TransactionState.Empty, [], -1, 0);
    const bump = m.prepareIncrementProducerEpoch(1000, 5, 1);
    assert.ok(!('errorCode' in bump));
    m.completeTransitionTo(bump);
    assert.deepEqual([m.producerEpoch, m.lastProducerEpoch], [6, 5]);
    const retry = m.prepareIncrementProducerEpoch(1000, 5, 2);
    assert.ok(!('errorCode' in retry));
    assert.equal(retry.producerEpoch, 6);
    m.pendingState = null;
    assert.deepEqual(m.prepareIncrementProducerEpoch(1000, 3, 3), { errorCode: ErrorCode.PRODUCER_FENCED });
  });

  it('fences an ongoing transaction under epoch + 1, or the same epoch after a failed fence', () => {
    const m = new TransactionMetadata('t', 10, -1, 4, -1, 1000, TransactionState.Ongoing, [{ topic: 'x', partition: 0 }], 1, 1);
    assert.equal(m.prepareFenceProducerEpoch().producerEpoch, 5);
    m.pendingState = null;
    m.hasFailedEpochFence = true;
    assert.equal(m.prepareFenceProducerEpoch().producerEpoch, 4);
  });
});
