// The admin API's RequestGuard (src/admin/request-guard.ts): Host names the listener answers
// to (DNS rebinding) and same-origin browser requests only. Unit tests of the policy, then
// real HTTP requests (node:http, which lets a test set Host and Origin) to a broker process.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { buildHostPolicy, hostName, refusal } from '../../src/admin/request-guard.js';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

const noDns = async () => [];

describe('request guard policy', () => {
  it('reads the name of a Host header', () => {
    assert.equal(hostName('LocalHost:9644'), 'localhost');
    assert.equal(hostName('[::1]:9644'), '::1');
    assert.equal(hostName('example.com.'), 'example.com');
    assert.equal(hostName('a b'), null);
    assert.equal(hostName(''), null);
  });

  it('allows the loopback names on a loopback listener and nothing else by default', async () => {
    const p = await buildHostPolicy('127.0.0.1', [], noDns);
    for (const h of ['127.0.0.1:9644', 'localhost:9644', '[::1]:9644', 'localhost']) assert.equal(refusal(p, { host: h }), null, h);
    const r = refusal(p, { host: 'attacker.example:9644' });
    assert.equal(r?.code, 'TIDELOG_ERR_HOST_NOT_ALLOWED');
    assert.equal(r?.status, 421);
    assert.equal(refusal(p, { host: '10.1.2.3:9644' })?.code, 'TIDELOG_ERR_HOST_NOT_ALLOWED');
  });

  it('allows a named listener, its addresses, and admin.allowed.hosts entries', async () => {
    const p = await buildHostPolicy('broker-1.internal', ['admin.example.com', '.corp.example', '[fd00::1]'], async (n) => (n === 'broker-1.internal' ? ['10.0.0.7'] : []));
    for (const h of ['broker-1.internal:9644', '10.0.0.7:9644', 'admin.example.com', 'x.corp.example', 'corp.example', '[fd00::1]:9644']) assert.equal(refusal(p, { host: h }), null, h);
    for (const h of ['localhost:9644', 'example.com', 'evilcorp.example']) assert.equal(refusal(p, { host: h })?.code, 'TIDELOG_ERR_HOST_NOT_ALLOWED', h);
    const any = await buildHostPolicy('127.0.0.1', ['*'], noDns);
    assert.equal(refusal(any, { host: 'anything.example' }), null);
  });

  it('refuses a foreign or opaque Origin and cross-site fetches, and lets same-origin and header-less requests through', async () => {
    const p = await buildHostPolicy('127.0.0.1', [], noDns);
    const host = '127.0.0.1:9644';
    assert.equal(refusal(p, { host, origin: 'http://127.0.0.1:9644' }), null);
    assert.equal(refusal(p, { host: 'localhost', origin: 'http://localhost:80' }), null, 'default port');
    assert.equal(refusal(p, { host, 'sec-fetch-site': 'same-origin' }), null);
    assert.equal(refusal(p, { host, 'sec-fetch-site': 'none' }), null);
    assert.equal(refusal(p, { host }), null);
    for (const origin of ['http://attacker.example', 'http://127.0.0.1:3000', 'http://localhost:9644', 'null', 'ftp://127.0.0.1:9644', 'not a url']) {
      const r = refusal(p, { host, origin });
      assert.equal(r?.code, 'TIDELOG_ERR_ORIGIN_NOT_ALLOWED', origin);
      assert.equal(r?.status, 403);
    }
    for (const site of ['cross-site', 'same-site']) assert.equal(refusal(p, { host, 'sec-fetch-site': site })?.code, 'TIDELOG_ERR_ORIGIN_NOT_ALLOWED', site);
  });

  it('validates admin.allowed.hosts', () => {
    const build = (v: string) => buildBrokerConfig(new Map([['admin.allowed.hosts', v]]));
    assert.deepEqual(build('admin.example.com, .corp.example,*').values['admin.allowed.hosts'], ['admin.example.com', '.corp.example', '*']);
    assert.throws(() => build('http://admin.example.com'), /admin\.allowed\.hosts/);
    assert.throws(() => build('a b'), /admin\.allowed\.hosts/);
  });
});

interface Reply {
  readonly status: number;
  readonly body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

describe('request guard over HTTP', { timeout: 60_000 }, () => {
  let broker: BrokerProcess;
  let port: number;

  /** A real HTTP request with the given headers (node:http sends Host as given). */
  function send(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text.length > 0 && (res.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : {} });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  const own = () => ({ host: `127.0.0.1:${port}` });

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false, 'admin.allowed.hosts': 'tidelog-admin.example' } });
    port = Number(new URL(broker.adminUrl!).port);
    assert.equal((await send('POST', '/v1/topics', own(), { name: 'guarded', partitions: 1 })).status, 201);
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('refuses a request whose Host is not a name of the listener with 421 and a reason; nothing changes', async () => {
    const refused = await send('DELETE', '/v1/topics/guarded', { host: `rebound.attacker.example:${port}` });
    assert.equal(refused.status, 421);
    assert.equal(refused.body.error?.code, 'TIDELOG_ERR_HOST_NOT_ALLOWED');
    assert.match(refused.body.error!.message, /rebound\.attacker\.example.*admin\.allowed\.hosts/);
    assert.equal((await send('GET', '/v1/topics', { host: 'rebound.attacker.example' })).status, 421, 'reads too');
    assert.equal((await send('GET', '/docs', { host: 'rebound.attacker.example' })).status, 421, 'Swagger UI too');
    assert.equal((await send('GET', '/no/such/route', { host: 'rebound.attacker.example' })).status, 421, 'and unknown routes');
    assert.equal((await send('GET', '/v1/topics/guarded', own())).status, 200, 'the topic is still there');
  });

  it('answers the loopback names and the names in admin.allowed.hosts', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'tidelog-admin.example']) {
      assert.equal((await send('GET', '/v1/topics/guarded', { host })).status, 200, host);
    }
  });

  it('refuses a request from a foreign Origin with 403 and a reason; nothing is created', async () => {
    const refused = await send('POST', '/v1/topics', { ...own(), origin: 'http://attacker.example' }, { name: 'from-a-web-page', partitions: 1 });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error?.code, 'TIDELOG_ERR_ORIGIN_NOT_ALLOWED');
    assert.match(refused.body.error!.message, /attacker\.example/);
    assert.equal((await send('GET', '/v1/topics/from-a-web-page', own())).status, 404);
    const sameSite = await send('DELETE', '/v1/topics/guarded', { ...own(), origin: `http://127.0.0.1:${port + 1}` });
    assert.equal(sameSite.status, 403, 'another port is another origin');
    const crossSite = await send('GET', '/v1/topics', { ...own(), 'sec-fetch-site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    assert.equal(crossSite.body.error?.code, 'TIDELOG_ERR_ORIGIN_NOT_ALLOWED');
    assert.equal((await send('GET', '/v1/topics/guarded', own())).status, 200);
  });

  it('accepts same-origin browser requests and requests without Origin (curl)', async () => {
    const page = await send('POST', '/v1/topics', { ...own(), origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }, { name: 'from-the-console', partitions: 1 });
    assert.equal(page.status, 201);
    assert.equal((await send('DELETE', '/v1/topics/from-the-console', { ...own(), origin: `http://127.0.0.1:${port}` })).status, 204);
    const curl = await send('DELETE', '/v1/topics/guarded', { ...own(), 'user-agent': 'curl/8.5.0', accept: '*/*' });
    assert.equal(curl.status, 204);
  });

  it('logs refusals as warnings, never as errors', () => {
    const levels = broker.logLines.flatMap((l) => {
      try {
        return [JSON.parse(l) as { level: number; msg: string }];
      } catch {
        return [];
      }
    });
    assert.ok(levels.some((e) => e.msg === 'admin request refused'));
    assert.deepEqual(levels.filter((e) => e.level >= 50), []);
  });
});
