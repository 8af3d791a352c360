// FetchSessionHandler: the client side of a fetch session (KIP-227, Kafka's
// FetchSessionHandler.java), for a fetcher that asks one broker for a changing set of
// partitions. The first fetch sends them all (epoch 0) and the broker answers with a session
// id; each later fetch sends only the partitions that are new or whose fetch position
// changed, names those no longer wanted as forgotten, and carries the next epoch. Any error
// of the session, or a lost connection, starts over with a full fetch that also ends the old
// session on the broker.
import { ErrorCode } from '../protocol/errors.js';

/** What a fetch says of one partition; a change of any field means it is sent again. */
export interface SessionPartitionData {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly logStartOffset: number;
  readonly currentLeaderEpoch: number;
  readonly partitionMaxBytes: number;
}

export interface SessionFetchRequest {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** The partitions to put in the request. */
  readonly send: readonly SessionPartitionData[];
  readonly forget: readonly { readonly topic: string; readonly partition: number }[];
  /** Whether this is a full fetch (every wanted partition sent). */
  readonly full: boolean;
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function samePartitionData(a: SessionPartitionData, b: SessionPartitionData): boolean {
  return a.fetchOffset === b.fetchOffset && a.logStartOffset === b.logStartOffset && a.currentLeaderEpoch === b.currentLeaderEpoch && a.partitionMaxBytes === b.partitionMaxBytes;
}

export class FetchSessionHandler {
  private sessionId = 0;
  /** 0: the next fetch is full (and opens a session). */
  private nextEpoch = 0;
  /** The partitions the broker's session holds, as last sent. */
  private session = new Map<string, SessionPartitionData>();
  /** What the request being answered would make the session, applied on success. */
  private pending: Map<string, SessionPartitionData> | null = null;

  /** The request for the partitions wanted now. */
  build(wanted: readonly SessionPartitionData[]): SessionFetchRequest {
    const next = new Map<string, SessionPartitionData>();
    for (const p of wanted) next.set(keyOf(p.topic, p.partition), p);
    this.pending = next;
    if (this.nextEpoch === 0) return { sessionId: this.sessionId, sessionEpoch: 0, send: wanted, forget: [], full: true };
    const send: SessionPartitionData[] = [];
    for (const [key, p] of next) {
      const sent = this.session.get(key);
      if (!sent || !samePartitionData(sent, p)) send.push(p);
    }
    const forget = [...this.session].filter(([key]) => !next.has(key)).map(([, p]) => ({ topic: p.topic, partition: p.partition }));
    return { sessionId: this.sessionId, sessionEpoch: this.nextEpoch, send, forget, full: false };
  }

  /** Takes the response's top-level error code and session id; false when the session was reset. */
  handleResponse(request: SessionFetchRequest, errorCode: number, sessionId: number): boolean {
    if (errorCode !== ErrorCode.NONE) {
      // FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH and the rest: start over.
      this.reset();
      return false;
    }
    if (request.full) {
      this.sessionId = sessionId;
      // No session (the broker had no room or does not do sessions): keep sending full fetches.
      this.nextEpoch = sessionId === 0 ? 0 : 1;
    } else {
      this.nextEpoch = this.nextEpoch >= 0x7fffffff ? 1 : this.nextEpoch + 1;
    }
    this.session = this.pending ?? new Map();
    this.pending = null;
    return true;
  }

  /** After a lost connection or a failed request: the next fetch is full and ends the old session. */
  reset(): void {
    this.nextEpoch = 0;
    this.session = new Map();
    this.pending = null;
  }

  /** The session id, 0 when there is none. */
  get id(): number {
    return this.sessionId;
  }
}
