// A TLS listener's key store changed at run time with a dynamic broker config, as Kafka rotates
// certificates (kafka-configs.sh --entity-type brokers --entity-name <id> --add-config
// listener.name.<l>.ssl.keystore.location=...): new connections get the new certificate at once,
// without a restart; Kafka's refusals for the SSL keys (only per listener, only per broker) and
// a key store that cannot serve refused before it is stored, naming the key.
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { issue, makeTestCerts, type Identity, type TestCerts } from '../helpers/certs.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { isOneLineError, tidelog } from '../cli/run.js';

/** The CN of the certificate the SSL listener serves to a new connection. */
function servedCommonName(port: number, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(caPem), servername: 'localhost' }, () => {
      const cn = socket.getPeerCertificate().subject.CN;
      socket.destroy();
      resolve(String(cn));
    });
    socket.once('error', reject);
  });
}

describe('dynamic key store of a TLS listener (listener.name.<l>.ssl.keystore.location)', { timeout: 120_000 }, () => {
  let certs: TestCerts;
  let rotated: Identity;
  let broker: BrokerProcess;
  let sslPort: number;
  const configs = (...args: string[]) => tidelog(['configs', '--bootstrap-server', broker.bootstrap, ...args]);

  before(async () => {
    certs = makeTestCerts();
    rotated = issue(certs.dir, 'rotated', '/O=tidelog/OU=test/CN=rotated', 'DNS:localhost,IP:127.0.0.1');
    broker = await startBrokerProcess({
      overrides: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': certs.server.keystorePem,
      },
    });
    const line = broker.logLines.map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg?: string; listener?: string; port?: number }) : {})).find((e) => e.msg === 'listening' && e.listener === 'SSL');
    assert.ok(line?.port, 'the SSL listener is listening');
    sslPort = line.port;
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    certs?.remove();
  });

  it('a new key store for this broker\'s listener serves new connections at once', async () => {
    assert.equal(await servedCommonName(sslPort, certs.caPem), 'localhost');
    const r = await configs('--alter', '--entity-type', 'brokers', '--entity-name', '0', '--add-config', `listener.name.ssl.ssl.keystore.location=${rotated.keystorePem}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await servedCommonName(sslPort, certs.caPem), 'rotated');
    const d = await configs('--describe', '--entity-type', 'brokers', '--entity-name', '0');
    assert.equal(
      d.stdout,
      'Dynamic configs for broker 0 are:\n' +
        `  listener.name.ssl.ssl.keystore.location=${rotated.keystorePem} sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:listener.name.ssl.ssl.keystore.location=${rotated.keystorePem}, STATIC_BROKER_CONFIG:ssl.keystore.location=${certs.server.keystorePem}}\n`,
    );
  });

  it('refuses the SSL keys as Kafka does, and a key store that cannot serve, naming the key', async () => {
    const cases: { args: string[]; message: RegExp }[] = [
      { args: ['--entity-default', '--add-config', `listener.name.ssl.ssl.keystore.location=${rotated.keystorePem}`], message: /Cannot update these configs at default cluster level, broker id must be specified: Set\(listener\.name\.ssl\.ssl\.keystore\.location\)/ },
      { args: ['--entity-name', '0', '--add-config', `ssl.keystore.location=${rotated.keystorePem}`], message: /These security configs can be dynamically updated only per-listener using the listener prefix: Set\(ssl\.keystore\.location\)/ },
      { args: ['--entity-name', '0', '--add-config', `listener.name.ssl.ssl.keystore.location=${certs.dir}/absent.pem`], message: /listener\.name\.ssl\.ssl\.keystore\.location/ },
      { args: ['--entity-name', '0', '--add-config', 'listener.name.ssl.ssl.client.auth=required'], message: /Cannot update these configs dynamically: Set\(listener\.name\.ssl\.ssl\.client\.auth\)/ },
    ];
    for (const c of cases) {
      const r = await configs('--alter', '--entity-type', 'brokers', ...c.args);
      assert.equal(r.code, 1, `${c.args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, c.message);
    }
    // Still the rotated certificate: nothing refused was applied.
    assert.equal(await servedCommonName(sslPort, certs.caPem), 'rotated');
  });
});
