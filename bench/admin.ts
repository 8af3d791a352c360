// The few admin requests the benchmark makes to either broker, over Tidelog's own client
// (src/client/kafka-connection.ts): create a topic, read end offsets (ListOffsets latest),
// and the start-up probe (the first produce that is acknowledged).
import { KafkaConnection } from '../src/client/kafka-connection.js';
import { ApiKey } from '../src/protocol/generated/index.js';
import { recordBatch } from '../test/helpers/batch.js';

const REQUEST_TIMEOUT_MS = 10_000;
const TOPIC_ALREADY_EXISTS = 36;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: no answer in ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

async function withConnection<T>(ep: Endpoint, fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
  const c = await KafkaConnection.connect(ep.host, ep.port, 'tidelog-bench');
  try {
    return await withTimeout(fn(c), REQUEST_TIMEOUT_MS, `request to ${ep.host}:${ep.port}`, () => c.close());
  } finally {
    c.close();
  }
}

/** CreateTopics v7 (replication factor 1 unless given); an existing topic is fine. */
export async function createTopic(ep: Endpoint, name: string, partitions: number, configs: Record<string, string> = {}, replicationFactor = 1): Promise<void> {
  const response = await withConnection(ep, (c) =>
    c.request(ApiKey.CreateTopics, 7, {
      topics: [{ name, numPartitions: partitions, replicationFactor, configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }],
      timeoutMs: REQUEST_TIMEOUT_MS,
    }),
  );
  const result = response.topics[0];
  if (!result || (result.errorCode !== 0 && result.errorCode !== TOPIC_ALREADY_EXISTS)) {
    throw new Error(`CreateTopics ${name}: error code ${result?.errorCode} ${result?.errorMessage ?? ''}`);
  }
}

/** One broker, or every broker of a cluster (then each partition is answered by its leader). */
export type Endpoints = Endpoint | readonly Endpoint[];

function listOf(eps: Endpoints): readonly Endpoint[] {
  return Array.isArray(eps) ? eps : [eps as Endpoint];
}

/**
 * ListOffsets v7 (timestamp -1 = latest) of every partition of `topic`, asked of each broker:
 * per partition the error code and offset of the broker that answered it without error (its
 * leader), or the first broker's error when none did.
 */
async function latestOffsets(eps: Endpoints, topic: string, partitions: number): Promise<{ errorCode: number; offset: number }[]> {
  const result = Array.from({ length: partitions }, () => ({ errorCode: -2, offset: -1 }));
  for (const ep of listOf(eps)) {
    const response = await withConnection(ep, (c) =>
      c.request(ApiKey.ListOffsets, 7, {
        replicaId: -1,
        topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, timestamp: -1 })) }],
      }),
    );
    for (const p of response.topics[0]?.partitions ?? []) {
      const r = result[p.partitionIndex];
      if (r && (r.errorCode === -2 || (r.errorCode !== 0 && p.errorCode === 0))) result[p.partitionIndex] = { errorCode: p.errorCode, offset: p.offset };
    }
    if (result.every((r) => r.errorCode === 0)) break;
  }
  return result;
}

/** The sum over partitions of the log end offsets (ListOffsets v7, timestamp -1 = latest), each from its leader. */
export async function endOffsetSum(eps: Endpoints, topic: string, partitions: number): Promise<number> {
  let sum = 0;
  for (const [i, p] of (await latestOffsets(eps, topic, partitions)).entries()) {
    if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${i}: error code ${p.errorCode}`);
    sum += p.offset;
  }
  return sum;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION. */
const NO_LEADER_YET = new Set([6, 5, 3]);

/**
 * Waits until every partition of `topic` answers ListOffsets: Kafka's CreateTopics returns
 * before its broker knows the new partitions' leaders, and answers NOT_LEADER_OR_FOLLOWER
 * meanwhile (Tidelog's are ready when CreateTopics returns).
 */
export async function awaitLeaders(eps: Endpoints, topic: string, partitions: number, timeoutMs = REQUEST_TIMEOUT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const codes = (await latestOffsets(eps, topic, partitions)).map((p) => p.errorCode);
    if (codes.length === partitions && codes.every((c) => c === 0)) return;
    const unexpected = codes.find((c) => c !== 0 && c !== -2 && !NO_LEADER_YET.has(c));
    if (unexpected !== undefined) throw new Error(`ListOffsets ${topic}: error code ${unexpected}`);
    if (performance.now() > deadline) throw new Error(`${topic}: no leader for every partition after ${timeoutMs} ms (error codes ${codes.join(', ')})`);
    await sleep(20);
  }
}

/**
 * Polls until the broker acknowledges a produce (acks=1) to a new one-partition topic:
 * connect, CreateTopics, Produce, each retried every `pollMs` until `deadlineMs`. Resolves
 * with the time it succeeded (performance.now()).
 */
export async function firstProduce(ep: Endpoint, topic: string, deadlineMs: number, pollMs = 10): Promise<number> {
  let lastError = 'not tried';
  let created = false;
  while (performance.now() < deadlineMs) {
    try {
      if (!created) {
        await createTopic(ep, topic, 1);
        created = true;
      }
      const response = await withConnection(ep, (c) =>
        c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: REQUEST_TIMEOUT_MS, topicData: [{ name: topic, partitionData: [{ index: 0, records: recordBatch([{ value: 'first' }]) }] }] }),
      );
      const code = response.responses[0]?.partitionResponses[0]?.errorCode;
      if (code === 0) return performance.now();
      lastError = `Produce error code ${code}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(pollMs);
  }
  throw new Error(`no produce acknowledged before the deadline; last: ${lastError}`);
}

/** Polls until the broker answers Metadata (a cluster member before its cluster is whole); resolves with performance.now(). */
export async function answersRequests(ep: Endpoint, deadlineMs: number, pollMs = 50): Promise<number> {
  let lastError = 'not tried';
  while (performance.now() < deadlineMs) {
    try {
      await withConnection(ep, (c) => c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
      return performance.now();
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(pollMs);
  }
  throw new Error(`no Metadata answer before the deadline; last: ${lastError}`);
}

/** Polls until Metadata from `ep` lists `brokers` brokers. */
export async function awaitBrokers(ep: Endpoint, brokers: number, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let seen = 0;
  while (performance.now() < deadline) {
    try {
      const r = await withConnection(ep, (c) => c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
      seen = r.brokers.length;
      if (seen >= brokers) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`${ep.host}:${ep.port} lists ${seen} brokers after ${timeoutMs} ms, not ${brokers}`);
}
