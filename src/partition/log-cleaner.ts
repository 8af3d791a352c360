// LogCleaner: schedules compaction of cleanup.policy=compact partitions (Kafka's LogCleaner
// thread with LogCleanerManager's choice of the "filthiest" log). The decisions happen here,
// on the event loop; each pass is BindingLog.clean, which runs on the libuv thread pool and
// holds the log's lock only to plan and to swap segments, so produce and fetch go on.
//
// One partition is cleaned at a time. A partition qualifies when its dirty ratio
// (bytes after the cleaner checkpoint / clean + dirty bytes, inactive segments below the last
// stable offset only: the high watermark, or the first offset of a transaction not yet
// decided and replicated, as Kafka's LogCleanerManager bounds it; Partition passes the bound)
// is at least min.cleanable.dirty.ratio, or when a dirty segment's first batch is older than
// max.compaction.lag.ms; the dirtiest goes first. When none qualifies the
// cleaner sleeps log.cleaner.backoff.ms. A pass that fails (damage, I/O) marks the partition
// uncleanable until restart, as Kafka does.
//
// The checkpoint (first offset not yet cleaned) of each partition lives in its log dir's
// cleaner-offset-checkpoint, in Kafka's offset checkpoint format, rewritten after every pass.
import path from 'node:path';
import type { Logger } from 'pino';
import { readOffsetCheckpoint, tpKey, writeOffsetCheckpoint, type TopicPartitionKey } from './checkpoint.js';
import type { Partition } from './partition.js';

export const CLEANER_CHECKPOINT = 'cleaner-offset-checkpoint';

export interface LogCleanerOptions {
  readonly logDirs: readonly string[];
  /** log.cleaner.enable: run passes in the background (cleanNow works either way). */
  readonly enabled: boolean;
  /** log.cleaner.backoff.ms: sleep when no partition needs cleaning. */
  readonly backoffMs: number;
  /** log.cleaner.dedupe.buffer.size; the addon's default (128 MiB) when absent. */
  readonly dedupeBufferBytes?: number;
  /** producer.id.expiration.ms: the last batch of a producer idle this long is not kept for its producer state. */
  readonly producerIdExpirationMs?: number;
}

/** One pass over one partition, as logged and returned by cleanNow. */
export interface CleanSummary {
  readonly topic: string;
  readonly partition: number;
  readonly firstDirtyOffset: number;
  readonly endOffset: number;
  readonly aborted: boolean;
  readonly segmentsBefore: number;
  readonly segmentsAfter: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly recordsRead: number;
  readonly recordsRemoved: number;
  readonly tombstonesRemoved: number;
  readonly invalidRecordsRemoved: number;
  /** Records of aborted transactions removed. */
  readonly abortedRecordsRemoved: number;
  /** Transaction markers removed (no data of their transaction left, delete horizon passed). */
  readonly markersRemoved: number;
  /** Batches emptied of records but kept as their producer's last, for its sequence and epoch. */
  readonly emptyBatchesKept: number;
}

interface Candidate {
  readonly partition: Partition;
  readonly ratio: number;
  readonly overdue: boolean;
}

export class LogCleaner {
  /** Checkpoints read from disk, handed to a partition the first time it is seen. */
  private readonly loaded = new Map<string, Map<TopicPartitionKey, number>>();
  /** Checkpoints of the partitions seen; keyed by object, so a re-created topic starts over. */
  private readonly checkpoints = new WeakMap<Partition, number>();
  private readonly uncleanable = new WeakSet<Partition>();
  private timer: NodeJS.Timeout | null = null;
  /** The chain of passes: one at a time, background and cleanNow alike. */
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly options: LogCleanerOptions,
    private readonly partitions: () => Iterable<Partition>,
    private readonly logger: Logger,
  ) {
    for (const dir of options.logDirs) this.loaded.set(dir, readOffsetCheckpoint(path.join(dir, CLEANER_CHECKPOINT)));
  }

  /** Starts the background passes when log.cleaner.enable is set. */
  startup(): void {
    if (this.options.enabled && !this.stopped) this.schedule(0);
  }

  /**
   * Stops scheduling and resolves when the pass in flight (if any) has settled. Closing a
   * partition's log also stops and waits for its clean (BindingLog.close), so a synchronous
   * shutdown that closes the logs right after this call leaves no cleaner work behind.
   */
  shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.chain.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Cleans every compacted partition that has anything cleanable, whatever its dirty ratio,
   * one pass each, one at a time (for tests and admin tools). `nowMs` is the time the passes
   * judge delete horizons and min.compaction.lag.ms by.
   */
  cleanNow(nowMs: number = Date.now()): Promise<CleanSummary[]> {
    return this.exclusive(async () => {
      const out: CleanSummary[] = [];
      for (const p of [...this.partitions()]) {
        if (this.stopped) break;
        if (!p.isCompacted || this.uncleanable.has(p)) continue;
        const range = p.cleanableRange(this.checkpointOf(p), nowMs);
        if (range.cleanableBytes <= 0) continue;
        const summary = await this.cleanPartition(p, nowMs);
        if (summary) out.push(summary);
      }
      return out;
    });
  }

  /** The partition to clean next, if any (Kafka's grabFilthiestCompactedLog). */
  private filthiest(nowMs: number): Partition | null {
    const candidates: Candidate[] = [];
    for (const p of this.partitions()) {
      if (!p.isCompacted || this.uncleanable.has(p)) continue;
      let range;
      try {
        range = p.cleanableRange(this.checkpointOf(p), nowMs);
      } catch {
        continue; // closed meanwhile
      }
      if (range.cleanableBytes <= 0) continue;
      const maxLagMs = Math.max(p.config.maxCompactionLagMs, 0);
      const overdue = range.earliestDirtyTimestampMs > 0 && range.earliestDirtyTimestampMs < nowMs - maxLagMs;
      if (overdue || range.dirtyRatio >= p.config.minCleanableDirtyRatio) candidates.push({ partition: p, ratio: range.dirtyRatio, overdue });
    }
    candidates.sort((a, b) => Number(b.overdue) - Number(a.overdue) || b.ratio - a.ratio);
    return candidates[0]?.partition ?? null;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.exclusive(async () => {
        if (this.stopped) return false;
        const nowMs = Date.now();
        const p = this.filthiest(nowMs);
        if (!p) return false;
        const summary = await this.cleanPartition(p, nowMs);
        return summary !== null && !summary.aborted;
      }).then(
        (cleaned) => this.schedule(cleaned ? 0 : this.options.backoffMs),
        (err: unknown) => {
          this.logger.error({ err }, 'log cleaner pass failed');
          this.schedule(this.options.backoffMs);
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private checkpointOf(p: Partition): number {
    const known = this.checkpoints.get(p);
    if (known !== undefined) return known;
    const fromDisk = this.loaded.get(path.dirname(p.dir));
    const key = tpKey(p.topic, p.index);
    const offset = fromDisk?.get(key) ?? -1;
    fromDisk?.delete(key);
    this.checkpoints.set(p, offset);
    return offset;
  }

  /** One pass; null when the partition went away or the pass failed (then it is uncleanable). */
  private async cleanPartition(p: Partition, nowMs: number): Promise<CleanSummary | null> {
    const checkpoint = this.checkpointOf(p);
    let r;
    try {
      r = await p.clean(checkpoint, nowMs, this.options.dedupeBufferBytes, this.options.producerIdExpirationMs);
    } catch (err) {
      if ((err as Error).message?.includes('the log is closed')) return null;
      this.uncleanable.add(p);
      this.logger.error({ err, topic: p.topic, partition: p.index }, 'log cleaner failed on this partition; not cleaning it again until restart');
      return null;
    }
    const summary: CleanSummary = {
      topic: p.topic,
      partition: p.index,
      firstDirtyOffset: r.firstDirtyOffset,
      endOffset: r.endOffset,
      aborted: r.aborted,
      segmentsBefore: r.segmentsBefore,
      segmentsAfter: r.segmentsAfter,
      bytesBefore: r.bytesBefore,
      bytesAfter: r.bytesAfter,
      recordsRead: r.recordsRead,
      recordsRemoved: r.recordsRemoved,
      tombstonesRemoved: r.tombstonesRemoved,
      invalidRecordsRemoved: r.invalidRecordsRemoved,
      abortedRecordsRemoved: r.abortedRecordsRemoved,
      markersRemoved: r.markersRemoved,
      emptyBatchesKept: r.emptyBatchesKept,
    };
    if (r.aborted || this.stopped) return summary;
    this.checkpoints.set(p, r.endOffset);
    if (r.invalidRecordsRemoved > 0) {
      this.logger.warn({ topic: p.topic, partition: p.index, records: r.invalidRecordsRemoved }, 'log cleaner removed records without a key');
    }
    this.logger.info(summary, 'cleaned log');
    this.writeCheckpoint(path.dirname(p.dir));
    return summary;
  }

  /** Rewrites one log dir's cleaner-offset-checkpoint from the partitions open in it. */
  private writeCheckpoint(logDir: string): void {
    const entries: [string, number, number][] = [];
    for (const p of this.partitions()) {
      const offset = this.checkpoints.get(p);
      if (offset !== undefined && offset >= 0 && path.dirname(p.dir) === logDir) entries.push([p.topic, p.index, offset]);
    }
    try {
      writeOffsetCheckpoint(path.join(logDir, CLEANER_CHECKPOINT), entries);
    } catch (err) {
      this.logger.error({ err, logDir }, 'could not write the cleaner checkpoint');
    }
  }
}
