// ReplicaFetcher: one follower's connection to one leader broker (Kafka's
// ReplicaFetcherThread), carrying every partition this broker follows on that leader. Each
// partition first truncates by leader epoch (OffsetForLeaderEpoch, KIP-101/279: the leader's
// end offset of the follower's latest epoch, so a log never keeps what a former leader wrote
// and the ISR never got), then fetches from its log end offset with Fetch and this broker's
// replica id, appending what comes as follower (offsets and epochs kept) and taking the
// leader's high watermark and log start offset. Errors back a partition off for
// replica.fetch.backoff.ms; a lost connection backs off the whole fetcher until the leader
// is back or the controller moves leadership (then the manager moves the partition).
// Fetches go through one incremental fetch session per leader (KIP-227): after the first,
// a fetch names only the partitions whose position changed, and the leader answers only the
// partitions with something new.
import type { Logger } from 'pino';
import { KafkaConnection } from '../client/kafka-connection.js';
import { FetchSessionHandler, type SessionPartitionData } from '../client/fetch-session-handler.js';
import type { ClientSecurity } from '../client/client-security.js';
import type { Partition } from '../partition/partition.js';
import { ErrorCode, errorName } from '../protocol/errors.js';
import { ApiKey } from '../protocol/generated/index.js';
import type { FetchResponse } from '../protocol/generated/fetch-response.js';
import { lastOffsetOf, wholeBatches } from '../records/batch-header.js';
import type { ReplicationQuota } from '../cluster/replication-throttle.js';
import { FrameBufferPool } from '../frame-buffer-pool.js';
import { LogThrottle } from '../log-throttle.js';

/** Fetch v12: topic names, replica id in the header fields, current leader epochs, flexible. */
const FETCH_VERSION = 12;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;
/** Response frames this small come from Node's slab allocator; these large are not kept. */
const RESPONSE_FRAME_POOLED_MIN_BYTES = 4 * 1024;
const RESPONSE_FRAME_POOLED_MAX_BYTES = 16 * 1024 * 1024;
/** Free response buffers a fetcher keeps between fetches. */
const RESPONSE_FRAMES_KEPT_BYTES = 32 * 1024 * 1024;

export interface ReplicaFetcherConfig {
  readonly brokerId: number;
  readonly clientId: string;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly partitionMaxBytes: number;
  readonly backoffMs: number;
  readonly socketTimeoutMs: number;
  /** The inter-broker listener's security (TLS, SASL): security/inter-broker.ts. */
  readonly security: ClientSecurity;
  /**
   * The follower replication throttle (KIP-73, replication-throttle.ts), shared by the broker's
   * fetchers: `throttled` says whether a partition's replica here is named by
   * follower.replication.throttled.replicas; absent: no throttle.
   */
  readonly quota?: { readonly quota: ReplicationQuota; throttled(p: Partition): boolean };
}

export interface LeaderEndpoint {
  readonly host: string;
  readonly port: number;
}

interface FetchState {
  readonly partition: Partition;
  /** The leader epoch this state was created for; a new leadership makes a new state. */
  readonly leaderEpoch: number;
  truncating: boolean;
  fetchOffset: number;
  /** Not before this time (a partition-level error backs it off). */
  delayUntilMs: number;
}

export class ReplicaFetcher {
  private readonly states = new Map<Partition, FetchState>();
  private connection: KafkaConnection | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  /** Repeated failures (the leader out of reach, a partition's appends refused by the disk): a line per 10 s each. */
  private readonly errorLog = new LogThrottle(10_000);
  /** The fetch session with this leader, over the current connection. */
  private readonly session = new FetchSessionHandler();
  /**
   * Where fetch responses are read into, reused once their batches are appended: a caught-up
   * follower gets a response per producer batch or two, and a fresh buffer for each is external
   * memory V8 answers with major collections (BENCHMARKS.md, "Replicated").
   */
  private readonly responseFrames = new FrameBufferPool(RESPONSE_FRAMES_KEPT_BYTES, RESPONSE_FRAME_POOLED_MIN_BYTES, RESPONSE_FRAME_POOLED_MAX_BYTES);

  constructor(
    readonly leaderId: number,
    private readonly endpoint: () => LeaderEndpoint | null,
    private readonly config: ReplicaFetcherConfig,
    private readonly logger: Logger,
  ) {}

  get partitionCount(): number {
    return this.states.size;
  }

  /** Starts following `partition` on this leader: truncation first, then fetching. */
  add(partition: Partition): void {
    this.states.set(partition, { partition, leaderEpoch: partition.leaderEpoch, truncating: true, fetchOffset: partition.logEndOffset, delayUntilMs: 0 });
    this.loopDone ??= this.loop();
    this.wake?.();
  }

  remove(partition: Partition): void {
    this.states.delete(partition);
  }

  /** Stops fetching; resolves when the loop has left (a request in flight is abandoned). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.connection?.close();
    this.connection = null;
    this.wake?.();
    await this.loopDone;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = null;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      // A deleted partition (its log closed) leaves at once: one closed log must not fail the fetches of the others.
      for (const p of this.states.keys()) if (p.isClosed) this.states.delete(p);
      const now = Date.now();
      const ready = [...this.states.values()].filter((s) => s.delayUntilMs <= now);
      if (ready.length === 0) {
        const next = Math.min(...[...this.states.values()].map((s) => s.delayUntilMs), now + 60_000);
        await this.sleep(Math.max(10, next - now));
        continue;
      }
      try {
        const conn = await this.connect();
        const truncating = ready.filter((s) => s.truncating);
        if (truncating.length > 0) await this.truncate(conn, truncating);
        const candidates = ready.filter((s) => !s.truncating && this.current(s));
        const fetching = candidates.filter((s) => !this.followerThrottled(s, now));
        if (fetching.length > 0) await this.fetch(conn, fetching);
        else if (truncating.length === 0 && candidates.length > 0) await this.sleep(Math.min(1000, Math.max(10, this.config.quota?.quota.waitMs(Date.now()) ?? 10)));
      } catch (err) {
        this.connection?.close();
        this.connection = null;
        if (this.stopped) break;
        const notLogged = this.errorLog.admit('leader');
        if (notLogged !== undefined) this.logger.warn({ leader: this.leaderId, err: (err as Error).message, notLoggedSinceLast: notLogged }, 'replica fetcher cannot reach the leader; retrying');
        await this.sleep(this.config.backoffMs);
      }
    }
  }

  private async connect(): Promise<KafkaConnection> {
    if (this.connection && !this.connection.closed) return this.connection;
    const endpoint = this.endpoint();
    if (!endpoint) throw new Error(`broker ${this.leaderId} is not live`);
    // A new connection starts a new session (the full fetch ends the old one on the leader).
    this.session.reset();
    this.connection = await KafkaConnection.connect(endpoint.host, endpoint.port, this.config.clientId, this.config.socketTimeoutMs, undefined, this.config.security);
    this.connection.poolResponseFrames(this.responseFrames);
    return this.connection;
  }

  /**
   * Kafka's shouldFollowerThrottle: a throttled replica outside the ISR waits while the
   * follower quota is used up; an ISR member is never held back (acks=all waits for it).
   */
  private followerThrottled(s: FetchState, nowMs: number): boolean {
    const q = this.config.quota;
    if (!q || s.partition.isr.includes(this.config.brokerId) || !q.throttled(s.partition)) return false;
    return q.quota.isExceeded(nowMs);
  }

  private backOff(s: FetchState): void {
    s.delayUntilMs = Date.now() + this.config.backoffMs;
  }

  /** Whether `s` is still the current state of its partition (no new leadership meanwhile). */
  private current(s: FetchState): boolean {
    return !this.stopped && !s.partition.isClosed && this.states.get(s.partition) === s && s.partition.leaderEpoch === s.leaderEpoch;
  }

  /** KIP-279: truncate each partition to the leader's end offset of its latest epoch. */
  private async truncate(conn: KafkaConnection, states: FetchState[]): Promise<void> {
    const live = states.filter((s) => this.current(s));
    const asking = live.filter((s) => s.partition.latestEpoch >= 0);
    for (const s of live) {
      if (s.partition.latestEpoch >= 0) continue;
      await s.partition.followerAppendSettled();
      this.startFetching(s);
    }
    if (asking.length === 0) return;
    const byTopic = groupByTopic(asking);
    const response = await conn.request(ApiKey.OffsetForLeaderEpoch, OFFSET_FOR_LEADER_EPOCH_VERSION, {
      replicaId: this.config.brokerId,
      topics: [...byTopic].map(([topic, list]) => ({
        topic,
        partitions: list.map((s) => ({ partition: s.partition.index, currentLeaderEpoch: s.leaderEpoch, leaderEpoch: s.partition.latestEpoch })),
      })),
    });
    for (const t of response.topics) {
      for (const r of t.partitions) {
        const s = byTopic.get(t.topic)?.find((x) => x.partition.index === r.partition);
        if (!s || !this.current(s)) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          this.logger.debug({ topic: t.topic, partition: r.partition, error: errorName(r.errorCode) }, 'OffsetForLeaderEpoch failed; retrying');
          this.backOff(s);
          continue;
        }
        const p = s.partition;
        await p.followerAppendSettled();
        if (!this.current(s)) continue;
        let target: number;
        if (r.leaderEpoch < 0 || r.endOffset < 0) {
          // The leader knows no epoch this old: keep only what was committed.
          target = p.highWatermark;
        } else if (r.leaderEpoch === p.latestEpoch) {
          target = Math.min(r.endOffset, p.logEndOffset);
        } else {
          const own = p.endOffsetForEpoch(r.leaderEpoch);
          target = Math.min(r.endOffset, own.endOffset >= 0 ? own.endOffset : p.logEndOffset);
        }
        if (target < p.logEndOffset) {
          this.logger.info({ topic: p.topic, partition: p.index, from: p.logEndOffset, to: target, leader: this.leaderId, leaderEpoch: s.leaderEpoch }, 'truncating the follower log to the leader');
          p.truncateTo(target);
        }
        this.startFetching(s);
      }
    }
  }

  private startFetching(s: FetchState): void {
    s.truncating = false;
    s.fetchOffset = s.partition.logEndOffset;
  }

  private async fetch(conn: KafkaConnection, states: FetchState[]): Promise<void> {
    const byTopic = groupByTopic(states);
    // An incremental fetch session (KIP-227): only partitions whose position changed are sent.
    const session = this.session.build(
      states.map((s) => ({ topic: s.partition.topic, partition: s.partition.index, fetchOffset: s.fetchOffset, logStartOffset: s.partition.logStartOffset, currentLeaderEpoch: s.leaderEpoch, partitionMaxBytes: this.config.partitionMaxBytes })),
    );
    const sendByTopic = new Map<string, SessionPartitionData[]>();
    for (const p of session.send) sendByTopic.set(p.topic, [...(sendByTopic.get(p.topic) ?? []), p]);
    const forgetByTopic = new Map<string, number[]>();
    for (const f of session.forget) forgetByTopic.set(f.topic, [...(forgetByTopic.get(f.topic) ?? []), f.partition]);
    let held;
    try {
      held = await conn.requestHoldingFrame(ApiKey.Fetch, FETCH_VERSION, {
        replicaId: this.config.brokerId,
        maxWaitMs: this.config.maxWaitMs,
        minBytes: this.config.minBytes,
        maxBytes: this.config.maxBytes,
        isolationLevel: 0,
        sessionId: session.sessionId,
        sessionEpoch: session.sessionEpoch,
        topics: [...sendByTopic].map(([topic, list]) => ({
          topic,
          partitions: list.map((p) => ({
            partition: p.partition,
            currentLeaderEpoch: p.currentLeaderEpoch,
            fetchOffset: p.fetchOffset,
            lastFetchedEpoch: -1,
            logStartOffset: p.logStartOffset,
            partitionMaxBytes: p.partitionMaxBytes,
          })),
        })),
        forgottenTopicsData: [...forgetByTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    } catch (err) {
      this.session.reset();
      throw err;
    }
    try {
      await this.applyResponse(session, byTopic, held.body);
    } finally {
      // Every view of the frame (the records appended) is done with.
      held.release();
    }
  }

  private async applyResponse(session: ReturnType<FetchSessionHandler['build']>, byTopic: Map<string, FetchState[]>, response: FetchResponse): Promise<void> {
    if (!this.session.handleResponse(session, response.errorCode, response.sessionId)) {
      if (response.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND || response.errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH) {
        // The leader evicted or restarted the session: the next fetch is full again.
        this.logger.debug({ leader: this.leaderId, error: errorName(response.errorCode) }, 'fetch session reset');
        return;
      }
      throw new Error(`Fetch failed: ${errorName(response.errorCode)}`);
    }
    for (const t of response.responses) {
      for (const r of t.partitions) {
        const s = byTopic.get(t.topic)?.find((x) => x.partition.index === r.partitionIndex);
        if (!s || !this.current(s)) continue;
        await this.applyFetched(s, r.errorCode, r.records, r.highWatermark, r.logStartOffset);
      }
    }
  }

  private async applyFetched(s: FetchState, errorCode: number, records: Buffer | null, highWatermark: number, leaderLogStartOffset: number): Promise<void> {
    const p = s.partition;
    if (errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (s.fetchOffset < leaderLogStartOffset) {
        // The leader deleted what this replica lacks (retention): start at the leader's log start.
        this.logger.warn({ topic: p.topic, partition: p.index, fetchOffset: s.fetchOffset, leaderLogStartOffset }, 'follower is behind the leader\'s log start offset; starting there');
        s.fetchOffset = leaderLogStartOffset;
      } else {
        s.truncating = true;
      }
      return;
    }
    if (errorCode !== ErrorCode.NONE) {
      this.logger.debug({ topic: p.topic, partition: p.index, error: errorName(errorCode), leader: this.leaderId }, 'replica fetch failed for a partition; backing off');
      this.backOff(s);
      return;
    }
    if (records && records.length > 0) {
      const q = this.config.quota;
      if (q && !p.isr.includes(this.config.brokerId) && q.throttled(p)) q.quota.record(records.length, Date.now());
      const batches = wholeBatchesFrom(records, p.logEndOffset);
      if (batches.length > 0) {
        try {
          await p.appendAsFollower(batches);
        } catch (err) {
          const notLogged = this.errorLog.admit(`${p.topic}-${p.index}`);
          if (notLogged !== undefined) this.logger.error({ err, topic: p.topic, partition: p.index, notLoggedSinceLast: notLogged }, 'follower append failed');
          this.backOff(s);
          return;
        }
        if (!this.current(s)) return;
      }
    }
    // The leader's log start offset (retention, DeleteRecords) applies here too.
    if (leaderLogStartOffset > p.logStartOffset) p.deleteRecordsBefore(Math.min(leaderLogStartOffset, p.logEndOffset));
    s.fetchOffset = p.logEndOffset;
    p.updateFollowerHighWatermark(highWatermark);
  }
}

function groupByTopic(states: readonly FetchState[]): Map<string, FetchState[]> {
  const byTopic = new Map<string, FetchState[]>();
  for (const s of states) {
    const list = byTopic.get(s.partition.topic) ?? [];
    list.push(s);
    byTopic.set(s.partition.topic, list);
  }
  return byTopic;
}

/**
 * The whole v2 batches of a fetched chunk whose last offset is at or past `logEndOffset`
 * (the leader may start from a batch this replica already has, and the last batch may be cut
 * by the size limit).
 */
function wholeBatchesFrom(records: Buffer, logEndOffset: number): Buffer {
  let start = -1;
  let end = 0;
  for (const { pos, size } of wholeBatches(records)) {
    if (start < 0 && lastOffsetOf(records, pos) >= logEndOffset) start = pos;
    end = pos + size;
  }
  return start < 0 ? records.subarray(0, 0) : records.subarray(start, end);
}
