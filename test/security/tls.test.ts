// SSL listeners with real clients over real sockets: kcat (librdkafka), Apache Kafka's Java
// client and tidelog's own tools produce and consume with a client certificate
// (ssl.client.auth=required, PEM stores; the broker logs User:CN=client,OU=test,O=tidelog),
// clients without a certificate or with an untrusted one are refused and counted in
// /metrics, a large fetch comes back byte for byte over TLS (sendfile would have put
// plaintext on the encrypted stream and broken it), garbage before the handshake (from
// hundreds of clients at once) and a handshake that never finishes close those connections
// only, PKCS12 key and trust stores set per listener serve (ssl.client.auth=requested), the
// client checks the broker's host name, a TLSv1.3-only listener refuses TLSv1.2, and
// replacing the certificate files reaches new connections while open ones keep working.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { javaBin, classPath, ensureKafkaLibs, type KafkaLibs } from '../../bench/kafka-dist.js';
import { runProcess } from '../../bench/run-process.js';
import { clientSecurityFromProperties, type ClientSecurity } from '../../src/client/client-security.js';
import { KafkaClient } from '../../src/client/kafka-client.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/client/record-batch.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { cliPath, removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { issue, makeTestCerts, P12_PASSWORD, type Identity, type TestCerts } from '../helpers/certs.js';
import { kcat } from '../helpers/kcat.js';
import { seededBytes } from '../helpers/seeded-bytes.js';
import { waitFor } from '../helpers/wait.js';
import { scrapeMetric } from '../helpers/limits.js';

const CONNECT_TIMEOUT_MS = 10_000;

function security(props: Record<string, string>): ClientSecurity {
  return clientSecurityFromProperties(new Map(Object.entries({ 'security.protocol': 'SSL', ...props })));
}

/** An ApiVersions round trip on `conn`. */
async function apiVersionsOk(conn: KafkaConnection): Promise<boolean> {
  const r = await conn.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'tls-test', clientSoftwareVersion: '1' });
  return r.errorCode === ErrorCode.NONE && r.apiKeys.length > 0;
}

/** Whether a TLS client with `sec` gets an answer from the broker (false: refused at the handshake or closed right after it). */
async function served(port: number, sec: ClientSecurity, host = '127.0.0.1'): Promise<boolean> {
  let conn: KafkaConnection;
  try {
    conn = await KafkaConnection.connect(host, port, 'tls-test', CONNECT_TIMEOUT_MS, undefined, sec);
  } catch {
    return false;
  }
  try {
    return await apiVersionsOk(conn);
  } catch {
    return false;
  } finally {
    conn.close();
  }
}

describe('SSL listener (ssl.client.auth=required, PEM files)', { timeout: 240_000 }, () => {
  let certs: TestCerts;
  let broker: BrokerProcess;
  let libs: KafkaLibs;
  let withCert: ClientSecurity;
  const logLevel = process.env.TIDELOG_LOG_LEVEL;

  before(async () => {
    libs = await ensureKafkaLibs();
    certs = makeTestCerts();
    withCert = security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.client.keystorePem });
    // Debug: the broker logs each client certificate's principal there.
    process.env.TIDELOG_LOG_LEVEL = 'debug';
    broker = await startBrokerProcess({
      overrides: {
        listeners: 'SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.server.keystorePem,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': certs.caPem,
        'ssl.client.auth': 'required',
        'ssl.handshake.timeout.ms': 1000,
        'num.partitions': 1,
      },
    });
    if (logLevel === undefined) delete process.env.TIDELOG_LOG_LEVEL;
    else process.env.TIDELOG_LOG_LEVEL = logLevel;
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    certs?.remove();
  });

  it('kcat produces and consumes over SSL with a client certificate', async () => {
    const ssl = ['-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caPem}`, '-X', `ssl.certificate.location=${certs.client.cert}`, '-X', `ssl.key.location=${certs.client.key}`];
    const lines = Array.from({ length: 100 }, (_, i) => `kcat-${i}`);
    const p = await kcat(['-b', broker.bootstrap, ...ssl, '-P', '-t', 'kcat-tls'], `${lines.join('\n')}\n`);
    assert.equal(p.code, 0, p.stderr);
    const c = await kcat(['-b', broker.bootstrap, ...ssl, '-C', '-t', 'kcat-tls', '-o', 'beginning', '-e', '-q']);
    assert.equal(c.code, 0, c.stderr);
    assert.deepEqual(c.stdout.trim().split('\n'), lines);
  });

  it('the Java client produces and consumes over SSL with a PEM client certificate, and the broker sees its principal', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-java-ssl-'));
    try {
      const config = path.join(dir, 'client.properties');
      writeFileSync(
        config,
        [
          'security.protocol=SSL',
          'ssl.truststore.type=PEM',
          `ssl.truststore.location=${certs.caPem}`,
          'ssl.keystore.type=PEM',
          `ssl.keystore.location=${certs.client.keystorePem}`,
          '',
        ].join('\n'),
      );
      const java = (main: string, args: string[], input?: string) => runProcess(javaBin(), ['-Xmx256M', '-cp', classPath(libs), main, ...args], input, 120_000, main);
      const lines = Array.from({ length: 50 }, (_, i) => `java-${i}`);
      const p = await java('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', broker.bootstrap, '--topic', 'java-tls', '--command-config', config], `${lines.join('\n')}\n`);
      assert.equal(p.code, 0, p.stderr);
      const c = await java('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', broker.bootstrap, '--topic', 'java-tls', '--from-beginning', '--max-messages', String(lines.length), '--timeout-ms', '30000', '--command-config', config]);
      assert.equal(c.code, 0, c.stderr);
      assert.deepEqual(c.stdout.trim().split('\n'), lines);
      const principals = broker.logLines.filter((l) => l.includes('TLS client authenticated')).map((l) => (JSON.parse(l) as { principal: string }).principal);
      assert.ok(principals.length > 0);
      // Kafka's default mapping: the subject in RFC 2253 form, most specific first.
      assert.deepEqual(new Set(principals), new Set(['User:CN=client,OU=test,O=tidelog']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the admin API reaches the broker over its SSL listener with the broker's own certificate", async () => {
    // GET /v1/groups goes through the admin API's Kafka client (ListGroups to every broker).
    const res = await fetch(`${broker.adminUrl!}/v1/groups`);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { groups: unknown };
    assert.ok(Array.isArray(body.groups));
    const principals = broker.logLines.filter((l) => l.includes('TLS client authenticated')).map((l) => (JSON.parse(l) as { principal: string }).principal);
    assert.ok(principals.includes('User:CN=localhost,OU=test,O=tidelog'), principals.join(', '));
  });

  it("tidelog's tools connect over SSL with --command-config, --producer.config and --consumer.config", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-cli-ssl-'));
    try {
      const config = path.join(dir, 'client.properties');
      writeFileSync(config, ['security.protocol=SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caPem}`, 'ssl.keystore.type=PEM', `ssl.keystore.location=${certs.client.keystorePem}`, ''].join('\n'));
      const tidelog = (args: string[], input?: string) => runProcess(process.execPath, [cliPath, ...args, '--bootstrap-server', broker.bootstrap], input, 60_000, 'tidelog');
      const created = await tidelog(['topics', '--create', '--topic', 'cli-tls', '--partitions', '1', '--command-config', config]);
      assert.equal(created.code, 0, created.stderr);
      const p = await tidelog(['console-producer', '--topic', 'cli-tls', '--producer.config', config], 'a\nb\nc\n');
      assert.equal(p.code, 0, p.stderr);
      const c = await tidelog(['console-consumer', '--topic', 'cli-tls', '--from-beginning', '--max-messages', '3', '--timeout-ms', '30000', '--consumer.config', config]);
      assert.equal(c.code, 0, c.stderr);
      assert.deepEqual(c.stdout.trim().split('\n'), ['a', 'b', 'c']);
      // Without the client settings the handshake fails, and the tool says so in one line.
      const plain = await tidelog(['topics', '--list']);
      assert.notEqual(plain.code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a client without a certificate and one with an untrusted certificate, and counts them', async () => {
    const failures = (reason: string) => scrapeMetric(broker.adminUrl!, 'tidelog_tls_handshake_failures_total', { listener: 'SSL', reason });
    const noCert = security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem });
    const certificateBefore = await failures('certificate');
    assert.equal(await served(broker.port, noCert), false, 'no client certificate');
    await waitFor('the refusal counted', async () => (await failures('certificate')) === certificateBefore + 1);
    const untrusted = security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.untrusted.keystorePem });
    const closedBefore = await failures('closed');
    assert.equal(await served(broker.port, untrusted), false, 'self-signed client certificate');
    // Node closes a connection whose required certificate is untrusted without saying why: counted as closed.
    await waitFor('the refusal counted', async () => (await failures('closed')) === closedBefore + 1);
    assert.equal(await served(broker.port, withCert), true, 'the trusted client still is served');
    // kcat without a certificate gets no metadata.
    const k = await kcat(['-b', broker.bootstrap, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caPem}`, '-L', '-m', '5']);
    assert.notEqual(k.code, 0, k.stdout);
  });

  it('a client refuses a broker whose certificate it does not trust', async () => {
    const otherCa = security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.untrusted.cert, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.client.keystorePem });
    await assert.rejects(KafkaConnection.connect('127.0.0.1', broker.port, 'tls-test', CONNECT_TIMEOUT_MS, undefined, otherCa), /certificate/i);
  });

  it('a 6 MB fetch over TLS returns every byte (responses go through the TLS socket, not sendfile)', async () => {
    const client = await KafkaClient.connect({ bootstrap: broker.bootstrap, security: withCert });
    try {
      assert.equal((await client.createTopic('fetch-tls', { partitions: 1, replicationFactor: 1 })).errorCode, ErrorCode.NONE);
      const values: Buffer[] = [];
      for (let i = 0; i < 6; i++) {
        const value = seededBytes(i + 1, 1000 * 1000);
        values.push(value);
        const r = await client.produce('fetch-tls', 0, encodeRecordBatch([{ value }]));
        assert.equal(r.errorCode, ErrorCode.NONE);
        assert.equal(r.baseOffset, i);
      }
      const got: Buffer[] = [];
      while (got.length < values.length) {
        const [res] = await client.fetch([{ topic: 'fetch-tls', partition: 0, offset: got.length, maxBytes: 16 * 1024 * 1024 }], { maxBytes: 16 * 1024 * 1024 });
        assert.equal(res!.errorCode, ErrorCode.NONE);
        const { batches } = decodeRecordBatches(res!.records!);
        for (const b of batches) for (const r of b.records) got.push(r.value!);
      }
      assert.equal(got.length, values.length);
      for (let i = 0; i < values.length; i++) assert.ok(got[i]!.equals(values[i]!), `record ${i}`);
    } finally {
      client.close();
    }
  });

  it('garbage before the handshake closes that connection, also from hundreds of clients at once; the broker goes on serving', async () => {
    const handshakeFailures = () => scrapeMetric(broker.adminUrl!, 'tidelog_tls_handshake_failures_total', { listener: 'SSL', reason: 'handshake' });
    const before = await handshakeFailures();
    const garbage = async (i: number): Promise<void> => {
      const raw = net.connect({ host: '127.0.0.1', port: broker.port });
      raw.on('error', () => {});
      const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
      await new Promise<void>((resolve) => raw.once('connect', resolve));
      // A plaintext Kafka ApiVersions request (a client configured for PLAINTEXT), or HTTP.
      raw.write(i % 2 === 0 ? Buffer.from('0000001500120003000000010009636f6e736f6c652d70', 'hex') : 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await closed;
    };
    await garbage(0);
    assert.equal(await handshakeFailures(), before + 1);
    const CLIENTS = 300;
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => garbage(i)));
    assert.equal(await handshakeFailures(), before + 1 + CLIENTS);
    assert.equal(await served(broker.port, withCert), true);
  });

  it('a handshake that never finishes is closed after ssl.handshake.timeout.ms', async () => {
    const raw = net.connect({ host: '127.0.0.1', port: broker.port });
    raw.on('error', () => {});
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    await closed; // nothing sent: the broker ends it (the test's own timeout bounds a broker that would not)
    assert.ok((await scrapeMetric(broker.adminUrl!, 'tidelog_tls_handshake_failures_total', { listener: 'SSL', reason: 'timeout' })) >= 1);
    assert.equal(await served(broker.port, withCert), true);
  });
});

describe('SSL listener with PKCS12 key and trust stores set per listener (listener.name.<l>.ssl.*)', { timeout: 120_000 }, () => {
  let certs: TestCerts;
  let broker: BrokerProcess;

  let named: Identity;

  before(async () => {
    certs = makeTestCerts();
    // Names localhost only: a client connecting to 127.0.0.1 checks the name against it.
    named = issue(certs.dir, 'named', '/O=tidelog/CN=localhost', 'DNS:localhost');
    broker = await startBrokerProcess({
      overrides: {
        listeners: 'SECURE://127.0.0.1:0',
        'listener.security.protocol.map': 'SECURE:SSL',
        'inter.broker.listener.name': 'SECURE',
        'listener.name.secure.ssl.keystore.type': 'PKCS12',
        'listener.name.secure.ssl.keystore.location': named.keystoreP12,
        'listener.name.secure.ssl.keystore.password': P12_PASSWORD,
        'listener.name.secure.ssl.client.auth': 'requested',
        // Small, so that a slot not given back by a failed handshake would soon refuse everyone.
        'max.connections': 8,
        'listener.name.secure.ssl.truststore.type': 'PKCS12',
        'listener.name.secure.ssl.truststore.location': certs.caP12,
        'listener.name.secure.ssl.truststore.password': P12_PASSWORD,
        // The broker-wide value is JKS (Kafka's default) and would be refused: the listener's wins.
        'ssl.keystore.type': 'JKS',
      },
    });
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    certs?.remove();
  });

  it('serves clients that trust the CA, with or without a certificate (ssl.client.auth=requested)', async () => {
    assert.equal(await served(broker.port, security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem }), 'localhost'), true);
    const k = await kcat(['-b', broker.bootstrap, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${certs.caPem}`, '-X', 'ssl.endpoint.identification.algorithm=none', '-L', '-m', '10']);
    assert.equal(k.code, 0, k.stderr);
    assert.match(k.stdout, /1 brokers:/);
  });

  it('a client reads a PKCS12 key store too', async () => {
    assert.equal(await served(broker.port, security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem, 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': certs.client.keystoreP12, 'ssl.keystore.password': P12_PASSWORD }), 'localhost'), true);
  });

  it('refuses an untrusted certificate even when a certificate is only requested (as Java does)', async () => {
    const untrusted = security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.untrusted.keystorePem });
    assert.equal(await served(broker.port, untrusted, 'localhost'), false);
  });

  it('gives the connection slot back on every failed handshake (max.connections=8)', async () => {
    const untrusted = security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.untrusted.keystorePem });
    for (let i = 0; i < 20; i++) {
      const raw = net.connect({ host: '127.0.0.1', port: broker.port });
      raw.on('error', () => {});
      const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
      raw.write('not TLS at all\r\n');
      await closed;
      assert.equal(await served(broker.port, untrusted, 'localhost'), false);
    }
    // The broker gives a slot back when it sees the close, a moment after the client does: wait for that, not for a leak.
    await waitFor('a client served', () => served(broker.port, security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem }), 'localhost'), { timeoutMs: 30_000 });
  });

  it('a client checks the host name (ssl.endpoint.identification.algorithm=https) unless told not to', async () => {
    const trusting = { 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem };
    await assert.rejects(KafkaConnection.connect('127.0.0.1', broker.port, 'tls-test', CONNECT_TIMEOUT_MS, undefined, security(trusting)), /127\.0\.0\.1 is not in the cert's list/);
    assert.equal(await served(broker.port, security(trusting), 'localhost'), true);
    assert.equal(await served(broker.port, security({ ...trusting, 'ssl.endpoint.identification.algorithm': '' }), '127.0.0.1'), true);
  });
});

describe('a TLSv1.3-only listener: protocol versions, and certificate reload without a restart', { timeout: 120_000 }, () => {
  let certs: TestCerts;
  let broker: BrokerProcess;
  let keystore: string;

  before(async () => {
    certs = makeTestCerts();
    // The broker reads its own copy, replaced below.
    keystore = path.join(certs.dir, 'broker-keystore.pem');
    copyFileSync(certs.server.keystorePem, keystore);
    broker = await startBrokerProcess({
      overrides: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': keystore, 'ssl.store.check.interval.ms': 200, 'ssl.enabled.protocols': 'TLSv1.3' },
    });
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    certs?.remove();
  });

  /** The subject CN of the certificate the broker presents to a new connection. */
  async function presentedCn(): Promise<string> {
    const socket = tls.connect({ host: '127.0.0.1', port: broker.port, ca: readFileSync(certs.caPem) });
    try {
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      return socket.getPeerCertificate().subject.CN as string;
    } finally {
      socket.destroy();
    }
  }

  it('speaks only the versions of ssl.enabled.protocols', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: broker.port, ca: readFileSync(certs.caPem), maxVersion: 'TLSv1.2' });
    socket.on('error', () => {});
    const outcome = await new Promise<string>((resolve) => {
      socket.once('secureConnect', () => resolve('connected'));
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      socket.once('close', () => resolve('closed'));
    });
    socket.destroy();
    assert.notEqual(outcome, 'connected', 'a TLSv1.2 client is refused by a TLSv1.3 listener');
    const ok = tls.connect({ host: '127.0.0.1', port: broker.port, ca: readFileSync(certs.caPem) });
    await new Promise<void>((resolve, reject) => ok.once('secureConnect', resolve).once('error', reject));
    assert.equal(ok.getProtocol(), 'TLSv1.3');
    ok.destroy();
  });

  it('a new connection sees the replaced certificate; an open one keeps working', async () => {
    const sec = security({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caPem });
    const old = await KafkaConnection.connect('127.0.0.1', broker.port, 'tls-test', CONNECT_TIMEOUT_MS, undefined, sec);
    try {
      assert.equal(await presentedCn(), 'localhost');
      const renewed = issue(certs.dir, 'renewed', '/O=tidelog/OU=test/CN=renewed', 'DNS:localhost,IP:127.0.0.1');
      copyFileSync(renewed.keystorePem, `${keystore}.tmp`);
      // Replaced as deployment tools do it: a rename, so the broker never reads half a file.
      renameSync(`${keystore}.tmp`, keystore);
      await waitFor('the renewed certificate to be served', async () => (await presentedCn()) === 'renewed', { timeoutMs: 30_000 });
      assert.equal(await apiVersionsOk(old), true, 'the connection opened before the reload still works');
      assert.equal(await served(broker.port, sec), true);
      assert.equal(broker.logLines.filter((l) => l.includes('TLS key and trust stores reloaded')).length, 1);
    } finally {
      old.close();
    }
  });
});
