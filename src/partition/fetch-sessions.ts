// Fetch sessions (KIP-227, Kafka's FetchSession.scala): a client fetching many partitions
// sends them all once (a full fetch, epoch 0) and gets a session id; then each incremental
// fetch names only the partitions whose fetch position changed (and those to forget), and
// the response carries only the partitions with something new: records, a moved high
// watermark / last stable offset / log start offset, or an error. Followers and consumers
// with thousands of partitions stop resending them all every fetch.
//
// This module owns the session cache: creation, epochs, the partitions each session holds
// with what the client was last told, the order partitions are read in (those answered move
// to the end, so a busy partition cannot starve the others under MaxBytes), and eviction
// when `max.incremental.fetch.session.cache.slots` is reached (stale sessions first, then a
// follower's new session evicts the smallest consumer session, and a consumer's only a
// smaller one). It knows nothing of logs: the fetch handler reads what it says to read.
import { ErrorCode } from '../protocol/errors.js';

/** A request that asks for no session (sessionless full fetch), or closes the one named. */
export const FINAL_EPOCH = -1;
/** A full fetch that asks for a new session. */
export const INITIAL_EPOCH = 0;
/** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS: a session unused this long may be evicted by anyone. */
export const SESSION_EVICTION_MS = 120_000;

/** One partition as the fetch request names it. */
export interface SessionPartitionRequest {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  readonly currentLeaderEpoch: number;
}

/** What the response said of a partition last time (or will say now). */
export interface PartitionResponseState {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly records: { readonly byteLength: number };
}

interface CachedPartition {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
}

class FetchSession {
  /** The epoch the next incremental request must carry. */
  nextEpoch = 1;
  /** Insertion order is read order; answered partitions move to the end. */
  readonly partitions = new Map<string, CachedPartition>();

  constructor(
    readonly id: number,
    readonly privileged: boolean,
    readonly usesTopicIds: boolean,
    public lastUsedMs: number,
  ) {}
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export interface FetchSessionRequest {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** A follower (replica id >= 0): its sessions are kept over consumers' when the cache is full. */
  readonly privileged: boolean;
  /** Fetch v13+: partitions are named by topic id; a session never mixes the two. */
  readonly usesTopicIds: boolean;
  /** The request's partitions with their names resolved. */
  readonly partitions: readonly SessionPartitionRequest[];
  /** forgottenTopicsData, names resolved. */
  readonly forgotten: readonly { readonly topic: string; readonly partition: number }[];
}

/** How a fetch is answered: the response's session id, and per read whether it is included. */
export interface FetchAnswer {
  /** 0 when the response belongs to no session (sessionless, or the cache had no room). */
  readonly sessionId: number;
  /** All true for a full fetch. */
  readonly include: readonly boolean[];
}

/**
 * What to read for one fetch and how to answer it: `reads` in order; after reading, `answer`
 * records what the client is told (creating the session a full fetch asked for).
 */
export interface FetchContext {
  readonly incremental: boolean;
  readonly reads: readonly SessionPartitionRequest[];
  answer(results: readonly PartitionResponseState[]): FetchAnswer;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private evictions = 0;
  private created = 0;

  constructor(
    /** max.incremental.fetch.session.cache.slots: 0 turns sessions off. */
    private readonly maxSlots: number,
    private readonly evictionMs = SESSION_EVICTION_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Sessions evicted to make room for others since start. */
  get evictionCount(): number {
    return this.evictions;
  }

  /** Sessions opened since start. */
  get createdCount(): number {
    return this.created;
  }

  /** Partitions held by all sessions (Kafka's NumIncrementalFetchPartitionsCached). */
  get partitionCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.partitions.size;
    return n;
  }

  /** Opens the fetch: a full or incremental context, or the error code that answers it. */
  newContext(req: FetchSessionRequest): FetchContext | { readonly errorCode: number } {
    if (req.sessionEpoch === FINAL_EPOCH || req.sessionEpoch === INITIAL_EPOCH) {
      // A full fetch: it ends the session it names (as Kafka's FetchManager does); epoch 0
      // asks for a new one, epoch -1 for none.
      if (req.sessionId !== 0) this.sessions.delete(req.sessionId);
      return this.fullContext(req, req.sessionEpoch === INITIAL_EPOCH);
    }
    const session = this.sessions.get(req.sessionId);
    if (!session) return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.nextEpoch !== req.sessionEpoch) return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    if (session.usesTopicIds !== req.usesTopicIds) return { errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    for (const f of req.forgotten) session.partitions.delete(keyOf(f.topic, f.partition));
    for (const p of req.partitions) {
      const cached = session.partitions.get(keyOf(p.topic, p.partition));
      if (cached) {
        cached.fetchOffset = p.fetchOffset;
        cached.partitionMaxBytes = p.partitionMaxBytes;
        cached.currentLeaderEpoch = p.currentLeaderEpoch;
      } else {
        session.partitions.set(keyOf(p.topic, p.partition), { ...p, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 });
      }
    }
    session.nextEpoch = nextEpoch(session.nextEpoch);
    session.lastUsedMs = this.now();
    const partitions = [...session.partitions.values()];
    return {
      incremental: true,
      reads: partitions,
      answer: (results) => ({
        sessionId: session.id,
        include: partitions.map((cached, i) => {
          const include = updateCached(cached, results[i]!);
          // Answered partitions go to the back of the line (KIP-227): the next reads start with the others.
          if (include) {
            const key = keyOf(cached.topic, cached.partition);
            session.partitions.delete(key);
            session.partitions.set(key, cached);
          }
          return include;
        }),
      }),
    };
  }

  private fullContext(req: FetchSessionRequest, wantsSession: boolean): FetchContext {
    const reads = req.partitions;
    return {
      incremental: false,
      reads,
      answer: (results) => {
        const include = reads.map(() => true);
        const session = wantsSession && reads.length > 0 ? this.create(req.privileged, req.usesTopicIds, reads.length) : null;
        if (!session) return { sessionId: 0, include };
        reads.forEach((p, i) => {
          const cached: CachedPartition = { ...p, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 };
          updateCached(cached, results[i]!);
          session.partitions.set(keyOf(p.topic, p.partition), cached);
        });
        return { sessionId: session.id, include };
      },
    };
  }

  /** A new session with room made for it, or null when the cache keeps its sessions. */
  private create(privileged: boolean, usesTopicIds: boolean, size: number): FetchSession | null {
    if (this.maxSlots <= 0) return null;
    const now = this.now();
    if (this.sessions.size >= this.maxSlots && !this.evictOne(privileged, size, now)) return null;
    let id: number;
    do id = 1 + Math.floor(Math.random() * 0x7ffffffe);
    while (this.sessions.has(id));
    const session = new FetchSession(id, privileged, usesTopicIds, now);
    this.sessions.set(id, session);
    this.created++;
    return session;
  }

  /** Kafka's tryEvict: a stale session; else, for a follower, the smallest consumer session; else a smaller consumer session. */
  private evictOne(privileged: boolean, size: number, now: number): boolean {
    let stale: FetchSession | null = null;
    let smallestConsumer: FetchSession | null = null;
    for (const s of this.sessions.values()) {
      if (now - s.lastUsedMs >= this.evictionMs && (stale === null || s.lastUsedMs < stale.lastUsedMs)) stale = s;
      if (!s.privileged && (smallestConsumer === null || s.partitions.size < smallestConsumer.partitions.size)) smallestConsumer = s;
    }
    const victim = stale ?? (smallestConsumer && (privileged || smallestConsumer.partitions.size < size) ? smallestConsumer : null);
    if (!victim) return false;
    this.sessions.delete(victim.id);
    this.evictions++;
    return true;
  }
}

/** Session epochs wrap from 2^31-1 to 1 (0 and -1 are the full-fetch epochs). */
function nextEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}

/**
 * Records what the response says of a partition; true when an incremental response must
 * include it (Kafka's CachedPartition.maybeUpdateResponseData): records, an error, or a
 * changed high watermark, last stable offset or log start offset.
 */
function updateCached(cached: CachedPartition, r: PartitionResponseState): boolean {
  let include = r.records.byteLength > 0 || r.errorCode !== ErrorCode.NONE;
  if (cached.highWatermark !== r.highWatermark) {
    cached.highWatermark = r.highWatermark;
    include = true;
  }
  if (cached.lastStableOffset !== r.lastStableOffset) {
    cached.lastStableOffset = r.lastStableOffset;
    include = true;
  }
  if (cached.logStartOffset !== r.logStartOffset) {
    cached.logStartOffset = r.logStartOffset;
    include = true;
  }
  return include;
}
