// The web console as the admin listener serves it: index.html at / and /console, the bundle
// and stylesheet with their content types, compressed copies, cache headers and a CSP; no URL
// that would load anything from another host; under the size budget. And the console's API
// calls (console/src/api-calls.json, the only list console/src/api.ts builds requests from):
// each is an operation of /openapi.json, the bundle names no /v1 path outside the list, and
// each call answers a real broker with a 2xx.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { Kafka, logLevel } from 'kafkajs';
import { registerConsole } from '../../src/admin/console.js';
import { removeDir, repoRoot, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { AdminHttp } from '../admin/http.js';

/** The budget for what the console adds to the package, gzipped. */
const CONSOLE_GZIP_BYTES_MAX = 1024 * 1024;
const CONSOLE_DIR = path.join(repoRoot, 'dist', 'console');
const calls = (JSON.parse(readFileSync(path.join(repoRoot, 'console', 'src', 'api-calls.json'), 'utf8')) as { calls: Record<string, { method: string; path: string }> }).calls;

/** XML namespace names in Preact and uPlot (document.createElementNS): identifiers, never fetched. */
const NAMESPACE_URLS = new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink', 'http://www.w3.org/1999/xhtml', 'http://www.w3.org/XML/1998/namespace', 'http://www.w3.org/1998/Math/MathML']);

function externalUrls(text: string): string[] {
  const found = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)<>]*/gi)].map((m) => m[0]);
  return found.filter((u) => !NAMESPACE_URLS.has(u));
}

describe('web console: serving', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  let base: string;
  let assets: { script: string; style: string; gzipBytes: number };

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'group.initial.rebalance.delay.ms': 0 } });
    base = broker.adminUrl!;
    assets = JSON.parse(readFileSync(path.join(CONSOLE_DIR, 'manifest.json'), 'utf8')) as typeof assets;
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
  });

  it('serves index.html at / and /console, revalidated, with a CSP that allows only its own origin', async () => {
    for (const p of ['/', '/console', '/console/']) {
      const r = await fetch(base + p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(r.headers.get('cache-control'), 'no-cache');
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /connect-src 'self'/);
      const html = await r.text();
      assert.ok(html.includes(`src="/console/assets/${assets.script}"`), html);
      assert.ok(html.includes(`href="/console/assets/${assets.style}"`), html);
      assert.deepEqual(externalUrls(html), [], 'no external URL in the page');
    }
  });

  it('serves the bundle and stylesheet with content types, compression and immutable caching', async () => {
    for (const [name, type] of [[assets.script, 'text/javascript; charset=utf-8'], [assets.style, 'text/css; charset=utf-8']] as const) {
      const plain = readFileSync(path.join(CONSOLE_DIR, 'assets', name));
      const url = `${base}/console/assets/${name}`;
      // undici's fetch decompresses; node:http would not, so compare decoded bodies and headers.
      const identity = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
      assert.equal(identity.status, 200);
      assert.equal(identity.headers.get('content-type'), type);
      assert.equal(identity.headers.get('content-encoding'), null);
      assert.equal(identity.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(identity.headers.get('vary'), 'Accept-Encoding');
      assert.deepEqual(Buffer.from(await identity.arrayBuffer()), plain);
      const raw = async (encoding: string) => {
        const { request } = await import('node:http');
        return new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
          request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          }).on('error', reject).end();
        });
      };
      const gz = await raw('gzip, deflate');
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.deepEqual(gunzipSync(gz.body), plain);
      const br = await raw('gzip, deflate, br');
      assert.equal(br.headers['content-encoding'], 'br');
      assert.deepEqual(brotliDecompressSync(br.body), plain);
      assert.deepEqual(externalUrls(plain.toString('utf8')), [], `no external URL in ${name}`);
    }
    const missing = await fetch(`${base}/console/assets/console.000000000000.js`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'TIDELOG_ERR_ROUTE_NOT_FOUND');
  });

  it('answers 503 with how to build it where the console was not built', async () => {
    const app = Fastify();
    registerConsole(app, path.join(repoRoot, 'dist', 'no-console-here'));
    try {
      const r = await app.inject({ method: 'GET', url: '/console' });
      assert.equal(r.statusCode, 503);
      assert.match(r.body, /npm run build:console/);
    } finally {
      await app.close();
    }
  });

  it(`adds less than ${CONSOLE_GZIP_BYTES_MAX} bytes gzipped to the package`, () => {
    const gz = (name: string) => readFileSync(path.join(CONSOLE_DIR, 'assets', `${name}.gz`)).length;
    const total = gz(assets.script) + gz(assets.style) + readFileSync(path.join(CONSOLE_DIR, 'index.html.gz')).length;
    assert.ok(total < CONSOLE_GZIP_BYTES_MAX, `${total} bytes`);
    console.log(`console bundle: ${total} bytes gzipped (script ${gz(assets.script)}, style ${gz(assets.style)})`);
  });

  it("lists only operations of /openapi.json, and the bundle names no /v1 path outside its list", async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    for (const [id, call] of Object.entries(calls)) {
      const op = doc.paths[call.path]?.[call.method.toLowerCase()];
      assert.ok(op, `${id}: ${call.method} ${call.path} is in /openapi.json`);
      assert.equal(op.operationId, id, `${call.method} ${call.path} is operation ${id}`);
    }
    const bundle = readFileSync(path.join(CONSOLE_DIR, 'assets', assets.script), 'utf8');
    const listed = new Set(Object.values(calls).map((c) => c.path));
    const named = new Set([...bundle.matchAll(/["'`](\/(?:v1|health)\/[^"'`]*)["'`]/g)].map((m) => m[1]!));
    assert.ok(named.size >= listed.size, `the bundle carries the list (${[...named].join(', ')})`);
    for (const p of named) assert.ok(listed.has(p), `the bundle names ${p}, which is not in api-calls.json`);
  });

  it('makes calls that each answer a real broker with a 2xx', async () => {
    const http = new AdminHttp(base);
    const topic = 'console-calls';
    const group = 'console-calls-group';
    const kafka = new Kafka({ clientId: 'console-calls', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const params: Record<string, string> = { name: topic, partition: '0', id: group };
    const fill = (p: string) => p.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k === 'id' && p.startsWith('/v1/brokers') ? 'broker' : k] ?? '0'));
    params.broker = '0';
    const bodies: Record<string, unknown> = {
      createTopic: { name: topic, partitions: 1 },
      addPartitions: { count: 2 },
      alterTopicConfigs: { set: { 'retention.ms': '3600000' } },
      produceMessage: { value: 'hello', partition: 0 },
      resetGroupOffsets: { topic, to: 'earliest' },
      electLeaders: { type: 'preferred' },
    };
    // In an order where each call has what it needs: create first, delete last.
    const order = ['createTopic', ...Object.keys(calls).filter((id) => !['createTopic', 'deleteTopic', 'deleteGroup', 'describeGroup', 'resetGroupOffsets'].includes(id)), 'resetGroupOffsets', 'describeGroup', 'deleteGroup', 'deleteTopic'];
    assert.deepEqual([...order].sort(), Object.keys(calls).sort(), 'every call is made');
    for (const id of order) {
      const call = calls[id]!;
      if (id === 'resetGroupOffsets') {
        // A group with a committed offset and no members.
        const consumer = kafka.consumer({ groupId: group });
        await consumer.connect();
        await consumer.disconnect();
        const admin = kafka.admin();
        await admin.connect();
        await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '0' }] });
        await admin.disconnect();
      }
      const r = await http.request(call.method, fill(call.path), bodies[id]);
      assert.equal(Math.floor(r.status / 100), 2, `${id}: ${call.method} ${fill(call.path)} answered ${r.status} ${r.text}`);
    }
  });
});
