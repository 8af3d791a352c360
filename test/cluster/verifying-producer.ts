// A producer for the failover tests that knows exactly what the cluster acknowledged.
//
// One loop per partition, one batch in flight per partition: each record's value is the
// partition's next sequence number (decimal text); a batch is sent with Produce v9 acks=-1
// to the partition's leader from Metadata, on its own connection. On a retriable error code
// (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS(_AFTER_APPEND), REQUEST_TIMED_OUT,
// LEADER_NOT_AVAILABLE, ...), a connection error or no answer in time, it refreshes the
// metadata from any live broker and sends the same records again after a short backoff; the
// records of such a batch are marked "retried" (their first attempt was not acknowledged, so
// they may be in the log more than once). Each acknowledged record is kept as (partition,
// offset = baseOffset + index, value), with the time of the answer and the broker that gave it.
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { encodeRecordBatch } from '../../src/client/record-batch.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode, errorName, isRetriable } from '../../src/protocol/errors.js';
import { metadataFrom, withTimeout } from './three-brokers.js';

const PRODUCE_VERSION = 9;
const CONNECT_TIMEOUT_MS = 2_000;
/** The client waits this much longer than the Produce timeoutMs before giving up on an answer. */
const ANSWER_GRACE_MS = 5_000;

export interface VerifyingProducerOptions {
  readonly topic: string;
  readonly partitions: number;
  /** Ports of brokers to ask for metadata (a dead one is skipped). */
  readonly bootstrapPorts: () => number[];
  readonly recordsPerBatch?: number;
  /** Produce timeoutMs (how long the leader may wait for the ISR). */
  readonly produceTimeoutMs?: number;
  readonly retryBackoffMs?: number;
  /** Pause between acknowledged batches of a partition (the machine is shared). */
  readonly pauseMs?: number;
  /** -1 (the default and the point of these tests); other values only to try the harness out. */
  readonly acks?: number;
}

export interface AckedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: number;
  /** Date.now() when the acknowledgement arrived. */
  readonly ackedAtMs: number;
  /** The broker that acknowledged it. */
  readonly leader: number;
}

export interface ProduceFailure {
  readonly atMs: number;
  readonly partition: number;
  readonly leader: number;
  /** An error code's name, or a connection error's message. */
  readonly what: string;
}

export class PartitionProducer {
  /** The next sequence number (value) to send; values 0 .. nextValue-1 were sent at least once. */
  nextValue = 0;
  readonly acked: AckedRecord[] = [];
  /** Values whose first attempt was not acknowledged (sent again, or never resolved). */
  readonly retried = new Set<number>();
  /** Values of the batch that was still unacknowledged when the producer stopped. */
  readonly unresolved = new Set<number>();
  batchesSent = 0;
  conn: KafkaConnection | null = null;
  connLeader = -1;

  constructor(readonly partition: number) {}
}

export class VerifyingProducer {
  readonly partitions: PartitionProducer[];
  readonly failures: ProduceFailure[] = [];
  /** Error codes Kafka clients do not retry (a broker bug in these tests); retried anyway, reported. */
  readonly nonRetriable: ProduceFailure[] = [];
  private readonly leaders = new Map<number, number>();
  private readonly brokerPorts = new Map<number, number>();
  private refreshing: Promise<void> | null = null;
  private stopping = false;
  private stopDeadlineMs = Infinity;
  private loops: Promise<void>[] = [];
  private readonly recordsPerBatch: number;
  private readonly produceTimeoutMs: number;
  private readonly retryBackoffMs: number;
  private readonly pauseMs: number;

  constructor(private readonly options: VerifyingProducerOptions) {
    this.partitions = Array.from({ length: options.partitions }, (_, p) => new PartitionProducer(p));
    this.recordsPerBatch = options.recordsPerBatch ?? 5;
    this.produceTimeoutMs = options.produceTimeoutMs ?? 10_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.pauseMs = options.pauseMs ?? 2;
  }

  /** Reads the leaders, then starts one loop per partition. */
  async start(): Promise<void> {
    await this.refreshMetadata();
    this.loops = this.partitions.map((p) => this.run(p));
  }

  /**
   * Stops starting new batches; the batch in flight of each partition keeps being retried
   * until acknowledged or until `graceMs` has passed (then its values stay unresolved).
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    this.stopDeadlineMs = Date.now() + graceMs;
    await Promise.all(this.loops);
    for (const p of this.partitions) p.conn?.close();
  }

  get ackedCount(): number {
    return this.partitions.reduce((n, p) => n + p.acked.length, 0);
  }

  /** Acknowledged records of `partition` (all when undefined) acknowledged at or after `sinceMs`. */
  ackedSince(sinceMs: number, partition?: number): AckedRecord[] {
    return this.partitions.filter((p) => partition === undefined || p.partition === partition).flatMap((p) => p.acked.filter((a) => a.ackedAtMs >= sinceMs));
  }

  /** Failure counts by what failed, e.g. { NOT_LEADER_OR_FOLLOWER: 3, 'connect ECONNREFUSED ...': 2 }. */
  failureCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of this.failures) out[f.what] = (out[f.what] ?? 0) + 1;
    return out;
  }

  /** Waits until every partition has an acknowledgement at or after `sinceMs` (bounded). */
  async waitForAcksSince(sinceMs: number, partitions: readonly number[], timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!partitions.every((p) => this.partitions[p]!.acked.some((a) => a.ackedAtMs >= sinceMs))) {
      if (Date.now() > deadline) {
        const recent = this.failures.filter((f) => f.atMs >= sinceMs).slice(-5).map((f) => `p${f.partition}@${f.leader}: ${f.what}`);
        throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what} (last failures: ${recent.join('; ') || 'none'})`);
      }
      await sleep(50);
    }
  }

  private async run(p: PartitionProducer): Promise<void> {
    while (!this.stopping) {
      const first = p.nextValue;
      const values = Array.from({ length: this.recordsPerBatch }, (_, i) => first + i);
      p.nextValue += values.length;
      const batch = encodeRecordBatch(values.map((v) => ({ value: Buffer.from(String(v)) })));
      let acked = false;
      for (let attempt = 0; !acked; attempt++) {
        if (attempt > 0) {
          for (const v of values) p.retried.add(v);
          if (this.stopping && Date.now() > this.stopDeadlineMs) break;
          await sleep(this.retryBackoffMs);
          await this.refreshMetadata();
        }
        acked = await this.attempt(p, values, batch);
      }
      if (!acked) for (const v of values) p.unresolved.add(v);
      else if (this.pauseMs > 0) await sleep(this.pauseMs);
    }
  }

  /** One Produce of the batch; true when acknowledged (and recorded). */
  private async attempt(p: PartitionProducer, values: number[], batch: Buffer): Promise<boolean> {
    const leader = this.leaders.get(p.partition) ?? -1;
    const fail = (what: string) => {
      const f = { atMs: Date.now(), partition: p.partition, leader, what };
      this.failures.push(f);
      return f;
    };
    if (leader < 0) {
      fail('no leader in metadata');
      return false;
    }
    const port = this.brokerPorts.get(leader);
    if (port === undefined) {
      fail(`leader ${leader} not among the brokers in metadata`);
      return false;
    }
    try {
      if (p.conn === null || p.conn.closed || p.connLeader !== leader) {
        p.conn?.close();
        p.conn = null;
        p.conn = await KafkaConnection.connect('127.0.0.1', port, 'verifying-producer', CONNECT_TIMEOUT_MS);
        p.connLeader = leader;
      }
      const conn = p.conn;
      p.batchesSent++;
      const r = await withTimeout(
        conn.request(ApiKey.Produce, PRODUCE_VERSION, { transactionalId: null, acks: this.options.acks ?? -1, timeoutMs: this.produceTimeoutMs, topicData: [{ name: this.options.topic, partitionData: [{ index: p.partition, records: batch }] }] }),
        this.produceTimeoutMs + ANSWER_GRACE_MS,
        `Produce to broker ${leader}`,
        () => conn.close(),
      );
      const part = r.responses[0]?.partitionResponses[0];
      if (!part) {
        fail('Produce answer without the partition');
        return false;
      }
      if (part.errorCode !== ErrorCode.NONE) {
        const f = fail(errorName(part.errorCode));
        if (!isRetriable(part.errorCode)) this.nonRetriable.push({ ...f, what: `${f.what}: ${part.errorMessage ?? ''}` });
        return false;
      }
      const ackedAtMs = Date.now();
      values.forEach((value, i) => p.acked.push({ partition: p.partition, offset: part.baseOffset + i, value, ackedAtMs, leader }));
      return true;
    } catch (err) {
      p.conn?.close();
      p.conn = null;
      fail((err as Error).message);
      return false;
    }
  }

  /** Reads leaders from the first broker that answers; concurrent callers share one refresh. */
  async refreshMetadata(): Promise<void> {
    this.refreshing ??= (async () => {
      for (const port of this.options.bootstrapPorts()) {
        try {
          const view = await metadataFrom(port, this.options.topic);
          for (const [id, b] of view.brokers) this.brokerPorts.set(id, b.port);
          for (const part of view.partitions) this.leaders.set(part.partition, part.errorCode === ErrorCode.NONE ? part.leader : -1);
          return;
        } catch {
          // a dead or stuck broker: ask the next one
        }
      }
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
