// An in-memory __consumer_offsets for the coordinator's unit tests: batches get offsets as
// the log would assign them (baseOffset patched), reads return whole batches from an offset,
// and a test can fail appends or hold them (or reads) in flight. Constructed with
// { clustered: true } it plays one broker of a cluster: it leads only the partitions a test
// elects it for (elect/resign call the coordinator's leadership listener, as TopicService
// does), and appends to a partition it does not lead answer NOT_LEADER_OR_FOLLOWER.
import { ErrorCode } from '../../src/protocol/errors.js';
import type { AppendOutcome, AppendResult, LeadershipRole, OffsetsTopicStore, PartitionChunk } from '../../src/groups/offsets-topic.js';
import { decodeRecordBatches, type ConsumedRecord } from '../../src/client/record-batch.js';

interface StoredBatch {
  readonly baseOffset: number;
  readonly bytes: Buffer;
}

export class MemoryOffsetsStore implements OffsetsTopicStore {
  private partitions: StoredBatch[][] | null = null;
  private readonly nextOffset: number[] = [];
  /** The error code the next appends answer with (NONE = succeed). */
  failAppendsWith: number = ErrorCode.NONE;
  /** The error code create() answers with. */
  failCreateWith: number = ErrorCode.NONE;
  /** While true, appends wait until release() is called. */
  holdAppends = false;
  private held: (() => void)[] = [];
  appendCount = 0;
  /** While true, reads wait until releaseReads() is called. */
  holdReads = false;
  private heldReads: (() => void)[] = [];
  readonly clustered: boolean;
  /** Clustered: partition → leader id (this broker is THIS_BROKER_ID); absent = no leader. */
  readonly leaders = new Map<number, number>();
  private readonly listeners: ((partition: number, role: LeadershipRole) => void)[] = [];

  static readonly THIS_BROKER_ID = 1;

  constructor(
    readonly numPartitions = 5,
    options: { clustered?: boolean } = {},
  ) {
    this.clustered = options.clustered ?? false;
  }

  leaderOf(partition: number): number {
    if (!this.partitions) return -1;
    return this.clustered ? (this.leaders.get(partition) ?? -1) : MemoryOffsetsStore.THIS_BROKER_ID;
  }

  onLeadershipChange(listener: (partition: number, role: LeadershipRole) => void): void {
    this.listeners.push(listener);
  }

  /** Clustered: the controller made `leader` the partition's leader (-1: none); listeners hear this broker's role. */
  setLeader(partition: number, leader: number): void {
    this.leaders.set(partition, leader);
    const role: LeadershipRole = leader === MemoryOffsetsStore.THIS_BROKER_ID ? 'leader' : leader === -1 ? 'offline' : 'follower';
    for (const l of this.listeners) l(partition, role);
  }

  elect(partition: number): void {
    this.setLeader(partition, MemoryOffsetsStore.THIS_BROKER_ID);
  }

  resign(partition: number, newLeader = 2): void {
    this.setLeader(partition, newLeader);
  }

  partitionCount(): number | null {
    return this.partitions ? this.partitions.length : null;
  }

  create(): AppendOutcome {
    if (this.failCreateWith !== ErrorCode.NONE) return { errorCode: this.failCreateWith, errorMessage: 'create refused by the test' };
    if (!this.partitions) {
      this.partitions = Array.from({ length: this.numPartitions }, () => []);
      for (let i = 0; i < this.numPartitions; i++) this.nextOffset[i] = 0;
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  isLocal(partition: number): boolean {
    return !this.clustered || this.leaders.get(partition) === MemoryOffsetsStore.THIS_BROKER_ID;
  }

  logStartOffset(): number {
    return 0;
  }

  async append(partition: number, batch: Buffer): Promise<AppendResult> {
    if (this.holdAppends) await new Promise<void>((resolve) => this.held.push(resolve));
    this.appendCount++;
    if (this.failAppendsWith !== ErrorCode.NONE) return { errorCode: this.failAppendsWith, errorMessage: 'append refused by the test', baseOffset: -1 };
    const list = this.partitions?.[partition];
    if (!list) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, baseOffset: -1 };
    if (!this.isLocal(partition)) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: null, baseOffset: -1 };
    const base = this.nextOffset[partition]!;
    const copy = Buffer.from(batch);
    copy.writeBigInt64BE(BigInt(base), 0);
    const lastOffsetDelta = copy.readInt32BE(23);
    list.push({ baseOffset: base, bytes: copy });
    this.nextOffset[partition] = base + lastOffsetDelta + 1;
    return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: base };
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }

  releaseReads(): void {
    const held = this.heldReads;
    this.heldReads = [];
    for (const r of held) r();
  }

  async read(partition: number, offset: number, maxBytes: number): Promise<PartitionChunk> {
    if (this.holdReads) await new Promise<void>((resolve) => this.heldReads.push(resolve));
    const list = this.partitions?.[partition] ?? [];
    const parts: Buffer[] = [];
    let size = 0;
    for (const b of list) {
      const last = b.baseOffset + b.bytes.readInt32BE(23);
      if (last < offset) continue;
      if (size > 0 && size + b.bytes.length > maxBytes) break;
      parts.push(b.bytes);
      size += b.bytes.length;
    }
    return { bytes: Buffer.concat(parts), logEndOffset: this.nextOffset[partition] ?? 0 };
  }

  /** The batches of a partition as the log holds them (offsets assigned), oldest first. */
  rawBatches(partition: number): Buffer[] {
    return (this.partitions?.[partition] ?? []).map((b) => b.bytes);
  }

  /** Every record appended so far, all partitions. */
  records(): ConsumedRecord[] {
    const out: ConsumedRecord[] = [];
    for (const list of this.partitions ?? []) for (const b of list) for (const batch of decodeRecordBatches(b.bytes).batches) out.push(...batch.records);
    return out;
  }
}
