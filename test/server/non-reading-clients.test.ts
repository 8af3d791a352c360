// Clients that pipeline requests and never read the responses, against a real broker process:
// the broker stops reading from each of them (the channel is muted once its unsent responses
// pass a small bound, or queued.max.requests are in flight), so its resident memory stays under
// a stated bound (read from /proc/<pid>/status), a well-behaved client on another connection
// is answered throughout, and /metrics counts the mutes. After the non-readers disconnect,
// everything they held is given back.
//
// The bound on the broker's resident memory, above its resident memory once warm:
//   queued.max.request.bytes (request frames read and not yet answered, all connections)
//   + N x (PENDING_RESPONSE_MAX_BYTES: unsent responses one connection may hold before it is muted
//          + READ_BUFFER_BYTES: bytes read just before the mute, held until it ends
//          + queued.max.requests x one response: answers queued behind the unsent bytes)
//   + FIXED_OVERHEAD_BYTES (128 MiB): garbage not collected yet. V8 collects external memory
//     (Buffers: requests, responses) only after ~64 MiB of it has grown, and its heap grows
//     under the load of the requests answered meanwhile; how far depends on when its
//     collections happen to fall. Measured over 30 runs with 20 non-readers: heap total
//     76-99 MiB at the end, external 32-43 MiB, peak RSS 97-144 MiB over the warm broker's
//     (71 MiB), i.e. 61-108 MiB beyond the terms above; 96 MiB here failed one run
//     in three. With large requests the frame pool would add up to its 32 MiB of idle
//     buffers; Metadata requests are below its smallest class.
// Before the fix (64 MiB of unsent responses per connection) this attack grew the broker from
// 100 MiB to 707 MiB (the bound here is ~235 MiB).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey, loadAllApiCodecs } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRequest } from '../../src/protocol/framing.js';
import { PENDING_RESPONSE_MAX_BYTES } from '../../src/broker/broker.js';
import { READ_BUFFER_BYTES } from '../../src/server/socket-server.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { connectRaw, percentile, residentBytes, scrapeMetric, type RawClient } from '../helpers/limits.js';

// The framing functions used here are synchronous: every API's codecs first.
await loadAllApiCodecs();

const MiB = 1024 * 1024;
const NON_READERS = 20;
/** Requests each non-reader writes at most: ~10x that in responses, far more than kernel buffers take. */
const OFFERED_BYTES_PER_CLIENT = 2 * MiB;
const QUEUED_MAX_REQUEST_BYTES = 8 * MiB;
const QUEUED_MAX_REQUESTS = 500;
const FIXED_OVERHEAD_BYTES = 128 * MiB;
const TOPIC = 'limits-non-readers';

describe('clients that never read their responses', { timeout: 180_000 }, () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBrokerProcess({
      overrides: { 'socket.request.max.bytes': MiB, 'queued.max.request.bytes': QUEUED_MAX_REQUEST_BYTES, 'queued.max.requests': QUEUED_MAX_REQUESTS },
    });
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    const created = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 8, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    c.close();
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('cannot push the broker past its memory bound, and a well-behaved client is answered throughout', async (t) => {
    const pid = broker.child.pid!;
    const good = await KafkaConnection.connect('127.0.0.1', broker.port, 'well-behaved');
    const latenciesMs: number[] = [];
    const roundTrip = async (): Promise<void> => {
      const started = performance.now();
      const versions = await good.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
      const metadata = await good.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      latenciesMs.push(performance.now() - started);
      assert.equal(versions.errorCode, ErrorCode.NONE);
      assert.ok(metadata.topics.some((topic) => topic.name === TOPIC));
    };
    // Warm up (JIT, pools), then take the baseline.
    for (let i = 0; i < 300; i++) await roundTrip();
    latenciesMs.length = 0;
    const baselineBytes = residentBytes(pid);

    // What one non-reader writes: Metadata requests for every topic, back to back.
    const frame = Buffer.from(encodeRequest(ApiKey.Metadata, 12, 1, 'non-reader', { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
    const attack = Buffer.concat(Array.from({ length: Math.floor(OFFERED_BYTES_PER_CLIENT / frame.length) }, () => frame));
    const responseBytes = await metadataResponseBytes(broker.port, frame);
    const boundBytes = baselineBytes + QUEUED_MAX_REQUEST_BYTES + NON_READERS * (PENDING_RESPONSE_MAX_BYTES + READ_BUFFER_BYTES + QUEUED_MAX_REQUESTS * responseBytes) + FIXED_OVERHEAD_BYTES;

    const mutedBefore = await scrapeMetric(broker.adminUrl!, 'tidelog_connection_mutes_total', { limit: 'response.pending' });
    const nonReaders: RawClient[] = [];
    for (let i = 0; i < NON_READERS; i++) {
      const client = await connectRaw(broker.port, { read: false });
      nonReaders.push(client);
      client.socket.write(attack);
    }
    // The well-behaved client keeps asking while the broker takes in the attack, until every
    // non-reader is muted (or, without the bound, the broker has grown past it).
    let peakSampleBytes = 0;
    while ((await scrapeMetric(broker.adminUrl!, 'tidelog_connections_muted')) < NON_READERS && peakSampleBytes <= boundBytes) {
      await roundTrip();
      peakSampleBytes = Math.max(peakSampleBytes, residentBytes(pid));
    }
    // And some more while the muted non-readers still hold what they hold.
    for (let i = 0; i < 200; i++) {
      await roundTrip();
      peakSampleBytes = Math.max(peakSampleBytes, residentBytes(pid));
    }
    const peakBytes = residentBytes(pid, 'VmHWM');
    const mutes = {
      responsePending: (await scrapeMetric(broker.adminUrl!, 'tidelog_connection_mutes_total', { limit: 'response.pending' })) - mutedBefore,
      queuedMaxRequests: await scrapeMetric(broker.adminUrl!, 'tidelog_connection_mutes_total', { limit: 'queued.max.requests' }),
    };
    const report = {
      mutes,
      heapMiB: +((await scrapeMetric(broker.adminUrl!, 'nodejs_heap_size_total_bytes')) / MiB).toFixed(1),
      externalMiB: +((await scrapeMetric(broker.adminUrl!, 'nodejs_external_memory_bytes')) / MiB).toFixed(1),
      nonReaders: NON_READERS,
      offeredBytesPerClient: OFFERED_BYTES_PER_CLIENT,
      metadataResponseBytes: responseBytes,
      baselineRssMiB: +(baselineBytes / MiB).toFixed(1),
      peakRssMiB: +(peakBytes / MiB).toFixed(1),
      peakSampledRssMiB: +(peakSampleBytes / MiB).toFixed(1),
      boundMiB: +(boundBytes / MiB).toFixed(1),
      wellBehavedRoundTrips: latenciesMs.length,
      wellBehavedP50Ms: +percentile(latenciesMs, 50).toFixed(2),
      wellBehavedP99Ms: +percentile(latenciesMs, 99).toFixed(2),
      wellBehavedMaxMs: +percentile(latenciesMs, 100).toFixed(2),
    };
    t.diagnostic(JSON.stringify(report));
    console.log('non-reading clients:', JSON.stringify(report));
    assert.ok(peakBytes <= boundBytes, `broker RSS peaked at ${report.peakRssMiB} MiB, over the bound of ${report.boundMiB} MiB`);
    assert.ok(latenciesMs.length >= 200, 'the well-behaved client was answered during the attack');
    // Each non-reader was stopped at least once for its unsent responses.
    assert.ok(mutes.responsePending >= NON_READERS, JSON.stringify(mutes));

    // The non-readers go away: their connections and everything they held are released, and
    // the broker answers at once (before the fix it kept encoding their backlog).
    for (const client of nonReaders) client.socket.destroy();
    while ((await scrapeMetric(broker.adminUrl!, 'tidelog_connections')) > 1) await new Promise((r) => setTimeout(r, 50));
    await roundTrip();
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_memory_pool_used_bytes'), 0);
    good.close();
  });
});

/** The size of the broker's answer to `frame` (a Metadata request), read on a connection of its own. */
async function metadataResponseBytes(port: number, frame: Buffer): Promise<number> {
  const client = await connectRaw(port, { read: true });
  const size = new Promise<number>((resolve) => {
    let got = Buffer.alloc(0);
    client.socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) resolve(4 + got.readInt32BE(0));
    });
  });
  client.socket.write(frame);
  const bytes = await size;
  client.socket.destroy();
  return bytes;
}
