// TransactionAdmin: transaction administration over the Kafka protocol, wherever each
// transactional id's coordinator and each partition's leader are, as Kafka's Admin client
// does it for kafka-transactions.sh: list (ListTransactions on every broker), describe
// (FindCoordinator for the transactional id, then DescribeTransactions), the producers of a
// partition (DescribeProducers at its leader or a given replica), hanging transactions (open
// on a partition longer than the longest timeout, unknown to every coordinator), and abort
// (WriteTxnMarkers with ABORT to the partition's leader, for the producer whose transaction
// starts at the offset given). One implementation for `tidelog transactions` and the HTTP
// admin API.
import { compileRe2jPattern } from '../protocol/re2j-pattern.js';
import { ApiKey } from '../protocol/generated/index.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import { KafkaClientError, type BrokerConnection, type KafkaClient } from './kafka-client.js';

/** FindCoordinator's key type for transactional ids. */
const TRANSACTION_COORDINATOR = 1;

export interface TransactionListing {
  readonly transactionalId: string;
  /** The broker that answered: the transactional id's coordinator. */
  readonly coordinatorId: number;
  readonly producerId: number;
  readonly state: string;
}

export interface TransactionDescription {
  readonly coordinatorId: number;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly state: string;
  readonly transactionTimeoutMs: number;
  /** -1 when no transaction is open. */
  readonly transactionStartTimeMs: number;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
}

export interface ProducerStateRow {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** -1 when no marker was written for this producer yet. */
  readonly coordinatorEpoch: number;
  readonly lastSequence: number;
  readonly lastTimestamp: number;
  /** The first offset of the producer's open transaction; -1 for none. */
  readonly currentTxnStartOffset: number;
}

export interface HangingTransaction {
  readonly topic: string;
  readonly partition: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly startOffset: number;
  readonly lastTimestamp: number;
  readonly durationMinutes: number;
}

/** An abort by start offset found no producer whose open transaction starts there. */
export class NoOpenTransactionError extends KafkaClientError {
  constructor(topic: string, partition: number, startOffset: number) {
    super(`No open transaction starts at offset ${startOffset} on partition ${topic}-${partition}`, ErrorCode.INVALID_REQUEST);
    this.name = 'KafkaClientError';
  }
}

function failed(what: string, errorCode: number, message?: string | null): KafkaClientError {
  return new KafkaClientError(`${what}: ${message && message.length > 0 ? message : errorName(errorCode)}`, errorCode);
}

/**
 * ListTransactions on every broker; `durationFilterMs` >= 0 keeps those open longer (v1);
 * `transactionalIdPattern` (an RE2/J pattern the whole id must match) is sent from v2 and
 * applied here to the answers of older brokers.
 */
export async function listTransactions(
  client: KafkaClient,
  filters: { states?: readonly string[]; producerIds?: readonly number[]; durationFilterMs?: number; transactionalIdPattern?: string } = {},
): Promise<TransactionListing[]> {
  const md = await client.metadata([]);
  const pattern = filters.transactionalIdPattern ? compileRe2jPattern(filters.transactionalIdPattern) : null;
  const out: TransactionListing[] = [];
  for (const b of md.brokers) {
    const conn = await client.broker(b.nodeId);
    const durationFilter = filters.durationFilterMs ?? -1;
    const v = conn.version(ApiKey.ListTransactions, durationFilter >= 0 ? 1 : 0, 2, 'ListTransactions');
    const res = await conn.send(ApiKey.ListTransactions, v, {
      stateFilters: filters.states ?? [],
      producerIdFilters: filters.producerIds ?? [],
      ...(v >= 1 ? { durationFilter } : {}),
      ...(v >= 2 && pattern !== null ? { transactionalIdPattern: filters.transactionalIdPattern } : {}),
    });
    if (res.errorCode !== ErrorCode.NONE) throw failed(`ListTransactions on broker ${b.nodeId}`, res.errorCode);
    for (const t of res.transactionStates) {
      if (pattern !== null && !pattern.test(t.transactionalId)) continue;
      out.push({ transactionalId: t.transactionalId, coordinatorId: b.nodeId, producerId: t.producerId, state: t.transactionState });
    }
  }
  return out.sort((a, b) => a.transactionalId.localeCompare(b.transactionalId));
}

/** DescribeTransactions at the transactional id's coordinator. */
export async function describeTransaction(client: KafkaClient, transactionalId: string): Promise<TransactionDescription> {
  const conn = await client.coordinator(transactionalId, TRANSACTION_COORDINATOR);
  const coordinatorId = client.knownBrokers().find((b) => `${b.host}:${b.port}` === conn.address)?.nodeId ?? -1;
  const v = conn.version(ApiKey.DescribeTransactions, 0, 0, 'DescribeTransactions');
  const res = await conn.send(ApiKey.DescribeTransactions, v, { transactionalIds: [transactionalId] });
  const t = res.transactionStates[0];
  if (!t) throw new KafkaClientError(`DescribeTransactions for '${transactionalId}' returned nothing`, ErrorCode.UNKNOWN_SERVER_ERROR);
  if (t.errorCode !== ErrorCode.NONE) throw failed(`Transactional id '${transactionalId}'`, t.errorCode);
  return {
    coordinatorId,
    transactionalId: t.transactionalId,
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    state: t.transactionState,
    transactionTimeoutMs: t.transactionTimeoutMs,
    transactionStartTimeMs: t.transactionStartTimeMs,
    partitions: t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.topic, partition }))),
  };
}

/** DescribeProducers for one partition, at its leader or (brokerId) at a given replica. */
export async function describeProducers(client: KafkaClient, topic: string, partition: number, brokerId?: number): Promise<ProducerStateRow[]> {
  const conn: BrokerConnection = brokerId === undefined ? await client.leaderFor(topic, partition) : await client.broker(brokerId);
  const v = conn.version(ApiKey.DescribeProducers, 0, 0, 'DescribeProducers');
  const res = await conn.send(ApiKey.DescribeProducers, v, { topics: [{ name: topic, partitionIndexes: [partition] }] });
  const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  if (!p) throw new KafkaClientError(`DescribeProducers for ${topic}-${partition} returned nothing`, ErrorCode.UNKNOWN_SERVER_ERROR);
  if (p.errorCode !== ErrorCode.NONE) throw failed(`Partition ${topic}-${partition}`, p.errorCode, p.errorMessage);
  return p.activeProducers.map((s) => ({
    producerId: s.producerId,
    producerEpoch: s.producerEpoch,
    coordinatorEpoch: s.coordinatorEpoch,
    lastSequence: s.lastSequence,
    lastTimestamp: s.lastTimestamp,
    currentTxnStartOffset: s.currentTxnStartOffset,
  }));
}

/** The transaction to abort: by its start offset (looked up with DescribeProducers), or given whole. */
export type AbortTarget = { readonly startOffset: number } | { readonly producerId: number; readonly producerEpoch: number; readonly coordinatorEpoch: number };

/**
 * Writes an ABORT marker for one producer's open transaction on one partition (Kafka's
 * Admin.abortTransaction): the partition's leader completes it as the coordinator would have.
 */
export async function abortTransaction(client: KafkaClient, topic: string, partition: number, target: AbortTarget): Promise<{ producerId: number; producerEpoch: number; coordinatorEpoch: number }> {
  let spec: { producerId: number; producerEpoch: number; coordinatorEpoch: number };
  if ('startOffset' in target) {
    const open = (await describeProducers(client, topic, partition)).find((p) => p.currentTxnStartOffset === target.startOffset);
    if (!open) throw new NoOpenTransactionError(topic, partition, target.startOffset);
    // A marker needs a coordinator epoch at least the partition's; a producer that never had a
    // marker has none (-1), and 0 is the smallest valid one.
    spec = { producerId: open.producerId, producerEpoch: open.producerEpoch, coordinatorEpoch: Math.max(0, open.coordinatorEpoch) };
  } else {
    spec = { ...target };
  }
  const conn = await client.leaderFor(topic, partition);
  const v = conn.version(ApiKey.WriteTxnMarkers, 0, 1, 'WriteTxnMarkers');
  const res = await conn.send(ApiKey.WriteTxnMarkers, v, {
    markers: [{ producerId: spec.producerId, producerEpoch: spec.producerEpoch, transactionResult: false, topics: [{ name: topic, partitionIndexes: [partition] }], coordinatorEpoch: spec.coordinatorEpoch }],
  });
  const code = res.markers[0]?.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partitionIndex === partition)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code !== ErrorCode.NONE) throw failed(`Aborting the transaction of producer ${spec.producerId} on ${topic}-${partition}`, code);
  return spec;
}

/**
 * Kafka's find-hanging: transactions open on a partition for longer than
 * `maxTransactionTimeoutMs` whose producer has no open transaction including that partition
 * at any coordinator. `partitions` are the partitions to look at, with the broker to ask.
 */
export async function findHangingTransactions(client: KafkaClient, partitions: readonly { topic: string; partition: number; brokerId?: number }[], maxTransactionTimeoutMs: number, nowMs = Date.now()): Promise<HangingTransaction[]> {
  const candidates: HangingTransaction[] = [];
  for (const p of partitions) {
    for (const s of await describeProducers(client, p.topic, p.partition, p.brokerId)) {
      if (s.currentTxnStartOffset < 0 || nowMs - s.lastTimestamp <= maxTransactionTimeoutMs) continue;
      candidates.push({ topic: p.topic, partition: p.partition, producerId: s.producerId, producerEpoch: s.producerEpoch, coordinatorEpoch: s.coordinatorEpoch, startOffset: s.currentTxnStartOffset, lastTimestamp: s.lastTimestamp, durationMinutes: Math.floor((nowMs - s.lastTimestamp) / 60_000) });
    }
  }
  if (candidates.length === 0) return [];
  const open = await listTransactions(client, { producerIds: [...new Set(candidates.map((c) => c.producerId))] });
  const includes = new Set<string>();
  for (const t of open) {
    if (t.state !== 'Ongoing' && t.state !== 'PrepareCommit' && t.state !== 'PrepareAbort') continue;
    const d = await describeTransaction(client, t.transactionalId);
    for (const x of d.partitions) includes.add(`${d.producerId}/${x.topic}/${x.partition}`);
  }
  return candidates.filter((c) => !includes.has(`${c.producerId}/${c.topic}/${c.partition}`));
}
