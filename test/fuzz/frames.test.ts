// Fuzzing the broker with mutated request frames of every API and version it advertises
// (TigerBeetle's seeded fuzzers; franz-go's kfake serves every key the same way). For each
// API class: first every version's valid frame must be answered with a response the
// generated decoder reads; then ITERATIONS mutated frames (mutate.ts: half of them request
// objects with edge values in some fields, encoded, and for Produce record batches changed
// behind a right CRC; the others byte mutations: bit flips,
// truncation, length and count lies, inserted and deleted bytes, wrong versions, lying sizes),
// each on its own connection, must be answered (again decodably) or get their connection
// closed, and closed only when the generated decoder cannot read them. After every batch the broker's log must hold no line at level >= 50 (error, fatal)
// and nothing outside pino's JSON (a crash trace); after every class the process must be
// alive and a real client must still create a topic, produce and fetch. At the end kcat, a
// third-party client, lists the cluster, and the broker must stop cleanly.
//
// Fixed seed and bounded count for `npm test`; TIDELOG_FUZZ_SEED picks another seed and
// TIDELOG_FUZZ_ITERATIONS another count per API (e.g. 5000 for a long run), TIDELOG_FUZZ_APIS
// a few APIs by name. A failure names the seed, API, version, iteration, mutation and the
// frame's bytes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { supportedApiVersions } from '../../src/broker/handlers/index.js';
import { decodeRequestHeader, decodeResponse } from '../../src/protocol/framing.js';
import { Reader } from '../../src/protocol/primitives/index.js';
import { ApiKey, getApi, loadAllApiCodecs, loadedApiCodec } from '../../src/protocol/generated/index.js';
import { ErrorCode, errorName } from '../../src/protocol/errors.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';
import { makeContext, type FuzzContext } from './context.js';
import { mutate, mutateBatch, mutateFields, type Mutated } from './mutate.js';
import { deriveSeed, Prng } from './prng.js';
import { encodeFrame, FUZZ_PARTITIONS, FUZZ_TOPIC, sampleRequest, validFrame } from './requests.js';
import { exchange, type Exchange } from './wire.js';

await loadAllApiCodecs();

const SEED = Number(process.env.TIDELOG_FUZZ_SEED ?? 20261203);
const ITERATIONS = Number(process.env.TIDELOG_FUZZ_ITERATIONS ?? 100);
/** Only these APIs (comma-separated names, e.g. "CreateTopics,Fetch"), to replay a failure; all when unset. */
const ONLY_APIS = process.env.TIDELOG_FUZZ_APIS ? new Set(process.env.TIDELOG_FUZZ_APIS.split(',').map((s) => s.trim())) : null;
/** Frames in flight at once; a log line is attributed to the batch it appeared in. */
const CONCURRENCY = 8;
/**
 * How long a frame may hold its connection before the fuzzer moves on (a parked request is
 * allowed: a long-poll fetch, a join waiting for its group). A bound on waiting, not a check.
 */
const PARK_WAIT_MS = 2000;
/** Bytes of a frame shown in a failure report. */
const REPORT_BYTES = 256;

interface Sent {
  readonly apiKey: number;
  readonly version: number;
  readonly iteration: number;
  readonly mutation: Mutated | null;
  readonly frame: Buffer;
}

function describeSent(s: Sent): string {
  const what = s.mutation ? `${s.mutation.kind}: ${s.mutation.detail}` : 'unmutated';
  const hex = s.frame.subarray(0, REPORT_BYTES).toString('hex') + (s.frame.length > REPORT_BYTES ? '...' : '');
  return `seed ${SEED} ${getApi(s.apiKey)?.name} v${s.version} iteration ${s.iteration} (${what}), ${s.frame.length} bytes: ${hex}`;
}

/** The version the broker answers a frame in: the header's, or v0 for an ApiVersions it does not serve (KIP-511). */
function answeredVersion(frame: Buffer, served: { minVersion: number; maxVersion: number }): { apiKey: number; version: number } | null {
  if (frame.length < 8) return null;
  const apiKey = frame.readInt16BE(4);
  const version = frame.readInt16BE(6);
  const api = getApi(apiKey);
  if (apiKey === ApiKey.ApiVersions && (version < served.minVersion || version > served.maxVersion)) return { apiKey, version: 0 };
  if (!api || version < api.minVersion || version > api.maxVersion) return null;
  return { apiKey, version };
}

/**
 * Whether the broker's router can read the frame: a header of a known API in a version Kafka
 * defines, and a body the generated decoder reads (bytes after it are ignored, as the router
 * and Kafka do). Such a frame must be answered, never closed.
 */
function readable(s: Sent): boolean {
  if (s.mutation?.kind === 'size-lie') return false;
  try {
    const frame = s.frame.subarray(4);
    const header = decodeRequestHeader(frame);
    if (!header.api || !header.versionSupported) return false;
    loadedApiCodec(header.apiKey)!.decodeRequest(new Reader(frame, header.bodyOffset), header.apiVersion);
    return true;
  } catch {
    return false;
  }
}

/** Problems with one exchange: a readable frame closed, a response the generated decoder cannot read. */
function checkResponses(s: Sent, ex: Exchange, served: { minVersion: number; maxVersion: number }): string[] {
  if (ex.outcome === 'closed' && readable(s)) return [`closed the connection of a frame the generated decoder reads: ${describeSent(s)}`];
  if (ex.responses.length === 0) return [];
  const as = answeredVersion(s.frame, served);
  if (!as) return [`answered a frame it should have closed: ${describeSent(s)}`];
  const problems: string[] = [];
  for (const r of ex.responses) {
    try {
      decodeResponse(as.apiKey as ApiKey, as.version, r);
    } catch (err) {
      problems.push(`response v${as.version} does not decode (${(err as Error).message}): ${describeSent(s)}`);
    }
  }
  return problems;
}

/** A request with edge values in some fields, encoded; null when five tries give nothing the version can carry. */
/** A Produce request whose record batch is mutated behind a right CRC (mutateBatch). */
function batchMutation(rng: Prng, version: number, i: number, ctx: FuzzContext): Mutated {
  const request = sampleRequest(ApiKey.Produce, version, i, ctx) as { topicData: { partitionData: { records: Buffer }[] }[] };
  const target = request.topicData[0]!.partitionData[0]!;
  const { batch, detail } = mutateBatch(rng, target.records);
  target.records = batch;
  return { kind: 'batch', detail, frame: encodeFrame(ApiKey.Produce, version, request, i + 1) };
}

function fieldMutation(rng: Prng, apiKey: ApiKey, version: number, i: number, ctx: FuzzContext): Mutated | null {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { request, detail } = mutateFields(rng, sampleRequest(apiKey, version, i, ctx));
    try {
      return { kind: 'fields', detail, frame: encodeFrame(apiKey, version, request, i + 1) };
    } catch {
      // a value this version's encoder refuses (a null where none is allowed, an int16 overflow): draw again
    }
  }
  return null;
}

describe('fuzzing request frames of every advertised API', { timeout: 600_000 }, () => {
  let broker: BrokerProcess;
  let logged = 0;
  const counts = { answered: 0, closed: 0, parked: 0 };

  /** Log lines since the last call that a healthy broker never writes. */
  function badLogLines(): string[] {
    const lines = broker.logLines.slice(logged);
    logged += lines.length;
    return lines.filter((l) => {
      try {
        return (JSON.parse(l) as { level?: number }).level! >= 50;
      } catch {
        return true; // not pino's JSON: a crash trace or a warning printed by Node
      }
    });
  }

  async function send(sent: Sent): Promise<Exchange> {
    const ex = await exchange(broker.port, sent.frame, { probe: sent.mutation?.kind !== 'size-lie', waitMs: PARK_WAIT_MS });
    counts[ex.outcome]++;
    return ex;
  }

  /** Stdout lines written while the last exchanges ran are read before the log is checked. */
  async function settleLog(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }

  /** A real client (our own, on the generated codecs) creates a topic, produces and fetches. */
  async function roundTrip(label: string): Promise<void> {
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap, clientId: 'fuzz-roundtrip', requestTimeoutMs: 10_000 });
    try {
      const topic = `fuzz-roundtrip-${label}`;
      const created = await client.createTopic(topic, { partitions: 1, replicationFactor: 1 });
      assert.equal(errorName(created.errorCode), 'NONE', `create ${topic}: ${created.errorMessage}`);
      const value = `after ${label}`;
      const produced = await client.produce(topic, 0, recordBatch([{ value }]), { acks: -1, timeoutMs: 10_000 });
      assert.equal(errorName(produced.errorCode), 'NONE', `produce to ${topic}`);
      const [fetched] = await client.fetch([{ topic, partition: 0, offset: produced.baseOffset }], { maxWaitMs: 0 });
      assert.equal(errorName(fetched!.errorCode), 'NONE', `fetch from ${topic}`);
      assert.ok(fetched!.records?.includes(Buffer.from(value)), `the record produced to ${topic} is fetched back`);
    } finally {
      client.close();
    }
  }

  /**
   * Deletes the topics mutated CreateTopics and Metadata requests created, so that long runs
   * do not pile up partitions (three file descriptors each) until the process has none left.
   */
  async function deleteCreatedTopics(): Promise<void> {
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap, clientId: 'fuzz-cleanup', requestTimeoutMs: 30_000 });
    try {
      const meta = await client.metadata(null);
      for (const t of meta.topics) {
        if (t.name === FUZZ_TOPIC || t.name.startsWith('__') || t.name.startsWith('fuzz-roundtrip-')) continue;
        await client.deleteTopic(t.name);
      }
    } finally {
      client.close();
    }
  }

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': true, 'admin.listener': '' } });
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap, clientId: 'fuzz-setup' });
    try {
      assert.equal((await client.createTopic(FUZZ_TOPIC, { partitions: FUZZ_PARTITIONS, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
    } finally {
      client.close();
    }
    await roundTrip('start');
  });

  after(async () => {
    if (!broker) return;
    process.stdout.write(`# fuzz seed ${SEED}, ${ITERATIONS} mutated frames per API: ${counts.answered} answered, ${counts.closed} closed, ${counts.parked} parked\n`);
    await broker.stop(); // already stopped by the last test unless it did not run
    removeDir(broker.dataDir);
  });

  for (const served of supportedApiVersions()) {
    const name = getApi(served.apiKey)!.name;
    if (ONLY_APIS && !ONLY_APIS.has(name)) continue;
    it(`${name} v${served.minVersion}-${served.maxVersion}: valid frames are answered, mutated ones answered or closed, the broker keeps serving`, async () => {
      const failures: string[] = [];
      const rng = new Prng(deriveSeed(SEED, name));
      const ctx = await makeContext(broker.port, `fuzz-stable-${name}`);
      badLogLines();

      // Every version's valid frame is answered, and the answer decodes.
      for (let v = served.minVersion; v <= served.maxVersion; v++) {
        // Iterations of their own (group names differ): a join must not wait for the last version's member.
        const iteration = 1000 + v;
        const sent: Sent = { apiKey: served.apiKey, version: v, iteration, mutation: null, frame: validFrame(served.apiKey as ApiKey, v, iteration, v + 1, ctx) };
        const ex = await send(sent);
        if (ex.outcome !== 'answered' || ex.responses.length !== 1) failures.push(`valid frame ${ex.outcome} with ${ex.responses.length} responses: ${describeSent(sent)}`);
        failures.push(...checkResponses(sent, ex, served));
      }
      await settleLog();
      for (const line of badLogLines()) failures.push(`log line while sending valid frames: ${line}`);

      // Mutated frames, CONCURRENCY at a time, the log checked after each batch.
      for (let first = 0; first < ITERATIONS; first += CONCURRENCY) {
        const batch: Sent[] = [];
        for (let i = first; i < Math.min(ITERATIONS, first + CONCURRENCY); i++) {
          const version = rng.between(served.minVersion, served.maxVersion);
          const mutation =
            (served.apiKey === ApiKey.Produce && rng.below(2) === 0 ? batchMutation(rng, version, i, ctx) : null) ??
            (rng.below(2) === 0 ? fieldMutation(rng, served.apiKey as ApiKey, version, i, ctx) : null) ??
            mutate(rng, validFrame(served.apiKey as ApiKey, version, i, i + 1, ctx), { min: served.minVersion, max: served.maxVersion });
          batch.push({ apiKey: served.apiKey, version, iteration: i, mutation, frame: mutation.frame });
        }
        const exchanges = await Promise.all(batch.map((s) => send(s)));
        batch.forEach((s, k) => failures.push(...checkResponses(s, exchanges[k]!, served)));
        await settleLog();
        const lines = badLogLines();
        if (lines.length > 0) failures.push(`log lines at level >= 50 while these frames were in flight:\n  ${lines.join('\n  ')}\n  frames:\n  ${batch.map(describeSent).join('\n  ')}`);
        if (broker.child.exitCode !== null || broker.child.signalCode !== null) break;
        if (served.apiKey === ApiKey.CreateTopics || served.apiKey === ApiKey.Metadata) await deleteCreatedTopics();
      }

      assert.equal(broker.child.exitCode, null, `the broker exited:\n${broker.logLines.slice(-20).join('\n')}`);
      assert.equal(broker.child.signalCode, null, 'the broker was killed');
      await roundTrip(name);
      await settleLog();
      for (const line of badLogLines()) failures.push(`log line during the round trip after ${name}: ${line}`);
      assert.deepEqual(failures, [], `${failures.length} failures`);
    });
  }

  it('a third-party client (kcat) still reads the cluster and the fuzz topic', async () => {
    const r = await kcat(['-b', broker.bootstrap, '-L', '-t', FUZZ_TOPIC, '-J']);
    assert.equal(r.code, 0, r.stderr);
    const meta = JSON.parse(r.stdout) as { topics: { topic: string; partitions: unknown[] }[] };
    assert.equal(meta.topics[0]!.topic, FUZZ_TOPIC);
    assert.equal(meta.topics[0]!.partitions.length >= FUZZ_PARTITIONS, true);
  });

  it('shuts down cleanly after all of it: exit code 0, no error-level line (the producer state snapshots are written at close)', async () => {
    const code = await broker.stop();
    await settleLog();
    assert.deepEqual(badLogLines(), []);
    assert.equal(code, 0);
  });
});
