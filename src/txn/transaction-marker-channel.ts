// TransactionMarkerChannel (after Kafka's TransactionMarkerChannelManager and
// TransactionMarkerRequestCompletionHandler): writes the COMMIT or ABORT markers of a completing
// transaction to every partition in it, at each partition's leader, until all have them.
//
// Where a marker goes: the partition's leader as the cluster knows it. Local leaders get the
// markers through LocalTxnMarkerWriter (ReplicaManager.writeTxnMarkers, the contract of
// src/partition/txn-markers.ts); remote leaders through WriteTxnMarkers over the inter-broker
// listener (RemoteTxnMarkerSender, with src/client). A partition whose topic was deleted leaves
// the transaction without a marker, as Kafka's (its leader lookup finds no partition).
//
// Errors per partition, as Kafka's completion handler: NONE (and UNSUPPORTED_FOR_MESSAGE_FORMAT)
// remove the partition; NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS*,
// REQUEST_TIMED_OUT, KAFKA_STORAGE_ERROR and a failed request are retried after
// RETRY_BACKOFF_MS with the leader looked up again; INVALID_PRODUCER_EPOCH and
// TRANSACTION_COORDINATOR_FENCED stop the sending (a newer coordinator or producer owns the
// transaction now). Sending also stops once the transaction is no longer this coordinator's at
// the same coordinator epoch (resignation, shutdown).
import type { Logger } from 'pino';
import { ErrorCode, errorName } from '../protocol/errors.js';
import type { TransactionMetadata, TopicPartitionKey } from './transaction-metadata.js';
import type { TxnMarkerEntry, TxnMarkerResult } from '../partition/txn-markers.js';

/** Kafka's retry.backoff.ms default between rounds of markers that could not all be written. */
export const MARKER_RETRY_BACKOFF_MS = 100;

/** This broker's partitions' marker writer: ReplicaManager.writeTxnMarkers (Part B of issue #15). */
export interface LocalTxnMarkerWriter {
  writeTxnMarkers(markers: TxnMarkerEntry[]): Promise<TxnMarkerResult[]>;
}

/** WriteTxnMarkers to another broker; rejects when the request could not be sent or answered. */
export interface RemoteTxnMarkerSender {
  send(brokerId: number, markers: TxnMarkerEntry[]): Promise<TxnMarkerResult[]>;
  close(): void;
}

/** Where a partition's marker goes now. */
export type MarkerDestination =
  | { readonly kind: 'local' }
  | { readonly kind: 'remote'; readonly brokerId: number }
  /** No live leader now: retried. */
  | { readonly kind: 'unavailable' }
  /** The partition does not exist (its topic was deleted): it leaves the transaction. */
  | { readonly kind: 'deleted' };

export interface MarkerRouting {
  destination(topic: string, partition: number): MarkerDestination;
}

export interface SendMarkersParams {
  readonly transactionalId: string;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
  readonly metadata: TransactionMetadata;
  /** Whether the transaction is still this coordinator's at coordinatorEpoch. */
  readonly isCurrent: () => boolean;
}

const RETRIABLE = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

export class TransactionMarkerChannel {
  private stopped = false;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly routing: MarkerRouting,
    private readonly local: LocalTxnMarkerWriter,
    private readonly remote: RemoteTxnMarkerSender,
    private readonly logger: Logger,
    private readonly retryBackoffMs = MARKER_RETRY_BACKOFF_MS,
  ) {}

  /**
   * Writes the markers of the transaction to every partition still in it (each written one
   * leaves metadata.topicPartitions). Resolves 'done' when none is left, 'stopped' when the
   * sending was given up (fenced, no longer the coordinator, shutdown).
   */
  async sendMarkers(p: SendMarkersParams): Promise<'done' | 'stopped'> {
    const m = p.metadata;
    for (let round = 0; ; round++) {
      if (this.stopped || !p.isCurrent()) return 'stopped';
      if (m.topicPartitions.size === 0) return 'done';
      const byDestination = new Map<string, { kind: 'local' } | { kind: 'remote'; brokerId: number }>();
      const partitionsOf = new Map<string, TopicPartitionKey[]>();
      for (const tp of m.partitions()) {
        const d = this.routing.destination(tp.topic, tp.partition);
        if (d.kind === 'deleted') {
          this.logger.info({ transactionalId: p.transactionalId, topic: tp.topic, partition: tp.partition }, 'the partition no longer exists; its transaction marker is not written');
          m.removePartition(tp);
          continue;
        }
        if (d.kind === 'unavailable') continue;
        const key = d.kind === 'local' ? 'local' : `broker-${d.brokerId}`;
        byDestination.set(key, d);
        let list = partitionsOf.get(key);
        if (!list) partitionsOf.set(key, (list = []));
        list.push(tp);
      }
      let fenced = false;
      await Promise.all(
        [...byDestination].map(async ([key, d]) => {
          const partitions = partitionsOf.get(key)!;
          const entry: TxnMarkerEntry = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: p.coordinatorEpoch, commit: p.commit, partitions, transactionVersion: m.clientTransactionVersion };
          let results: TxnMarkerResult[];
          try {
            results = d.kind === 'local' ? await this.local.writeTxnMarkers([entry]) : await this.remote.send(d.brokerId, [entry]);
          } catch (err) {
            // Retried every retryBackoffMs: logged at debug, and as a warning every 100 rounds below.
            this.logger.debug({ transactionalId: p.transactionalId, destination: key, err: (err as Error).message }, 'could not send transaction markers; will retry');
            return;
          }
          if (this.stopped || !p.isCurrent()) return;
          for (const result of results) {
            if (result.producerId !== m.producerId) continue;
            for (const r of result.partitions) {
              const tp = { topic: r.topic, partition: r.partition };
              if (!m.hasPartition(tp)) continue;
              if (r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT) {
                m.removePartition(tp);
              } else if (r.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH || r.errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED) {
                this.logger.info({ transactionalId: p.transactionalId, topic: r.topic, partition: r.partition, error: errorName(r.errorCode) }, 'transaction markers fenced; sending stops');
                fenced = true;
              } else if (!RETRIABLE.has(r.errorCode)) {
                // Kafka treats these as a bug (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, ...); we log and retry.
                this.logger.error({ transactionalId: p.transactionalId, topic: r.topic, partition: r.partition, error: errorName(r.errorCode) }, 'unexpected error writing a transaction marker; will retry');
              }
            }
          }
        }),
      );
      if (fenced) return 'stopped';
      if (m.topicPartitions.size === 0) continue;
      if (round > 0 && round % 100 === 0) this.logger.warn({ transactionalId: p.transactionalId, partitions: m.topicPartitions.size, rounds: round }, 'transaction markers still not written');
      await this.sleep(this.retryBackoffMs);
    }
  }

  /** Waits, or returns at once on stop. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  /** Stops every sending loop at its next step. */
  stop(): void {
    this.stopped = true;
    for (const wake of [...this.sleepers]) wake();
    this.remote.close();
  }
}
