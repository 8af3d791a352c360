// ReplicaManager (after Kafka's): the produce and fetch paths over the partitions this
// broker holds. Appends with acks semantics (acks=-1 waits until the ISR has the batch:
// the high watermark passes it) and min.insync.replicas, reads bounded by the high
// watermark with KIP-74's "first batch whole" rule and byte limits, long-poll fetches
// (MaxWaitMs/MinBytes) that park on partitions and wake when they grow, and followers'
// fetches (a replica id): read to the log end, and their fetch offset tells the leader how
// far each follower has come. read_committed fetches read up to the last stable offset and
// carry the aborted transactions of what they read; every fetch answers the last stable offset.
// Transaction markers (writeTxnMarkers, for the transaction coordinator and WriteTxnMarkers)
// are appended as leader with acks=-1, as Kafka's KafkaApis.handleWriteTxnMarkersRequest does,
// and a marker written to a __consumer_offsets partition is reported to onTxnMarkerWritten
// once the ISR has it (the group coordinator then materializes or drops the pending offsets).
// Partition appends in flight (in a partition's append queue, being written, or waiting for
// the ISR under acks=-1: Kafka's DelayedProduce purgatory) are bounded by
// produce.purgatory.max.appends; one more is answered REQUEST_TIMED_OUT (retriable: the
// client tries again) and counted, instead of queueing without limit. Consumers' long-poll
// fetches parked waiting for data (Kafka's DelayedFetch purgatory) are bounded by
// fetch.purgatory.max.requests; one more is answered at once with what there is (a fetch may
// always return less than MinBytes) and counted. Followers' fetches are not bounded: there
// are few of them, and replication must not stall.
// Errors are Kafka codes in the results; nothing here throws on bad input. An append the
// disk refused (KAFKA_STORAGE_ERROR: a full disk, an I/O error; the log is cut back to where it
// was) is logged at ERROR once per partition per 10 s with the count of those not logged.
import type { Logger } from 'pino';
import type { BindingFileSlice } from '../native.js';
import type { Isolation, Partition } from './partition.js';
import { ErrorCode } from '../protocol/errors.js';
import { internalTopicRefusal } from '../cluster/topic-name.js';
import { clientBatchRefusal } from './client-batch.js';
import type { FileRange } from '../server/types.js';
import type { TopicService } from './topic-service.js';
import type { TxnMarkerEntry, TxnMarkerResult } from './txn-markers.js';
import type { VerificationGuard } from './producer-state.js';
import { LogThrottle } from '../log-throttle.js';

/** How often a partition's failing appends are logged while they keep failing. */
const STORAGE_ERROR_LOG_INTERVAL_MS = 10_000;

/** Kafka's GROUP_METADATA_TOPIC_NAME: markers written there complete transactional offset commits. */
const OFFSETS_TOPIC = '__consumer_offsets';

export interface ProducePartitionResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export interface FetchPartitionRequest {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  /** -1 when the client does not send one (Fetch < v9). */
  readonly currentLeaderEpoch: number;
}

export interface FetchPartitionResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** read_committed: the aborted transactions in the range read; null otherwise. */
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  records: FileRange | Buffer;
}

/** Where a request's wait in a purgatory is recorded (Kafka's remote time; a handler's RequestContext is one). */
export interface RemoteWait {
  remoteMs: number;
}

export interface FetchParams {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly isolation: Isolation;
  /** KIP-74 holds from Fetch v3 on; older versions never return a batch larger than the limit. */
  readonly minOneMessage: boolean;
  /** The follower's broker id for a replica fetch; -1 (or absent) for consumers. */
  readonly replicaId?: number;
  /** The leader side of the replication throttle (KIP-73), for a follower's fetch. */
  readonly leaderThrottle?: LeaderThrottle;
}

/**
 * Kafka's ReplicaManager.shouldLeaderThrottle: a partition read for a follower is answered with
 * no records while `shouldThrottle` says so (the partition is throttled on this leader, the
 * follower is out of the ISR, and the leader quota is used up). The follower's fetch offset is
 * still recorded, and the high watermark still returned.
 */
export interface LeaderThrottle {
  shouldThrottle(partition: Partition, replicaId: number): boolean;
}

/** Produce requests without a timeout of their own (the coordinator's appends) wait this long for acks=-1. */
export const DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;

const EMPTY = Buffer.alloc(0);

/** A BindingFileSlice as the network layer's FileRange. */
function fileRange(slice: BindingFileSlice): FileRange & { readonly firstOffset: number; readonly lastOffset: number } {
  return {
    byteLength: slice.size,
    // Offsets the whole batches span, for the records-out metric.
    firstOffset: slice.firstOffset,
    lastOffset: slice.lastOffset,
    trySendTo: (fd, head, tail) => slice.trySendTo(fd, head, tail),
    sendTo: (fd, skip) => slice.sendTo(fd, skip),
    tryReadInto: (dest, destOffset, skip) => slice.tryReadInto(dest, destOffset, skip),
    toBuffer: () => slice.toBuffer(),
  };
}

function errorMessageOf(err: unknown): { code: number; message: string } {
  const e = err as { code?: string; message?: string };
  const code = e.code && e.code in ErrorCode ? ErrorCode[e.code as keyof typeof ErrorCode] : ErrorCode.KAFKA_STORAGE_ERROR;
  // The addon's messages start with the error name ("INVALID_RECORD: ..."); the response
  // carries the code already, so clients get the message alone, as Kafka words it.
  const message = e.message ?? String(err);
  return { code, message: e.code && message.startsWith(`${e.code}: `) ? message.slice(e.code.length + 2) : message };
}

export class ReplicaManager {
  /** Called after a follower's fetch was recorded (the ISR may grow: ReplicationManager). */
  onFollowerFetch: ((partition: Partition) => void) | null = null;
  /**
   * Called once a transaction marker written by writeTxnMarkers to a __consumer_offsets
   * partition is replicated to the ISR (wired to the group coordinator).
   */
  onTxnMarkerWritten: ((topic: string, partition: number, producerId: number, commit: boolean) => void) | null = null;
  /** Partition appends admitted and not finished (queued, writing, or waiting for acks=-1). */
  private appendsInFlight = 0;
  /** Partition appends answered REQUEST_TIMED_OUT because produce.purgatory.max.appends were in flight. */
  appendsRefused = 0;
  /** Transaction markers written as leader (each partition of each marker once the ISR has it). */
  readonly markersWritten = { commit: 0, abort: 0 };
  /** Consumers' fetches parked waiting for data or MaxWaitMs. */
  private fetchesParked = 0;
  /** Consumers' fetches answered at once because fetch.purgatory.max.requests were parked. */
  fetchesNotParked = 0;
  /** Followers' fetches parked here (failover: wakeReplicaFetches). */
  private readonly replicaFetchWakers = new Set<() => void>();
  /** One ERROR line per partition per interval for appends the disk refused. */
  private readonly storageErrorLog = new LogThrottle(STORAGE_ERROR_LOG_INTERVAL_MS);

  /**
   * @param maxAppendsInFlight produce.purgatory.max.appends
   * @param maxFetchesParked fetch.purgatory.max.requests
   */
  constructor(
    private readonly topics: TopicService,
    private readonly logger: Logger,
    private readonly maxAppendsInFlight = Number.MAX_SAFE_INTEGER,
    private readonly maxFetchesParked = Number.MAX_SAFE_INTEGER,
  ) {}

  get appendsInFlightCount(): number {
    return this.appendsInFlight;
  }

  /**
   * Appends one partition's batches as leader; resolves when `acks` is satisfied: acks=-1
   * once every ISR member has the batch (or `timeoutMs` passed: REQUEST_TIMED_OUT; the batch
   * stays in the log, as in Kafka), NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank
   * below min.insync.replicas meanwhile, REQUEST_TIMED_OUT at once (nothing appended) while
   * produce.purgatory.max.appends appends are in flight.
   * Never rejects (every failure is an error code): Produce answers only once all its
   * partitions' appends settled, and its request frame, which `records` is a view of, goes
   * back to the connection's buffer pool when it answers.
   * `verificationGuard`: the batch was verified with the transaction coordinator under it
   * (KIP-890, txn/transaction-verifier.ts); INVALID_TXN_STATE if its transaction ended since.
   */
  async appendToPartition(
    topic: string,
    partitionIndex: number,
    records: Buffer | null,
    acks: number,
    internal = false,
    timeoutMs = DEFAULT_PRODUCE_TIMEOUT_MS,
    wait?: RemoteWait,
    verificationGuard?: VerificationGuard,
  ): Promise<ProducePartitionResult> {
    const result: ProducePartitionResult = { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
    const { partition, errorCode } = this.topics.leaderReplica(topic, partitionIndex);
    if (!partition) {
      result.errorCode = errorCode;
      return result;
    }
    const refused = internal ? null : internalTopicRefusal(topic, 'append');
    if (refused) {
      result.errorCode = refused.errorCode;
      result.errorMessage = refused.errorMessage;
      return result;
    }
    if (!records || records.length === 0) {
      result.errorCode = ErrorCode.INVALID_RECORD;
      result.errorMessage = 'Produce requests must contain at least one record batch';
      return result;
    }
    // Client batches only: the coordinators' own appends (internal) may carry what clients may not.
    const invalid = internal ? null : clientBatchRefusal(records, `${topic}-${partitionIndex}`);
    if (invalid) {
      result.errorCode = invalid.errorCode;
      result.errorMessage = invalid.errorMessage;
      return result;
    }
    if (acks === -1 && partition.isr.length < partition.config.minInsyncReplicas) {
      result.errorCode = ErrorCode.NOT_ENOUGH_REPLICAS;
      result.errorMessage = `The size of the current ISR ${partition.isr.length} is insufficient to satisfy the min.isr requirement of ${partition.config.minInsyncReplicas} for partition ${topic}-${partitionIndex}`;
      return result;
    }
    if (this.appendsInFlight >= this.maxAppendsInFlight) {
      this.appendsRefused++;
      result.errorCode = ErrorCode.REQUEST_TIMED_OUT;
      result.errorMessage = `The broker has ${this.appendsInFlight} appends in flight (produce.purgatory.max.appends=${this.maxAppendsInFlight}); nothing was appended to ${topic}-${partitionIndex}`;
      return result;
    }
    // Given back below: the try never throws out (every failure is an error code).
    this.appendsInFlight++;
    try {
      const appended = await partition.appendAsLeader(records, internal ? 'coordinator' : 'client', verificationGuard);
      result.baseOffset = appended.firstOffset;
      result.logAppendTimeMs = appended.logAppendTimeMs;
      result.logStartOffset = partition.logStartOffset;
      if (acks === -1) {
        const waitStarted = wait ? performance.now() : 0;
        const outcome = await partition.waitForCommit(appended.lastOffset + 1, timeoutMs);
        // Partitions of one request wait side by side: the request waited as long as the longest.
        if (wait) wait.remoteMs = Math.max(wait.remoteMs, performance.now() - waitStarted);
        if (outcome === 'timeout') {
          result.errorCode = ErrorCode.REQUEST_TIMED_OUT;
          result.errorMessage = `The ISR of ${topic}-${partitionIndex} did not replicate the batch within ${timeoutMs} ms`;
        } else if (outcome === 'notLeader') {
          result.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
          result.errorMessage = `This broker stopped leading ${topic}-${partitionIndex} before the ISR had the batch`;
        } else if (partition.isr.length < partition.config.minInsyncReplicas) {
          result.errorCode = ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
          result.errorMessage = `The size of the current ISR ${partition.isr.length} is insufficient to satisfy the min.isr requirement of ${partition.config.minInsyncReplicas} for partition ${topic}-${partitionIndex}`;
        }
        if (result.errorCode !== ErrorCode.NONE) result.baseOffset = -1;
      }
    } catch (err) {
      const { code, message } = errorMessageOf(err);
      result.errorCode = code;
      result.errorMessage = message;
      if (code === ErrorCode.KAFKA_STORAGE_ERROR) this.logStorageError(err, topic, partitionIndex, 'append failed');
    }
    this.appendsInFlight--;
    return result;
  }

  private logStorageError(err: unknown, topic: string, partition: number, msg: string): void {
    const notLogged = this.storageErrorLog.admit(`${topic}-${partition}`);
    if (notLogged !== undefined) this.logger.error({ err, topic, partition, notLoggedSinceLast: notLogged }, msg);
  }

  private readOne(req: FetchPartitionRequest, maxBytes: number, params: FetchParams, minOneMessage: boolean, recordFollower: boolean): FetchPartitionResult {
    const out: FetchPartitionResult = { errorCode: ErrorCode.NONE, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: EMPTY };
    // Consumers and followers alike read from the leader.
    const { partition, errorCode } = this.topics.leaderReplica(req.topic, req.partition, req.currentLeaderEpoch);
    if (!partition) {
      out.errorCode = errorCode;
      return out;
    }
    // A long-poll fetch that wakes after its partition closed (deleted, or the broker shutting
    // down): the client looks for the leader again, as Kafka answers a replica that went away.
    if (partition.isClosed) {
      out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
      return out;
    }
    const replicaId = params.replicaId ?? -1;
    if (replicaId >= 0) {
      if (!partition.followers.has(replicaId)) {
        out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
        return out;
      }
      // The fetch offset is the follower's log end offset: the high watermark may move now.
      if (recordFollower) {
        partition.recordFollowerFetch(replicaId, req.fetchOffset, Date.now());
        this.onFollowerFetch?.(partition);
      }
    }
    if (replicaId >= 0 && params.leaderThrottle?.shouldThrottle(partition, replicaId)) {
      out.highWatermark = partition.highWatermark;
      out.lastStableOffset = partition.lastStableOffset;
      out.logStartOffset = partition.logStartOffset;
      return out;
    }
    try {
      const read = partition.read(req.fetchOffset, Math.max(0, maxBytes), params.isolation, minOneMessage);
      out.highWatermark = read.highWatermark;
      out.lastStableOffset = read.lastStableOffset;
      out.abortedTransactions = read.abortedTransactions;
      out.logStartOffset = read.logStartOffset;
      if (read.slice) out.records = fileRange(read.slice);
    } catch (err) {
      const { code } = errorMessageOf(err);
      out.errorCode = code;
      out.highWatermark = partition.highWatermark;
      out.lastStableOffset = partition.isClosed ? partition.highWatermark : partition.lastStableOffset;
      out.logStartOffset = partition.isClosed ? -1 : partition.logStartOffset;
    }
    return out;
  }

  /**
   * Writes transaction markers (COMMIT or ABORT control batches) to the partitions this
   * broker leads, each with acks=-1 (Kafka's handleWriteTxnMarkersRequest: the coordinator
   * learns of a marker only once the ISR has it). Per partition: UNKNOWN_TOPIC_OR_PARTITION
   * (no such partition in the cluster), NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS (the ISR
   * is below min.insync.replicas), INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED,
   * REQUEST_TIMED_OUT or NOT_ENOUGH_REPLICAS_AFTER_APPEND. Never rejects.
   */
  async writeTxnMarkers(markers: readonly TxnMarkerEntry[], timeoutMs = DEFAULT_PRODUCE_TIMEOUT_MS): Promise<TxnMarkerResult[]> {
    return Promise.all(
      markers.map(async (marker) => ({
        producerId: marker.producerId,
        partitions: await Promise.all(
          marker.partitions.map(async ({ topic, partition }) => {
            const errorCode = await this.writeTxnMarker(marker, topic, partition, timeoutMs);
            if (errorCode === ErrorCode.NONE) this.markersWritten[marker.commit ? 'commit' : 'abort']++;
            if (errorCode === ErrorCode.NONE && topic === OFFSETS_TOPIC) {
              try {
                this.onTxnMarkerWritten?.(topic, partition, marker.producerId, marker.commit);
              } catch (err) {
                // Kafka answers UNKNOWN_SERVER_ERROR when the group coordinator fails here; the coordinator retries.
                this.logger.error({ err, topic, partition, producerId: marker.producerId }, 'completing transactional offsets failed');
                return { topic, partition, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
              }
            }
            return { topic, partition, errorCode };
          }),
        ),
      })),
    );
  }

  private async writeTxnMarker(marker: TxnMarkerEntry, topic: string, partitionIndex: number, timeoutMs: number): Promise<number> {
    // Kafka answers UNKNOWN_TOPIC_OR_PARTITION for a partition without a local replica (getMagic), NOT_LEADER_OR_FOLLOWER for a follower's.
    if (!this.topics.partition(topic, partitionIndex)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const { partition, errorCode } = this.topics.leaderReplica(topic, partitionIndex);
    if (!partition) return errorCode;
    if (partition.isr.length < partition.config.minInsyncReplicas) return ErrorCode.NOT_ENOUGH_REPLICAS;
    try {
      const appended = await partition.appendTxnMarker({ producerId: marker.producerId, producerEpoch: marker.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch, commit: marker.commit });
      const outcome = await partition.waitForCommit(appended.lastOffset + 1, timeoutMs);
      if (outcome === 'timeout') return ErrorCode.REQUEST_TIMED_OUT;
      if (outcome === 'notLeader') return ErrorCode.NOT_LEADER_OR_FOLLOWER;
      if (partition.isr.length < partition.config.minInsyncReplicas) return ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
      return ErrorCode.NONE;
    } catch (err) {
      const { code } = errorMessageOf(err);
      if (code === ErrorCode.KAFKA_STORAGE_ERROR) this.logStorageError(err, topic, partitionIndex, 'transaction marker append failed');
      return code;
    }
  }

  /** One pass over the requested partitions, honouring the response and partition byte limits. */
  readAll(requests: readonly FetchPartitionRequest[], params: FetchParams, first = true): { results: FetchPartitionResult[]; bytes: number; anyError: boolean } {
    let remaining = params.maxBytes;
    let bytes = 0;
    let anyError = false;
    const results = requests.map((req) => {
      const limit = Math.min(req.partitionMaxBytes, remaining);
      const r = this.readOne(req, limit, params, params.minOneMessage && bytes === 0, first);
      const size = r.records.byteLength;
      bytes += size;
      remaining = Math.max(0, remaining - size);
      if (r.errorCode !== ErrorCode.NONE) anyError = true;
      return r;
    });
    return { results, bytes, anyError };
  }

  /**
   * Fetch with long-poll: answers at once when MinBytes are available, an error occurred or
   * MaxWaitMs is 0 (or, for a consumer, when fetch.purgatory.max.requests fetches are parked
   * already); otherwise waits for any of the partitions to grow or for MaxWaitMs.
   */
  async fetch(requests: readonly FetchPartitionRequest[], params: FetchParams, wait?: RemoteWait): Promise<FetchPartitionResult[]> {
    const first = this.readAll(requests, params);
    if (params.maxWaitMs <= 0 || first.bytes >= params.minBytes || first.anyError || requests.length === 0) return first.results;
    const bounded = (params.replicaId ?? -1) < 0;
    if (bounded) {
      if (this.fetchesParked >= this.maxFetchesParked) {
        this.fetchesNotParked++;
        return first.results;
      }
      this.fetchesParked++;
    }
    const deadline = Date.now() + params.maxWaitMs;
    const partitions = requests.map((r) => this.topics.partition(r.topic, r.partition)).filter((p): p is Partition => p !== undefined);
    const parkedAt = wait ? performance.now() : 0;
    try {
      for (;;) {
        const woke = await waitForAny(partitions, deadline - Date.now(), bounded ? null : this.replicaFetchWakers);
        const again = this.readAll(requests, params, false);
        if (!woke || again.bytes >= params.minBytes || again.anyError || Date.now() >= deadline) return again.results;
      }
    } finally {
      if (bounded) this.fetchesParked--;
      if (wait) wait.remoteMs += performance.now() - parkedAt;
    }
  }

  /**
   * Failover (src/cluster/README.md): answers the followers' parked fetches now. Called when
   * this broker starts leading a partition, so that a follower's next fetch can name it at
   * once rather than after its fetch in flight waited out replica.fetch.wait.max.ms (the new
   * leader's first acks=-1 produce waits for that follower).
   */
  wakeReplicaFetches(): void {
    for (const wake of [...this.replicaFetchWakers]) wake();
  }

  get fetchesParkedCount(): number {
    return this.fetchesParked;
  }
}

/** Resolves true when any partition grows, false after timeoutMs or when woken through `wakers` (a follower's fetch). */
function waitForAny(partitions: readonly Partition[], timeoutMs: number, wakers: Set<() => void> | null): Promise<boolean> {
  if (timeoutMs <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const removers: (() => void)[] = [];
    const finish = (woke: boolean) => {
      clearTimeout(timer);
      for (const remove of removers) remove();
      resolve(woke);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    for (const p of partitions) removers.push(p.onData(() => finish(true)));
    if (wakers) {
      const wake = () => finish(false);
      wakers.add(wake);
      removers.push(() => wakers.delete(wake));
    }
  });
}
