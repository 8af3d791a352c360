// LogManager: owns the log directories (log.dirs). Places new partitions on the directory
// holding the fewest, finds existing partition directories at start-up and opens their logs
// on the thread pool, num.recovery.threads.per.data.dir per dir at a time (Kafka's loadLogs),
// logs at WARN and counts what start-up recovery cut off, keeps each dir's
// recovery-point-offset-checkpoint and replication-offset-checkpoint (the high watermarks,
// which a replicated partition restores at start-up), each rewritten only when it changed,
// and schedules flush (flush.ms), retention (log.retention.check.interval.ms),
// checkpointing (with the producer state snapshots; the periodic writes fsync off the event
// loop, ../atomic-file.ts) and the expiry of idle producer ids.
// Deleted partitions are renamed to `<topic>-<partition>.<id>-delete` first and removed
// after, as Kafka does; at start-up such leftovers of a crash go, and so do checkpoint
// writes' temporary files.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { backgroundWritesSettled } from '../atomic-file.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { EffectiveTopicConfig } from '../config/topic-config.js';
import { OffsetCheckpointWriter, readOffsetCheckpoint, tpKey } from './checkpoint.js';
import { PartitionRegistry } from './partition-registry.js';
import { openLog, openLogAsync, Partition } from './partition.js';
import type { BindingLog } from '../native.js';
import type { BindingLogRecovery } from '../../native/binding.js';
import { LogCleaner, type CleanSummary } from './log-cleaner.js';

const RECOVERY_CHECKPOINT = 'recovery-point-offset-checkpoint';
/** Log start offsets raised by DeleteRecords above the first segment's base offset. */
const LOG_START_CHECKPOINT = 'log-start-offset-checkpoint';
/** High watermarks (Kafka's replica.high.watermark.checkpoint.interval.ms writes them). */
const HIGH_WATERMARK_CHECKPOINT = 'replication-offset-checkpoint';
const PARTITION_DIR_RE = /^(.+)-(\d+)$/;

/** A partition's offsets for the recovery point and log start checkpoints. */
interface RecoveryEntry {
  readonly p: Partition;
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
}

function recoveryPointEntries(entries: readonly RecoveryEntry[]): [string, number, number][] {
  return entries.map((e) => [e.p.topic, e.p.index, e.recoveryPoint]);
}

function logStartEntries(entries: readonly RecoveryEntry[]): [string, number, number][] {
  return entries.map((e) => [e.p.topic, e.p.index, e.logStartOffset]);
}

export interface FoundPartition {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
}

export class LogManager {
  /** The partitions this broker holds (LogManager adds and removes them; TopicService marks them ready). */
  readonly registry = new PartitionRegistry();
  private readonly recoveryPoints = new Map<string, Map<string, number>>();
  /** Set when shutdown begins: periodic checkpoints still running write nothing more. */
  private stopping = false;
  private readonly logStartOffsets = new Map<string, Map<string, number>>();
  private readonly highWatermarks = new Map<string, Map<string, number>>();
  /** Writes the dirs' checkpoint files, each only when what it would hold changed. */
  private readonly checkpoints = new OffsetCheckpointWriter();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: BrokerConfig,
    private readonly logger: Logger,
  ) {
    for (const dir of config.logDirs) {
      mkdirSync(dir, { recursive: true });
      this.recoveryPoints.set(dir, readOffsetCheckpoint(path.join(dir, RECOVERY_CHECKPOINT)));
      this.logStartOffsets.set(dir, readOffsetCheckpoint(path.join(dir, LOG_START_CHECKPOINT)));
      this.highWatermarks.set(dir, readOffsetCheckpoint(path.join(dir, HIGH_WATERMARK_CHECKPOINT)));
      this.removeLeftovers(dir);
    }
  }

  get logDirs(): readonly string[] {
    return this.config.logDirs;
  }

  /** Partition directories present on disk, across all log dirs. */
  findPartitionDirs(): FoundPartition[] {
    const found: FoundPartition[] = [];
    for (const logDir of this.config.logDirs) {
      for (const name of readdirSync(logDir)) {
        const m = PARTITION_DIR_RE.exec(name);
        if (!m || !statSync(path.join(logDir, name)).isDirectory()) continue;
        found.push({ topic: m[1]!, partition: Number(m[2]), dir: path.join(logDir, name) });
      }
    }
    return found;
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.registry.opened(topic, partition);
  }

  allPartitions(): IterableIterator<Partition> {
    return this.registry.all();
  }

  /** Opens (recovering if needed) or creates the log of a partition, on the JS thread. */
  openPartition(topic: string, partition: number, config: EffectiveTopicConfig): Partition {
    const existing = this.registry.opened(topic, partition);
    if (existing) return existing;
    const place = this.placePartition(tpKey(topic, partition));
    const started = performance.now();
    return this.adoptLog(topic, partition, config, place, openLog(place.dir, config, place.recoveryPoint), started);
  }

  /**
   * Opens the logs of existing partitions at start-up, `num.recovery.threads.per.data.dir` per
   * log dir at a time on the thread pool (Kafka's LogManager.loadLogs), so the disk work of
   * one overlaps another's and the event loop stays free, in the order asked (`onOpened` hears
   * of each as soon as it is open). Resolves with the partitions in that order; rejects with the
   * first failure once the opens in flight have settled.
   */
  async openPartitions(wanted: readonly { topic: string; partition: number; config: EffectiveTopicConfig }[], onOpened: (p: Partition) => void = () => {}): Promise<Partition[]> {
    const out: Partition[] = new Array<Partition>(wanted.length);
    const concurrency = Math.max(1, this.config.values['num.recovery.threads.per.data.dir'] * this.config.logDirs.length);
    let next = 0;
    let failure: unknown = null;
    const worker = async (): Promise<void> => {
      while (failure === null && next < wanted.length) {
        const i = next++;
        const { topic, partition, config } = wanted[i]!;
        try {
          const existing = this.registry.opened(topic, partition);
          if (existing) {
            out[i] = existing;
            continue;
          }
          const place = this.placePartition(tpKey(topic, partition));
          const started = performance.now();
          const log = await openLogAsync(place.dir, config, place.recoveryPoint);
          out[i] = this.adoptLog(topic, partition, config, place, log, started);
          onOpened(out[i]!);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, wanted.length) }, worker));
    if (failure !== null) throw failure;
    return out;
  }

  /** Where a partition's log lives: its existing directory (with its checkpointed offsets) or a new one. */
  private placePartition(key: string): { dir: string; recoveryPoint: number; logStartOffset: number } {
    const dir = this.config.logDirs.map((d) => path.join(d, key)).find((d) => existsSync(d));
    if (dir) {
      return { dir, recoveryPoint: this.recoveryPoints.get(path.dirname(dir))?.get(key) ?? 0, logStartOffset: this.logStartOffsets.get(path.dirname(dir))?.get(key) ?? 0 };
    }
    const created = path.join(this.leastLoadedDir(), key);
    mkdirSync(created, { recursive: true });
    return { dir: created, recoveryPoint: 0, logStartOffset: 0 };
  }

  /** Wraps an opened log in its Partition: log start offset, producer state, what recovery did. */
  private adoptLog(topic: string, partition: number, config: EffectiveTopicConfig, place: { dir: string; recoveryPoint: number; logStartOffset: number }, log: BindingLog, started: number): Partition {
    const { dir, recoveryPoint, logStartOffset } = place;
    // Segments only record their base offsets; a start offset raised inside a segment is restored here.
    if (logStartOffset > log.state().logStartOffset) log.deleteRecordsBefore(Math.min(logStartOffset, log.state().logEndOffset));
    let p: Partition;
    try {
      p = new Partition(topic, partition, dir, log, config, this.config.brokerId);
    } catch (err) {
      log.close();
      throw err;
    }
    this.reportRecovery(topic, partition, log.recovery());
    const restoreStarted = performance.now();
    const restored = p.producerStore.restore(Date.now(), this.config.values['producer.id.expiration.ms']);
    const restoreMs = Math.round(performance.now() - restoreStarted);
    if (restored.error) this.logger.warn({ topic, partition, err: restored.error }, 'producer state not restored: idempotent producers start unknown');
    if (restored.unusableSnapshot) this.logger.warn({ topic, partition, reason: restored.unusableSnapshot }, 'producer state snapshot unusable: rebuilt from the last segments');
    if (restored.batchesRead > 0) this.logger.info({ topic, partition, ...restored, ms: restoreMs }, 'rebuilt producer state from the log');
    const state = p.state();
    if (state.logEndOffset > recoveryPoint && recoveryPoint >= 0) {
      this.logger.info({ topic, partition, recoveryPoint, logEndOffset: state.logEndOffset, ms: Math.round(performance.now() - started) }, 'recovered log');
    }
    this.registry.add(p);
    return p;
  }

  /**
   * Logs each segment recovery cut short, at WARN with Kafka's wording (LogSegment.recover's
   * "Found invalid messages in log segment <file> at byte offset <pos>", LogLoader's
   * "Truncated ... bytes" and the deletion of the segments after it), and counts it for
   * /metrics. Counts of batches and records come from the dropped batches' headers.
   */
  private reportRecovery(topic: string, partition: number, recovery: BindingLogRecovery): void {
    for (const t of recovery.truncations) {
      const dropped = t.truncatedBytes + t.deletedBytes;
      this.recoveryTotals.truncations++;
      this.recoveryTotals.droppedBytes += dropped;
      this.recoveryTotals.droppedRecords += t.droppedRecords;
      const deleted = t.deletedSegments.length > 0 ? `, and deleted ${t.deletedSegments.length} later segment(s) of ${t.deletedBytes} bytes` : '';
      this.logger.warn(
        {
          topic,
          partition,
          segment: t.segment,
          position: t.position,
          offset: t.offset,
          reason: t.reason,
          detail: t.detail,
          truncatedBytes: t.truncatedBytes,
          deletedSegments: t.deletedSegments,
          droppedBytes: dropped,
          droppedBatches: t.droppedBatches,
          droppedRecords: t.droppedRecords,
          droppedLastOffset: t.droppedLastOffset,
          countsComplete: t.countsComplete,
        },
        `Found invalid messages in log segment ${t.segment} at byte offset ${t.position}: ${t.detail}. Truncated ${t.truncatedBytes} bytes from offset ${t.offset}${deleted}; dropped ${t.countsComplete ? '' : 'at least '}${t.droppedBatches} batches, ${t.droppedRecords} records`,
      );
    }
    // A transaction index cut back (a torn tail, or entries for markers the recovered log no
    // longer holds): the replay of the markers in the log writes the entries that belong again.
    for (const r of recovery.txnIndexRepairs) {
      this.logger.warn({ topic, partition, path: r.path, droppedBytes: r.droppedBytes, reason: r.reason }, `Repaired transaction index ${r.path}: ${r.reason}; dropped ${r.droppedBytes} bytes`);
    }
  }

  /** Everything start-up recovery cut off since this process started (read by /metrics). */
  readonly recoveryTotals = { truncations: 0, droppedBytes: 0, droppedRecords: 0 };

  private leastLoadedDir(): string {
    const counts = new Map<string, number>(this.config.logDirs.map((d) => [d, 0]));
    for (const p of this.registry.all()) {
      const d = path.dirname(p.dir);
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    let best = this.config.logDirs[0]!;
    for (const [d, n] of counts) if (n < counts.get(best)!) best = d;
    return best;
  }

  /** Closes and deletes a partition's log: rename first (atomic), then remove the files. */
  deletePartition(topic: string, partition: number): void {
    const key = tpKey(topic, partition);
    const p = this.registry.remove(topic, partition);
    if (!p) return;
    p.close({ writeProducerSnapshot: false });
    const renamed = `${p.dir}.${randomUUID().replaceAll('-', '')}-delete`;
    renameSync(p.dir, renamed);
    rmSync(renamed, { recursive: true, force: true });
    this.recoveryPoints.get(path.dirname(p.dir))?.delete(key);
  }

  /**
   * Deletes the directory of a partition that is not open here (a stray replica: reassigned
   * away while this broker was down), renamed to `-delete` first as deletePartition does.
   */
  deleteStrayPartitionDir(dir: string): void {
    if ([...this.registry.all()].some((p) => p.dir === dir)) throw new Error(`${dir} is an open partition, not a stray one`);
    const renamed = `${dir}.${randomUUID().replaceAll('-', '')}-delete`;
    renameSync(dir, renamed);
    rmSync(renamed, { recursive: true, force: true });
  }

  /**
   * What a crash can leave at a log dir's top: partitions renamed for deletion and not yet
   * removed, and the temporary files of checkpoint writes that never reached their rename
   * (`.tmp`, `.background.tmp`: ../atomic-file.ts). The dir is locked, so nothing of another
   * process's is removed.
   */
  private removeLeftovers(logDir: string): void {
    for (const entry of readdirSync(logDir, { withFileTypes: true })) {
      const leftover = (entry.isDirectory() && entry.name.endsWith('-delete')) || (entry.isFile() && entry.name.endsWith('.tmp'));
      if (leftover) rmSync(path.join(logDir, entry.name), { recursive: true, force: true });
    }
  }

  /**
   * Writes each log dir's recovery-point-offset-checkpoint and log-start-offset-checkpoint
   * from the logs' current state, and each partition's producer state snapshot where it is
   * out of date (so that a start after a crash replays only what came since). The files are
   * written one at a time with the fsync on the thread pool: requests are served meanwhile.
   * Rejects if a checkpoint file could not be written; a snapshot that could not is logged.
   */
  async checkpointRecoveryPoints(): Promise<void> {
    await this.writeProducerSnapshots();
    // After a shutdown began, the logs are closed and its own checkpoints are the last word.
    if (this.stopping) return;
    await this.writeCheckpointsInBackground([...this.registry.all()].map((p) => ({ p, recoveryPoint: p.state().recoveryPoint, logStartOffset: p.logStartOffset })));
  }

  private async writeProducerSnapshots(): Promise<void> {
    for (const p of [...this.registry.all()]) {
      if (this.stopping) return;
      if (p.isClosed) continue;
      try {
        await p.producerStore.writeSnapshotInBackground();
      } catch (err) {
        // A partition closed or deleted meanwhile is no loss.
        if (!p.isClosed) this.logger.warn({ topic: p.topic, partition: p.index, err: (err as Error).message }, 'producer state snapshot not written');
      }
    }
  }

  /** Forgets idempotent producers idle for producer.id.expiration.ms (Kafka's producer.id.expiration.check.interval.ms task). */
  expireProducers(nowMs: number): number {
    let expired = 0;
    for (const p of this.registry.all()) expired += p.producerStore.expire(nowMs, this.config.values['producer.id.expiration.ms']);
    if (expired > 0) this.logger.info({ producers: expired }, 'expired idle producer ids');
    return expired;
  }

  /** The high watermark a partition had at the last checkpoint (undefined: none written). */
  highWatermarkCheckpoint(topic: string, partition: number): number | undefined {
    const key = tpKey(topic, partition);
    for (const m of this.highWatermarks.values()) {
      const hw = m.get(key);
      if (hw !== undefined) return hw;
    }
    return undefined;
  }

  /** Writes each log dir's replication-offset-checkpoint from the partitions' high watermarks (now), with the fsync on the thread pool. */
  async checkpointHighWatermarks(): Promise<void> {
    if (this.stopping) return;
    const writes = this.config.logDirs.map((dir) => this.checkpoints.writeInBackground(path.join(dir, HIGH_WATERMARK_CHECKPOINT), this.highWatermarkEntries(dir)));
    await Promise.all(writes);
  }

  private highWatermarkEntries(dir: string): [string, number, number][] {
    return [...this.registry.all()].filter((p) => path.dirname(p.dir) === dir).map((p) => [p.topic, p.index, p.highWatermark]);
  }

  /** Each log dir's recovery-point and log-start checkpoint files with what they are to hold. */
  private recoveryCheckpointFiles(entries: readonly RecoveryEntry[]): { file: string; entries: [string, number, number][] }[] {
    return this.config.logDirs.flatMap((dir) => {
      const inDir = entries.filter((e) => path.dirname(e.p.dir) === dir);
      return [
        { file: path.join(dir, RECOVERY_CHECKPOINT), entries: recoveryPointEntries(inDir) },
        { file: path.join(dir, LOG_START_CHECKPOINT), entries: logStartEntries(inDir) },
      ];
    });
  }

  private writeCheckpoints(entries: readonly RecoveryEntry[]): void {
    for (const f of this.recoveryCheckpointFiles(entries)) this.checkpoints.write(f.file, f.entries);
  }

  private async writeCheckpointsInBackground(entries: readonly RecoveryEntry[]): Promise<void> {
    for (const f of this.recoveryCheckpointFiles(entries)) {
      if (this.stopping) return;
      await this.checkpoints.writeInBackground(f.file, f.entries);
    }
  }

  /** Starts the background schedules: retention, time-based flush and checkpointing. */
  startup(): void {
    const v = this.config.values;
    const every = (ms: number, fn: () => void | Promise<void>) => {
      if (ms <= 0 || ms >= 2 ** 31) return;
      // A run still going when the next is due (slow disk, many partitions): that tick is skipped.
      let running = false;
      const t = setInterval(() => {
        if (running) return;
        running = true;
        Promise.resolve()
          .then(fn)
          .catch((err: unknown) => this.logger.error({ err }, 'log manager task failed'))
          .finally(() => {
            running = false;
          });
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(v['log.retention.check.interval.ms'], () => {
      this.applyRetention(Date.now());
    });
    every(v['log.flush.offset.checkpoint.interval.ms'], () => this.checkpointRecoveryPoints());
    every(v['replica.high.watermark.checkpoint.interval.ms'], () => this.checkpointHighWatermarks());
    every(v['producer.id.expiration.check.interval.ms'], () => {
      this.expireProducers(Date.now());
    });
    const flushCheckMs = Math.min(v['log.flush.scheduler.interval.ms'], this.config.logFlushIntervalMs, 1000);
    every(flushCheckMs, () => this.flushDue(Date.now()));
    this.cleaner.startup();
  }

  private logCleaner: LogCleaner | null = null;

  /** The log cleaner of cleanup.policy=compact partitions (Kafka's LogCleaner). */
  get cleaner(): LogCleaner {
    const v = this.config.values;
    this.logCleaner ??= new LogCleaner({ logDirs: this.config.logDirs, enabled: v['log.cleaner.enable'], backoffMs: v['log.cleaner.backoff.ms'], dedupeBufferBytes: v['log.cleaner.dedupe.buffer.size'], producerIdExpirationMs: v['producer.id.expiration.ms'] }, () => this.registry.all(), this.logger);
    return this.logCleaner;
  }

  /** Compacts every compacted partition with anything cleanable now, whatever its dirty ratio (tests, admin). */
  cleanNow(nowMs?: number): Promise<CleanSummary[]> {
    return this.cleaner.cleanNow(nowMs);
  }

  private lastFlushMs = new Map<Partition, number>();

  /** Flushes partitions whose flush.ms has elapsed since their last flush. */
  async flushDue(nowMs: number): Promise<void> {
    for (const p of this.registry.all()) {
      if (p.config.flushMs >= Number.MAX_SAFE_INTEGER) continue;
      const last = this.lastFlushMs.get(p) ?? 0;
      if (nowMs - last >= p.config.flushMs && p.state().unflushedMessages > 0) {
        await p.flush();
        this.lastFlushMs.set(p, nowMs);
      }
    }
  }

  applyRetention(nowMs: number): number {
    let deleted = 0;
    for (const p of this.registry.all()) deleted += p.applyRetention(nowMs);
    if (deleted > 0) this.logger.info({ segments: deleted }, 'deleted segments past retention');
    return deleted;
  }

  /**
   * Clean shutdown: close every log (flush, trim indexes), then checkpoint recovery points.
   * Periodic checkpoint writes still running finish first; what follows writes on the
   * calling thread.
   */
  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // Closing a log below also stops its running clean and waits for it (BindingLog.close).
    void this.logCleaner?.shutdown();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await backgroundWritesSettled();
    // close() flushes everything, so each log's recovery point becomes its log end offset; the
    // checkpoint is written only after the flush, so it never claims more than is on disk.
    const entries = [...this.registry.all()].map((p) => ({ p, recoveryPoint: p.logEndOffset, logStartOffset: p.logStartOffset }));
    for (const dir of this.config.logDirs) this.checkpoints.write(path.join(dir, HIGH_WATERMARK_CHECKPOINT), this.highWatermarkEntries(dir));
    for (const p of this.registry.all()) {
      const snapshotError = p.close();
      if (snapshotError) this.logger.warn({ topic: p.topic, partition: p.index, err: snapshotError.message }, 'producer state snapshot not written');
    }
    this.writeCheckpoints(entries);
    this.registry.clear();
    // A periodic write that began before and was overtaken: gone before the caller deletes anything.
    await backgroundWritesSettled();
  }
}
