// The records of __transaction_state, in Kafka's format (TransactionLog.keyToBytes and
// valueToBytes), so that Kafka's own tools read our transaction log and we read theirs:
//   key   = int16 version (0) + TransactionLogKey
//   value = int16 version + TransactionLogValue, written as 0 for a transaction of version 1
//           and as 1 (with the tagged PreviousProducerId, NextProducerId, NextProducerEpoch
//           and ClientTransactionVersion) for one of version 2 (KIP-890 part 2), read in 0-1
//         | null: a tombstone, the transactional id expired (Kafka's writeTombstonesForExpiredTransactionalIds).
// The partitions of an Empty transaction are written as null, as Kafka does.
import { dataCodecs } from '../protocol/generated/index.js';
import { Reader, Writer } from '../protocol/primitives/index.js';
import { TransactionState, transactionStateFromId, type TopicPartitionKey } from './transaction-metadata.js';

const TRANSACTION_LOG_KEY_VERSION = 0;
const TRANSACTION_LOG_VALUE_VERSION_TV1 = 0;
const TRANSACTION_LOG_VALUE_VERSION_TV2 = 1;

/** What a TransactionLogValue record says of a transactional id (Kafka's TxnTransitMetadata as written). */
export interface TransactionLogEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TransactionState;
  readonly topicPartitions: readonly TopicPartitionKey[];
  readonly txnLastUpdateTimestampMs: number;
  readonly txnStartTimestampMs: number;
  /** Value version 1 only (read from version 0 as 1, -1, -1). */
  readonly clientTransactionVersion?: number;
  readonly previousProducerId?: number;
  readonly nextProducerId?: number;
}

/** Thrown for a key or value this coordinator cannot read (an unknown version or state). */
export class TransactionLogRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransactionLogRecordError';
  }
}

const writer = new Writer({ initialCapacityBytes: 512, maxRetainedBytes: 1024 * 1024 });

export function transactionLogKey(transactionalId: string): Buffer {
  writer.reset();
  writer.writeInt16(TRANSACTION_LOG_KEY_VERSION);
  dataCodecs.TransactionLogKey.encode(writer, TRANSACTION_LOG_KEY_VERSION, { transactionalId });
  return writer.finish();
}

/** Groups partitions by topic, topics and partitions in ascending order (stable bytes for equal sets). */
export function partitionsByTopic(partitions: Iterable<TopicPartitionKey>): { topic: string; partitionIds: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) {
    let list = byTopic.get(p.topic);
    if (!list) byTopic.set(p.topic, (list = []));
    list.push(p.partition);
  }
  return [...byTopic.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, ids]) => ({ topic, partitionIds: ids.sort((x, y) => x - y) }));
}

export function transactionLogValue(e: TransactionLogEntry): Buffer {
  // Kafka's valueToBytes refuses these: the coordinator never writes them.
  if (e.state === TransactionState.Empty && e.topicPartitions.length > 0) throw new TransactionLogRecordError('an Empty transaction with partitions');
  if (e.state === TransactionState.Dead || e.state === TransactionState.PrepareEpochFence) throw new TransactionLogRecordError(`the state ${e.state} is never written`);
  const tv2 = (e.clientTransactionVersion ?? 1) >= 2;
  const version = tv2 ? TRANSACTION_LOG_VALUE_VERSION_TV2 : TRANSACTION_LOG_VALUE_VERSION_TV1;
  writer.reset();
  writer.writeInt16(version);
  dataCodecs.TransactionLogValue.encode(writer, version, {
    ...(tv2 ? { previousProducerId: e.previousProducerId ?? -1, nextProducerId: e.nextProducerId ?? -1, nextProducerEpoch: (e.nextProducerId ?? -1) === -1 ? -1 : 0, clientTransactionVersion: e.clientTransactionVersion } : {}),
    producerId: e.producerId,
    producerEpoch: e.producerEpoch,
    transactionTimeoutMs: e.txnTimeoutMs,
    transactionStatus: e.state,
    transactionPartitions: e.state === TransactionState.Empty ? null : partitionsByTopic(e.topicPartitions),
    transactionLastUpdateTimestampMs: e.txnLastUpdateTimestampMs,
    transactionStartTimestampMs: e.txnStartTimestampMs,
  });
  return writer.finish();
}

export function decodeTransactionLogKey(key: Buffer): string {
  const r = new Reader(key);
  const version = r.readInt16();
  if (version !== TRANSACTION_LOG_KEY_VERSION) throw new TransactionLogRecordError(`unknown __transaction_state key version ${version}`);
  return dataCodecs.TransactionLogKey.decode(r, version).transactionalId;
}

export function decodeTransactionLogValue(value: Buffer): TransactionLogEntry {
  const r = new Reader(value);
  const version = r.readInt16();
  const c = dataCodecs.TransactionLogValue;
  if (version < c.minVersion || version > c.maxVersion) throw new TransactionLogRecordError(`unknown __transaction_state value version ${version}`);
  const v = c.decode(r, version);
  const state = transactionStateFromId(v.transactionStatus);
  if (state === null) throw new TransactionLogRecordError(`unknown transaction state id ${v.transactionStatus}`);
  const topicPartitions: TopicPartitionKey[] = [];
  for (const t of v.transactionPartitions ?? []) for (const partition of t.partitionIds) topicPartitions.push({ topic: t.topic, partition });
  return {
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    txnTimeoutMs: v.transactionTimeoutMs,
    state,
    topicPartitions,
    txnLastUpdateTimestampMs: v.transactionLastUpdateTimestampMs,
    txnStartTimestampMs: v.transactionStartTimestampMs,
    // Value version 1 only: absent from a version-0 record (read as version 1, no ids).
    ...(version >= 1 ? { clientTransactionVersion: Math.max(v.clientTransactionVersion, 1), previousProducerId: v.previousProducerId, nextProducerId: v.nextProducerId } : {}),
  };
}
