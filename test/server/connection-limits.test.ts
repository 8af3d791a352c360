// max.connections, max.connections.per.ip and max.connections.per.ip.overrides against a real
// broker process over real sockets: connections over a limit are closed as soon as they are
// accepted, the ones admitted keep being served, a slot freed by a close admits a new one,
// and /metrics counts every refusal per limit.
// 5,000 connections are opened from this process (the broker holds 1,000 of them): both
// processes need that many descriptors, which `ulimit -n` allows here (checked below).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey, loadAllApiCodecs } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRequest } from '../../src/protocol/framing.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { connectRaw, scrapeMetric } from '../helpers/limits.js';

// The framing functions used here are synchronous: every API's codecs first.
await loadAllApiCodecs();

const MAX_CONNECTIONS = 1000;
const ATTEMPTS = 5000;
/** Connections opened at once: below the listen backlog (511), so no SYN is dropped and retried. */
const BATCH = 200;

async function roundTrip(c: KafkaConnection): Promise<void> {
  const versions = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  assert.equal(versions.errorCode, ErrorCode.NONE);
  const metadata = await c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.equal(metadata.brokers.length, 1);
}

/** Runs `task(i)` for i in [0, n), `batch` at a time. */
async function inBatches<T>(n: number, batch: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < n; start += batch) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - start) }, (_, k) => task(start + k)))));
  }
  return out;
}

const API_VERSIONS = Buffer.from(encodeRequest(ApiKey.ApiVersions, 3, 1, 'refused', { clientSoftwareName: 'test', clientSoftwareVersion: '1' }));

/** Opens a connection the broker must close unanswered: asks ApiVersions, expects the close instead. */
async function expectRefused(port: number, localAddress?: string): Promise<void> {
  const client = await connectRaw(port, { read: true, ...(localAddress === undefined ? {} : { localAddress }) });
  client.socket.write(API_VERSIONS);
  const outcome = await Promise.race([client.closed.then(() => 'closed'), client.answered.then(() => 'answered')]);
  client.socket.destroy();
  assert.equal(outcome, 'closed');
}

async function waitForConnections(adminUrl: string, atMost: number): Promise<void> {
  while ((await scrapeMetric(adminUrl, 'tidelog_connections')) > atMost) await new Promise((r) => setTimeout(r, 20));
}

function openFilesLimit(): number {
  return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
}

describe('max.connections', { timeout: 300_000 }, () => {
  let broker: BrokerProcess;

  before(async () => {
    // The broker inherits this limit; both need ATTEMPTS descriptors and some to spare.
    assert.ok(openFilesLimit() >= ATTEMPTS + 500, `ulimit -n is ${openFilesLimit()}: this test needs ${ATTEMPTS + 500}`);
    broker = await startBrokerProcess({ overrides: { 'max.connections': MAX_CONNECTIONS } });
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it(`refuses all but ${MAX_CONNECTIONS} of ${ATTEMPTS} connections, serves the admitted ones, and admits a new one once others close`, async () => {
    const admitted = await inBatches(MAX_CONNECTIONS, BATCH, async () => {
      const c = await KafkaConnection.connect('127.0.0.1', broker.port, 'admitted');
      await roundTrip(c);
      return c;
    });
    // The rest: each is accepted by the kernel and closed by the broker at once.
    await inBatches(ATTEMPTS - MAX_CONNECTIONS, BATCH, () => expectRefused(broker.port));
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_connections_refused_total', { limit: 'max.connections' }), ATTEMPTS - MAX_CONNECTIONS);
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_connections'), MAX_CONNECTIONS);
    // Every admitted connection still round-trips, all at once.
    await Promise.all(admitted.map((c) => roundTrip(c)));

    // Ten leave; ten new ones get in, the eleventh does not.
    for (const c of admitted.splice(0, 10)) c.close();
    await waitForConnections(broker.adminUrl!, MAX_CONNECTIONS - 10);
    const newcomers = await Promise.all(Array.from({ length: 10 }, () => KafkaConnection.connect('127.0.0.1', broker.port, 'newcomer')));
    await Promise.all(newcomers.map((c) => roundTrip(c)));
    await expectRefused(broker.port);
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_connections_refused_total', { limit: 'max.connections' }), ATTEMPTS - MAX_CONNECTIONS + 1);
    for (const c of [...admitted, ...newcomers]) c.close();
    await waitForConnections(broker.adminUrl!, 0);
  });
});

describe('max.connections.per.ip with max.connections.per.ip.overrides', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;
  // Both are loopback addresses on Linux: the broker listens on 127.0.0.1 and sees 127.0.0.2 as
  // another client address.
  const PER_IP = 5;
  const OVERRIDDEN = 10;

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'max.connections.per.ip': PER_IP, 'max.connections.per.ip.overrides': `127.0.0.2:${OVERRIDDEN}` } });
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('holds each address to its own limit', async () => {
    const from = async (localAddress: string): Promise<KafkaConnection> => {
      const c = await KafkaConnection.connect('127.0.0.1', broker.port, 'per-ip', undefined, localAddress);
      await roundTrip(c);
      return c;
    };
    const refused = (localAddress: string): Promise<void> => expectRefused(broker.port, localAddress);
    const first = await Promise.all(Array.from({ length: PER_IP }, () => from('127.0.0.1')));
    await refused('127.0.0.1');
    const second = await Promise.all(Array.from({ length: OVERRIDDEN }, () => from('127.0.0.2')));
    await refused('127.0.0.2');
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_connections_refused_total', { limit: 'max.connections.per.ip' }), 2);
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_connections_refused_total', { limit: 'max.connections' }), 0);
    // The admitted ones are served; one from 127.0.0.1 leaves and another takes its place.
    await Promise.all([...first, ...second].map((c) => roundTrip(c)));
    first.shift()!.close();
    await waitForConnections(broker.adminUrl!, PER_IP + OVERRIDDEN - 1);
    first.push(await from('127.0.0.1'));
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_connections_refused_total', { limit: 'max.connections.per.ip' }), 2);
    for (const c of [...first, ...second]) c.close();
  });
});

describe('max.connections with two listeners', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;
  let clientPort: number;

  before(async () => {
    // PLAINTEXT (listed first, so the helper's port) is the inter-broker listener.
    broker = await startBrokerProcess({
      overrides: {
        listeners: 'PLAINTEXT://127.0.0.1:0,CLIENT://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CLIENT:PLAINTEXT',
        'inter.broker.listener.name': 'PLAINTEXT',
        'max.connections': 2,
      },
    });
    const line = broker.logLines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; listener?: string; port?: number })
      .find((e) => e.msg === 'listening' && e.listener === 'CLIENT');
    clientPort = line!.port!;
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('still admits connections on the inter-broker listener, as Kafka does', async () => {
    const clients = [await KafkaConnection.connect('127.0.0.1', clientPort), await KafkaConnection.connect('127.0.0.1', clientPort)];
    await Promise.all(clients.map((c) => roundTrip(c)));
    await expectRefused(clientPort);
    const interBroker = await KafkaConnection.connect('127.0.0.1', broker.port);
    await roundTrip(interBroker);
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_connections'), 3);
    assert.equal(await scrapeMetric(broker.adminUrl!, 'tidelog_connections_refused_total', { limit: 'max.connections' }), 1);
    for (const c of [...clients, interBroker]) c.close();
  });
});
