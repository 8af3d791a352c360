// The admin API's authentication and authorization: HTTPS on the admin listener with the
// listener.name.admin.ssl.* keys, client certificates (admin.authentication=mtls), and the
// Kafka ACLs (authorizer.class.name) deciding each route: 401 without credentials, 403 without
// the ACL, and nothing changed by a refused request. Also: every route has its ACL in the
// access policy, so a new route cannot slip in without one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { ROUTE_ACCESS } from '../../src/admin/access-policy.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { makeTestCerts, type Identity, type TestCerts } from '../helpers/certs.js';
import { tidelog } from '../cli/run.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

describe('admin API: https, client certificates and ACLs', () => {
  let certs: TestCerts;
  let broker: BrokerProcess;
  let adminPort: number;

  /** One request to the https admin listener, as `who` (a client certificate) or nobody. */
  function call(method: string, path: string, who: Identity | null, body?: unknown): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        {
          host: '127.0.0.1',
          port: adminPort,
          method,
          path,
          ca: readFileSync(certs.caPem),
          ...(who ? { key: readFileSync(who.key), cert: readFileSync(who.cert) } : {}),
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Answer['body'] = {};
            try {
              parsed = text ? (JSON.parse(text) as Answer['body']) : {};
            } catch {
              parsed = { text };
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  before(async () => {
    certs = makeTestCerts();
    broker = await startBrokerProcess({
      overrides: {
        'admin.listener': 'https://127.0.0.1:0',
        'listener.name.admin.ssl.keystore.type': 'PEM',
        'listener.name.admin.ssl.keystore.location': certs.server.keystorePem,
        'listener.name.admin.ssl.truststore.type': 'PEM',
        'listener.name.admin.ssl.truststore.location': certs.caPem,
        'admin.authentication': 'mtls',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        // The server certificate's subject is the administrator; ANONYMOUS (the PLAINTEXT Kafka
        // listener, through which the test grants ACLs with tidelog acls) too.
        'super.users': `User:${certs.server.dn};User:ANONYMOUS`,
      },
    });
    const line = broker.logLines.map((l) => JSON.parse(l) as { msg: string; port?: number; url?: string; authentication?: string; loopbackOnly?: boolean }).find((e) => e.msg === 'admin listening')!;
    adminPort = line.port!;
    assert.equal(line.url, `https://127.0.0.1:${adminPort}`);
    assert.equal(line.authentication, 'mtls');
    assert.equal(line.loopbackOnly, true, 'the start-up line says it listens on loopback only');
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    certs?.remove();
  });

  it('has an ACL for every route of the API', async () => {
    const doc = (await call('GET', '/openapi.json', null)).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{([^}]+)\}/g, ':$1')}`));
    assert.ok(routes.length > 20, `${routes.length} routes`);
    assert.deepEqual(routes.filter((r) => !ROUTE_ACCESS.has(r)), []);
  });

  it('answers health checks and the OpenAPI document without credentials', async () => {
    assert.equal((await call('GET', '/health/live', null)).status, 200);
    assert.equal((await call('GET', '/openapi.json', null)).status, 200);
  });

  it('refuses 401 without a client certificate, and with an untrusted one', async () => {
    for (const who of [null, certs.untrusted]) {
      const r = await call('GET', '/v1/topics', who);
      assert.equal(r.status, 401);
      assert.equal(r.body.error?.code, 'TIDELOG_ERR_UNAUTHENTICATED');
    }
    // The console's page needs credentials too.
    assert.equal((await call('GET', '/', null)).status, 401);
  });

  it('lets the administrator (super.users) in, and refuses 403 a principal without ACLs, changing nothing', async () => {
    const created = await call('POST', '/v1/topics', certs.server, { name: 'orders', partitions: 2 });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const listed = await call('GET', '/v1/topics', certs.client);
    assert.equal(listed.status, 403);
    assert.equal(listed.body.error?.code, 'TIDELOG_ERR_FORBIDDEN');
    assert.match(listed.body.error!.message, new RegExp(`User:${certs.client.dn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not authorized to DESCRIBE CLUSTER`));

    const refusedCreate = await call('POST', '/v1/topics', certs.client, { name: 'sneaky', partitions: 1 });
    assert.equal(refusedCreate.status, 403);
    const refusedDelete = await call('DELETE', '/v1/topics/orders', certs.client);
    assert.equal(refusedDelete.status, 403);
    // Nothing changed: orders is there, sneaky is not.
    const names = ((await call('GET', '/v1/topics', certs.server)).body.topics as { name: string }[]).map((t) => t.name);
    assert.ok(names.includes('orders'));
    assert.ok(!names.includes('sneaky'));
  });

  it("follows the Kafka ACLs: DESCRIBE on a topic opens that topic's page only, PREFIXED CREATE lets it create under the prefix", async () => {
    const who = `User:${certs.client.dn}`;
    const acl = (args: string[]) => grantAcl(broker.bootstrap, args);
    await acl(['--add', '--allow-principal', who, '--operation', 'Describe', '--topic', 'orders']);
    await acl(['--add', '--allow-principal', who, '--operation', 'Create', '--topic', 'team-', '--resource-pattern-type', 'prefixed']);

    assert.equal((await call('GET', '/v1/topics/orders', certs.client)).status, 200);
    assert.equal((await call('GET', '/v1/topics', certs.client)).status, 403, 'listing everything needs DESCRIBE on the cluster');
    assert.equal((await call('POST', '/v1/topics', certs.client, { name: 'team-a', partitions: 1 })).status, 201);
    assert.equal((await call('POST', '/v1/topics', certs.client, { name: 'other', partitions: 1 })).status, 403);
    // Reading records needs READ, which DESCRIBE does not give.
    assert.equal((await call('GET', '/v1/topics/orders/partitions/0/messages', certs.client)).status, 403);
  });
});

/** `tidelog acls` against the broker's PLAINTEXT listener (its principal is a super user here). */
async function grantAcl(bootstrap: string, args: string[]): Promise<void> {
  const r = await tidelog(['acls', '--bootstrap-server', bootstrap, ...args]);
  assert.equal(r.code, 0, r.stderr);
}
