// TransactionVerifier (after Kafka's AddPartitionsToTxnManager and ReplicaManager's
// maybeSendPartitionsToTransactionCoordinator, KIP-890): before a partition leader appends the
// first transactional batch of a producer's transaction (and before the group coordinator
// writes a TxnOffsetCommit), it asks the transaction coordinator whether the partition is in
// the producer's ongoing transaction at that epoch, so that a late or zombie batch cannot open
// a transaction the coordinator will never end (a hanging transaction, or offsets of a fenced
// producer committed by a later marker).
//   transaction version 1 (part 1): AddPartitionsToTxn verifyOnly: the partition must already
//     be in the transaction (the client added it); otherwise TRANSACTION_ABORTABLE, answered
//     as INVALID_TXN_STATE to requests older than Produce v11 / TxnOffsetCommit v4.
//   transaction version 2 (part 2, Produce v12 and TxnOffsetCommit v5): AddPartitionsToTxn with
//     verifyOnly false: the coordinator adds the partition for the client (implicit add).
// The coordinator is this broker (a direct call) or another (AddPartitionsToTxn v5 over the
// inter-broker listener, one connection per broker, as Kafka's batched broker form).
//
// Errors, per partition, as Kafka's AddPartitionsToTxnManager gives them to the append:
// PRODUCER_FENCED becomes INVALID_PRODUCER_EPOCH (what producers expect from a partition);
// the coordinator being elsewhere, loading, busy or unreachable (NOT_COORDINATOR,
// COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS, a network
// failure) is `retriable` and the caller maps it to the retriable error of its API
// (NOT_ENOUGH_REPLICAS for Produce, as Kafka's ReplicaManager; COORDINATOR_NOT_AVAILABLE for
// TxnOffsetCommit). The verifier never throws.
//
// Produce takes Kafka's VerificationGuard before asking (ProducerStateManager.startVerification)
// and appends under it, so that a marker landing between the coordinator's answer and the
// append makes the append fail (INVALID_TXN_STATE) rather than open a transaction nobody ends.
// TxnOffsetCommit is verified without a guard (the group coordinator's write path does not
// carry one): the window between its verification and its write stays open.
import type { BrokerConfig } from '../config/broker-config.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiKey } from '../protocol/generated/index.js';
import { tpKey, type TopicPartitionKey } from './transaction-metadata.js';
import { readProducerInfo, type ProducerStateManager, type VerificationGuard } from '../partition/producer-state.js';
import { InterBrokerConnections } from './inter-broker-connections.js';

/** Coordinator answers a partition leader retries rather than report (Kafka maps them to NOT_ENOUGH_REPLICAS). */
const RETRIABLE = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.NETWORK_EXCEPTION,
]);

export interface VerifyRequest {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartitionKey[];
  /** Transaction version 2: add the partitions (implicit add); else verify only. */
  readonly addPartitions: boolean;
  /** The request may be answered TRANSACTION_ABORTABLE (Produce v11+, TxnOffsetCommit v4+); else INVALID_TXN_STATE. */
  readonly abortableSupported: boolean;
}

/** Per partition: the error to answer (NONE: append), and whether it is a coordinator error to retry. */
export interface VerifyResult {
  readonly errorCode: number;
  readonly retriable: boolean;
}

/** What the verifier asks of this broker's own transaction coordinator (TransactionCoordinator). */
export interface LocalTransactionCoordinator {
  /** The broker leading the transactional id's __transaction_state partition, or an error. */
  coordinatorOf(transactionalId: string): { readonly errorCode: number; readonly nodeId: number };
  addPartitionsToTransaction(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartitionKey[], clientTransactionVersion?: number): Promise<number>;
  verifyPartitionsInTransaction(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartitionKey[]): { partition: TopicPartitionKey; errorCode: number }[];
}

export class TransactionVerifier {
  /** To the coordinators on other brokers, as the marker sender reaches them. */
  private readonly connections: InterBrokerConnections;

  constructor(
    private readonly config: BrokerConfig,
    cluster: ClusterView,
    private readonly coordinator: LocalTransactionCoordinator,
  ) {
    this.connections = new InterBrokerConnections(config, cluster, 'txn-verification');
  }

  /** KIP-890 part 1 verification is on (transaction.partition.verification.enable, Kafka's key). */
  get enabled(): boolean {
    return this.config.values['transaction.partition.verification.enable'];
  }

  /** The coordinator's answer for each partition (keyed by tpKey). */
  async verify(r: VerifyRequest): Promise<Map<string, VerifyResult>> {
    let raw: Map<string, number>;
    try {
      raw = await this.ask(r);
    } catch {
      raw = new Map(r.partitions.map((p) => [tpKey(p), ErrorCode.NETWORK_EXCEPTION]));
    }
    const out = new Map<string, VerifyResult>();
    for (const p of r.partitions) {
      const key = tpKey(p);
      let code = raw.get(key) ?? ErrorCode.NONE;
      if (code === ErrorCode.PRODUCER_FENCED) code = ErrorCode.INVALID_PRODUCER_EPOCH;
      else if (code === ErrorCode.TRANSACTION_ABORTABLE && !r.abortableSupported) code = ErrorCode.INVALID_TXN_STATE;
      else if (code === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) code = ErrorCode.INVALID_TXN_STATE;
      out.set(key, { errorCode: code, retriable: RETRIABLE.has(code) });
    }
    return out;
  }

  private async ask(r: VerifyRequest): Promise<Map<string, number>> {
    const all = (code: number) => new Map(r.partitions.map((p) => [tpKey(p), code]));
    const lookup = this.coordinator.coordinatorOf(r.transactionalId);
    // No __transaction_state, or no leader: the transaction cannot have started (Kafka's answer).
    if (lookup.errorCode !== ErrorCode.NONE) return all(lookup.errorCode);
    if (lookup.nodeId === this.config.brokerId) {
      if (r.addPartitions) {
        const code = await this.coordinator.addPartitionsToTransaction(r.transactionalId, r.producerId, r.producerEpoch, r.partitions, 2);
        return all(code);
      }
      const results = this.coordinator.verifyPartitionsInTransaction(r.transactionalId, r.producerId, r.producerEpoch, r.partitions);
      return new Map(results.map((x) => [tpKey(x.partition), x.errorCode]));
    }
    return this.askRemote(lookup.nodeId, r);
  }

  /** AddPartitionsToTxn v4+ (the broker form, one transaction) to the coordinator's broker. */
  private async askRemote(brokerId: number, r: VerifyRequest): Promise<Map<string, number>> {
    const conn = await this.connections.get(brokerId);
    const version = conn.version(ApiKey.AddPartitionsToTxn, 4, 5, 'AddPartitionsToTxn');
    const byTopic = new Map<string, number[]>();
    for (const p of r.partitions) {
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push(p.partition);
    }
    const response = await conn.send(ApiKey.AddPartitionsToTxn, version, {
      transactions: [
        {
          transactionalId: r.transactionalId,
          producerId: r.producerId,
          producerEpoch: r.producerEpoch,
          verifyOnly: !r.addPartitions,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        },
      ],
    });
    const out = new Map<string, number>();
    if (response.errorCode !== ErrorCode.NONE) {
      for (const p of r.partitions) out.set(tpKey(p), response.errorCode);
      return out;
    }
    for (const t of response.resultsByTransaction) {
      if (t.transactionalId !== r.transactionalId) continue;
      for (const topic of t.topicResults) for (const p of topic.resultsByPartition) out.set(tpKey({ topic: topic.name, partition: p.partitionIndex }), p.partitionErrorCode);
    }
    return out;
  }

  close(): void {
    this.connections.close();
  }
}

/** What produce verification needs of the broker: its topics and the transaction coordinator. */
export interface ProduceVerificationServices {
  readonly config: BrokerConfig;
  readonly topics: {
    leaderReplica(topic: string, index: number): { readonly partition: { readonly producerState: Pick<ProducerStateManager, 'hasOngoingTxn' | 'startVerification'> } | null };
  };
  readonly transactions: { readonly verifier: TransactionVerifier | null };
}

/** verifyTransactionalProduce's answer, keyed by tpKey. */
export interface ProduceVerification {
  /** Partitions that must not be appended, with their error. */
  readonly refused: Map<string, number>;
  /** The guard each verified partition's batch is appended under. */
  readonly guards: Map<string, VerificationGuard>;
}

/**
 * Kafka's ReplicaManager.appendRecords with transaction verification, for one Produce request:
 * the partitions this broker leads whose transactional batch would open a transaction of its
 * producer (none open at that epoch) are verified with (version 1) or added by (version 2, Produce
 * v12 and transaction.version 2) the coordinator. Answers the error of each partition that must
 * not be appended (keyed by tpKey); coordinator errors become NOT_ENOUGH_REPLICAS, which
 * producers retry. Partitions not led here are left to the append (NOT_LEADER_OR_FOLLOWER).
 */
export async function verifyTransactionalProduce(
  services: ProduceVerificationServices,
  transactionalId: string | null,
  apiVersion: number,
  topicData: readonly { readonly name: string; readonly partitionData: readonly { readonly index: number; readonly records: Buffer | null }[] }[],
): Promise<ProduceVerification> {
  const refused = new Map<string, number>();
  const guards = new Map<string, VerificationGuard>();
  const answer = { refused, guards };
  const verifier = services.transactions.verifier;
  if (transactionalId === null || verifier === null) return answer;
  const tv2 = apiVersion >= 12 && services.config.values['transaction.version'] >= 2;
  // Version 1 without verification trusts the client's AddPartitionsToTxn; version 2 must add.
  if (!tv2 && !verifier.enabled) return answer;
  const pending: TopicPartitionKey[] = [];
  let producer: { producerId: number; producerEpoch: number } | null = null;
  for (const t of topicData) {
    for (const p of t.partitionData) {
      if (p.records === null) continue;
      const info = readProducerInfo(p.records);
      if (info === null || info.isTransactional !== true) continue;
      const { partition } = services.topics.leaderReplica(t.name, p.index);
      if (partition === null || partition.producerState.hasOngoingTxn(info.producerId, info.producerEpoch)) continue;
      if (producer !== null && (producer.producerId !== info.producerId || producer.producerEpoch !== info.producerEpoch)) {
        // One transactional id, one producer: batches of another are not this transaction's.
        refused.set(tpKey({ topic: t.name, partition: p.index }), ErrorCode.INVALID_TXN_STATE);
        continue;
      }
      producer = { producerId: info.producerId, producerEpoch: info.producerEpoch };
      pending.push({ topic: t.name, partition: p.index });
      guards.set(tpKey({ topic: t.name, partition: p.index }), partition.producerState.startVerification(info.producerId, info.producerEpoch, tv2));
    }
  }
  if (producer === null || pending.length === 0) return answer;
  const results = await verifier.verify({ transactionalId, ...producer, partitions: pending, addPartitions: tv2, abortableSupported: apiVersion >= 11 });
  for (const [key, r] of results) {
    if (r.errorCode !== ErrorCode.NONE) refused.set(key, r.retriable ? ErrorCode.NOT_ENOUGH_REPLICAS : r.errorCode);
  }
  return answer;
}

/**
 * KIP-890 for TxnOffsetCommit (Kafka's group coordinator verifies before writing the offsets):
 * the group's __consumer_offsets partition must be in the producer's ongoing transaction
 * (version 1, verified: the client sent AddOffsetsToTxn) or is added to it (version 2,
 * TxnOffsetCommit v5 and transaction.version 2). A fenced producer's commit answers
 * INVALID_PRODUCER_EPOCH even when no marker ever reached the offsets partition (its topic did
 * not exist when the fence aborted the transaction). Coordinator errors become
 * COORDINATOR_NOT_AVAILABLE (Kafka's group coordinator normalizes NOT_ENOUGH_REPLICAS to it),
 * which clients retry. Answers the error for every partition of the request, or NONE with
 * the guard (taken on the offsets partition this broker leads, before asking) that the
 * offsets' append must be made under: an abort marker written between the verification and
 * the append clears it, and the append is refused instead of opening a transaction the
 * coordinator has already ended, as Kafka's group coordinator appends with its guard.
 */
export async function verifyTxnOffsetCommit(
  services: ProduceVerificationServices & { readonly transactions: { offsetsPartitionOf(groupId: string): TopicPartitionKey } },
  r: { readonly transactionalId: string; readonly groupId: string; readonly producerId: number; readonly producerEpoch: number; readonly apiVersion: number },
): Promise<{ errorCode: number; guard?: VerificationGuard }> {
  const verifier = services.transactions.verifier;
  if (verifier === null) return { errorCode: ErrorCode.NONE };
  const tv2 = r.apiVersion >= 5 && services.config.values['transaction.version'] >= 2;
  if (!tv2 && !verifier.enabled) return { errorCode: ErrorCode.NONE };
  const partition = services.transactions.offsetsPartitionOf(r.groupId);
  const leader = services.topics.leaderReplica(partition.topic, partition.partition).partition;
  const guard = leader?.producerState.startVerification(r.producerId, r.producerEpoch);
  const results = await verifier.verify({ transactionalId: r.transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch, partitions: [partition], addPartitions: tv2, abortableSupported: r.apiVersion >= 4 });
  const result = results.get(tpKey(partition));
  if (!result || result.errorCode === ErrorCode.NONE) return guard === undefined ? { errorCode: ErrorCode.NONE } : { errorCode: ErrorCode.NONE, guard };
  return { errorCode: result.retriable ? ErrorCode.COORDINATOR_NOT_AVAILABLE : result.errorCode };
}
