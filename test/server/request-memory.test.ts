// queued.max.request.bytes against a real broker process: request frames are charged to the
// broker-wide budget from their first byte until answered; a frame that does not fit waits
// (its connection is muted, counted in /metrics) until memory is given back, and then is read
// and answered. Clients that start large requests and never finish them (each holds its
// frame's whole size, as in Kafka) fill the budget; when they leave, the rest is served.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { connectRaw, scrapeMetric, type RawClient } from '../helpers/limits.js';

const MiB = 1024 * 1024;
const REQUEST_MAX_BYTES = MiB;
const QUEUED_MAX_REQUEST_BYTES = 4 * MiB;

describe('queued.max.request.bytes', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'socket.request.max.bytes': REQUEST_MAX_BYTES, 'queued.max.request.bytes': QUEUED_MAX_REQUEST_BYTES } });
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  const metric = (name: string, labels: Record<string, string> = {}): Promise<number> => scrapeMetric(broker.adminUrl!, name, labels);
  const until = async (condition: () => Promise<boolean>): Promise<void> => {
    while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
  };
  const outOfMemoryMutes = (): Promise<number> => metric('tidelog_connection_mutes_total', { limit: 'queued.max.request.bytes' });

  /** A client that starts a request of the largest size and sends only its first bytes. */
  async function startLargeRequest(): Promise<RawClient> {
    const client = await connectRaw(broker.port, { read: true });
    const head = Buffer.alloc(4 + 100);
    head.writeInt32BE(REQUEST_MAX_BYTES, 0);
    client.socket.write(head);
    return client;
  }

  it('holds requests that do not fit until memory is given back, then answers them', async () => {
    assert.equal(await metric('tidelog_memory_pool_available_bytes'), QUEUED_MAX_REQUEST_BYTES);
    const holders: RawClient[] = [];
    for (let i = 1; i <= QUEUED_MAX_REQUEST_BYTES / REQUEST_MAX_BYTES; i++) {
      holders.push(await startLargeRequest());
      await until(async () => (await metric('tidelog_memory_pool_used_bytes')) === i * REQUEST_MAX_BYTES);
    }
    assert.equal(await metric('tidelog_memory_pool_available_bytes'), 0);
    assert.equal(await outOfMemoryMutes(), 0);

    // The budget is spent: one more large request waits, and so does a small one.
    const waitingLarge = await startLargeRequest();
    await until(async () => (await outOfMemoryMutes()) === 1);
    const small = await KafkaConnection.connect('127.0.0.1', broker.port, 'small');
    const answer = small.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    await until(async () => (await outOfMemoryMutes()) === 2);
    assert.equal(await metric('tidelog_connections_muted'), 2);
    assert.equal(await metric('tidelog_memory_pool_used_bytes'), QUEUED_MAX_REQUEST_BYTES);

    // One holder leaves: the large request that waited first takes its place (the pool stays full).
    holders.shift()!.socket.destroy();
    await until(async () => (await metric('tidelog_connections_muted')) === 1);
    assert.equal(await metric('tidelog_memory_pool_used_bytes'), QUEUED_MAX_REQUEST_BYTES);
    // Another leaves: now the small request fits and is answered.
    holders.shift()!.socket.destroy();
    assert.equal((await answer).errorCode, ErrorCode.NONE);
    assert.equal(await metric('tidelog_connections_muted'), 0);

    // Everyone leaves: nothing stays charged.
    for (const c of [...holders, waitingLarge]) c.socket.destroy();
    small.close();
    await until(async () => (await metric('tidelog_connections')) === 0);
    assert.equal(await metric('tidelog_memory_pool_used_bytes'), 0);
    assert.equal(await outOfMemoryMutes(), 2);
  });
});
