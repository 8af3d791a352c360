// An in-memory __transaction_state for the transaction coordinator's unit tests: batches get
// offsets as the log would assign them, reads return whole batches from an offset, and a test
// can fail or hold appends. `leaderEpochs` is each partition's leader epoch (the coordinator
// epoch). Clustered, it leads only the partitions a test elects it for (elect/resign call the
// coordinator's leadership listener, as TopicService does).
import { ErrorCode } from '../../src/protocol/errors.js';
import type { AppendOutcome, LeadershipRole, PartitionChunk, TransactionStateStore } from '../../src/txn/transaction-state-topic.js';
import { decodeRecordBatches, type ConsumedRecord } from '../../src/client/record-batch.js';

export class MemoryTransactionStateStore implements TransactionStateStore {
  private partitions: Buffer[][] | null = null;
  private readonly nextOffset: number[] = [];
  failAppendsWith: number = ErrorCode.NONE;
  holdAppends = false;
  private held: (() => void)[] = [];
  appendCount = 0;
  readonly clustered: boolean;
  readonly leaders = new Map<number, number>();
  readonly leaderEpochs = new Map<number, number>();
  private readonly listeners: ((partition: number, role: LeadershipRole, leaderEpoch: number) => void)[] = [];

  static readonly THIS_BROKER_ID = 1;

  constructor(
    readonly numPartitions = 3,
    options: { clustered?: boolean; created?: boolean } = {},
  ) {
    this.clustered = options.clustered ?? false;
    if (options.created ?? true) this.create();
  }

  partitionCount(): number | null {
    return this.partitions ? this.partitions.length : null;
  }

  create(): AppendOutcome {
    if (!this.partitions) {
      this.partitions = Array.from({ length: this.numPartitions }, () => []);
      for (let i = 0; i < this.numPartitions; i++) this.nextOffset[i] = 0;
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  leaderOf(partition: number): number {
    if (!this.partitions) return -1;
    return this.clustered ? (this.leaders.get(partition) ?? -1) : MemoryTransactionStateStore.THIS_BROKER_ID;
  }

  isLocal(partition: number): boolean {
    return this.partitions !== null && (!this.clustered || this.leaders.get(partition) === MemoryTransactionStateStore.THIS_BROKER_ID);
  }

  leaderEpoch(partition: number): number {
    return this.leaderEpochs.get(partition) ?? 0;
  }

  onLeadershipChange(listener: (partition: number, role: LeadershipRole, leaderEpoch: number) => void): void {
    this.listeners.push(listener);
  }

  /** Clustered: `leader` leads the partition now at a bumped leader epoch. */
  setLeader(partition: number, leader: number): void {
    this.leaders.set(partition, leader);
    const epoch = this.leaderEpoch(partition) + 1;
    this.leaderEpochs.set(partition, epoch);
    const role: LeadershipRole = leader === MemoryTransactionStateStore.THIS_BROKER_ID ? 'leader' : leader === -1 ? 'offline' : 'follower';
    for (const l of this.listeners) l(partition, role, epoch);
  }

  logStartOffset(): number {
    return 0;
  }

  async append(partition: number, batch: Buffer): Promise<AppendOutcome> {
    if (this.holdAppends) await new Promise<void>((resolve) => this.held.push(resolve));
    this.appendCount++;
    if (this.failAppendsWith !== ErrorCode.NONE) return { errorCode: this.failAppendsWith, errorMessage: 'append refused by the test' };
    const list = this.partitions?.[partition];
    if (!list) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
    if (!this.isLocal(partition)) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: null };
    const base = this.nextOffset[partition]!;
    const copy = Buffer.from(batch);
    copy.writeBigInt64BE(BigInt(base), 0);
    list.push(copy);
    this.nextOffset[partition] = base + copy.readInt32BE(23) + 1;
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  release(): void {
    const held = this.held;
    this.held = [];
    for (const r of held) r();
  }

  async read(partition: number, offset: number): Promise<PartitionChunk> {
    const list = this.partitions?.[partition] ?? [];
    const parts = list.filter((b) => Number(b.readBigInt64BE(0)) + b.readInt32BE(23) >= offset);
    return { bytes: Buffer.concat(parts), logEndOffset: this.nextOffset[partition] ?? 0 };
  }

  /** Every record of a partition, in log order. */
  records(partition: number): ConsumedRecord[] {
    const list = this.partitions?.[partition] ?? [];
    return list.flatMap((b) => decodeRecordBatches(b).batches.flatMap((batch) => batch.records));
  }
}
