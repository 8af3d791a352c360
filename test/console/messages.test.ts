// The console's message routes against a real broker and kcat (librdkafka) as the other
// side: what kcat produced reads back exactly (binary values, headers, keys, every codec),
// windows in both orders from an offset or a timestamp, a record produced through the route
// is what kcat consumes, and bad requests answer 4xx with a registry code and a reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_ERRORS } from '../../src/admin/errors.js';
import { MessagesSchema, ProducedSchema } from '../../src/admin/routes/messages.js';
import { removeDir, startBrokerProcess, tempDir, type BrokerProcess } from '../helpers/broker-process.js';
import { AdminHttp, type HttpResult } from '../admin/http.js';

const TOPIC = 'console-messages';

function assertError(r: HttpResult, status: number, code: keyof typeof ADMIN_ERRORS, message?: RegExp): void {
  assert.equal(r.status, status, `status of ${r.text}`);
  const body = r.json as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, r.text);
  assert.ok(body.error.message.length > 0);
  if (message) assert.match(body.error.message, message);
}

/** kcat with its exit code checked; stdout as bytes. */
function kcat(args: string[], input?: Buffer): Buffer {
  const r = spawnSync('kcat', args, { input, timeout: 60_000 });
  assert.equal(r.status, 0, `kcat ${args.join(' ')}: ${r.stderr?.toString()}`);
  return r.stdout;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const unb64 = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64'));

describe('web console: message routes', { timeout: 180_000 }, () => {
  let broker: BrokerProcess;
  let http: AdminHttp;
  const scratch = tempDir('tidelog-console-');
  /**
   * Every byte value, up and down, eight times, then a NUL: nothing UTF-8 about it, and
   * repetitive enough that every codec shrinks it (librdkafka sends a batch uncompressed
   * when compression would not make it smaller).
   */
  const pattern = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i))]);
  const binary = Buffer.concat([...Array.from({ length: 8 }, () => pattern), Buffer.from([0])]);

  before(async () => {
    broker = await startBrokerProcess({ overrides: { 'auto.create.topics.enable': false } });
    http = new AdminHttp(broker.adminUrl!);
    assert.equal((await http.post('/v1/topics', { name: TOPIC, partitions: 2 })).status, 201);
  });

  after(async () => {
    await broker?.stop();
    if (broker) removeDir(broker.dataDir);
    removeDir(scratch);
  });

  const read = async (query: string, partition = 0) => {
    const r = await http.get(`/v1/topics/${TOPIC}/partitions/${partition}/messages${query}`);
    assert.equal(r.status, 200, r.text);
    return MessagesSchema.parse(r.json);
  };

  it("reads back exactly what kcat produced: binary value, key, headers, each codec", async () => {
    const file = path.join(scratch, 'binary.bin');
    writeFileSync(file, binary);
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    for (const codec of codecs) {
      // One file argument is one message, byte for byte.
      kcat(['-b', broker.bootstrap, '-P', '-t', TOPIC, '-p', '0', '-z', codec, '-k', `key-${codec}`, '-H', 'trace=abc', '-H', `codec=${codec}`, file]);
    }
    const page = await read('?order=oldest&limit=50');
    assert.equal(page.logStartOffset, 0);
    assert.equal(page.highWatermark, codecs.length);
    assert.deepEqual(page.messages.map((m) => m.offset), [0, 1, 2, 3, 4]);
    page.messages.forEach((m, i) => {
      const codec = codecs[i]!;
      assert.deepEqual(unb64(m.value), binary, `value of the ${codec} record`);
      assert.equal(unb64(m.key)!.toString(), `key-${codec}`);
      assert.deepEqual(m.headers.map((h) => [h.key, unb64(h.value)!.toString()]), [['trace', 'abc'], ['codec', codec]]);
      assert.equal(m.compression, codec);
      assert.equal(m.timestampType, 'CreateTime');
      assert.ok(Math.abs(m.timestamp - Date.now()) < 120_000);
      assert.equal(m.sizeBytes, binary.length + `key-${codec}`.length + 'trace'.length + 3 + 'codec'.length + codec.length);
    });
  });

  it('keeps a null key, a null value and a null header value apart from empty ones', async () => {
    // kcat -Z sends empty keys and values as NULL.
    kcat(['-b', broker.bootstrap, '-P', '-t', TOPIC, '-p', '1', '-Z', '-K', ':'], Buffer.from(':\n'));
    const produced = await http.post(`/v1/topics/${TOPIC}/messages`, { partition: 1, key: '', value: '', headers: [{ key: 'empty', value: '' }, { key: 'none', value: null }] });
    assert.equal(produced.status, 201, produced.text);
    const [nulls, empties] = (await read('?order=oldest', 1)).messages;
    assert.equal(nulls?.key, null);
    assert.equal(nulls?.value, null);
    assert.equal(empties?.key, '');
    assert.equal(empties?.value, '');
    assert.deepEqual(empties?.headers, [{ key: 'empty', value: '' }, { key: 'none', value: null }]);
  });

  it('pages newest first (the default) and oldest first, from an offset, within the log', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line-${i}`).join('\n');
    kcat(['-b', broker.bootstrap, '-P', '-t', TOPIC, '-p', '0'], Buffer.from(`${lines}\n`));
    const end = (await read('?limit=1')).highWatermark;
    assert.equal(end, 15);
    assert.deepEqual((await read('?limit=3')).messages.map((m) => m.offset), [14, 13, 12]);
    assert.deepEqual((await read('?order=newest&offset=7&limit=3')).messages.map((m) => m.offset), [7, 6, 5]);
    assert.deepEqual((await read('?order=newest&offset=1&limit=5')).messages.map((m) => m.offset), [1, 0], 'stops at the log start');
    assert.deepEqual((await read('?order=oldest&offset=12&limit=5')).messages.map((m) => m.offset), [12, 13, 14], 'stops at the high watermark');
    assert.deepEqual((await read('?order=oldest&offset=99')).messages, [], 'past the end: nothing');
    assert.deepEqual((await read('?order=newest&offset=99&limit=2')).messages.map((m) => m.offset), [14, 13], 'clamped to the last record');
    assert.equal(unb64((await read('?order=oldest&offset=5&limit=1')).messages[0]!.value)!.toString(), 'line-0');
    assert.equal((await read('?order=oldest&limit=500')).messages.length, 15);
  });

  it('starts at a timestamp: the first record at or after it', async () => {
    // A topic of its own: ListOffsets answers the first offset whose timestamp is at or after
    // the time, and records of the other tests carry today's time.
    assert.equal((await http.post('/v1/topics', { name: 'console-times', partitions: 1 })).status, 201);
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 5; i++) {
      const r = await http.post('/v1/topics/console-times/messages', { value: `at-${i}`, timestamp: t0 + i * 1000 });
      assert.equal(r.status, 201, r.text);
    }
    const read = async (query: string) => MessagesSchema.parse((await http.get(`/v1/topics/console-times/partitions/0/messages${query}`)).json);
    const from = await read(`?order=oldest&timestamp=${t0 + 2500}&limit=10`);
    assert.deepEqual(from.messages.map((m) => unb64(m.value)!.toString()), ['at-3', 'at-4']);
    assert.equal(from.messages[0]!.timestamp, t0 + 3000);
    const before = await read(`?order=newest&timestamp=${t0 + 1000}&limit=2`);
    assert.deepEqual(before.messages.map((m) => unb64(m.value)!.toString()), ['at-1', 'at-0']);
    assert.deepEqual((await read(`?order=oldest&timestamp=${t0 + 60_000}`)).messages, [], 'after the last record: nothing');
  });

  it('produces what kcat consumes: binary value and key, headers, partition by key, compression', async () => {
    const key = Buffer.from([0, 1, 2, 250, 255]);
    const r = await http.post(`/v1/topics/${TOPIC}/messages`, {
      encoding: 'base64',
      partition: 0,
      key: b64(key),
      value: b64(binary),
      headers: [{ key: 'bin', value: b64(Buffer.from([9, 8, 7])) }],
      compression: 'zstd',
    });
    assert.equal(r.status, 201, r.text);
    const at = ProducedSchema.parse(r.json);
    assert.equal(at.partition, 0);
    const out = kcat(['-b', broker.bootstrap, '-C', '-t', TOPIC, '-p', '0', '-o', String(at.offset), '-c', '1', '-e', '-q', '-f', '%K|%S|%h\n%s']);
    const nl = out.indexOf(0x0a);
    const [keyLen, valueLen, headers] = out.subarray(0, nl).toString('latin1').split('|');
    assert.equal(Number(keyLen), key.length);
    assert.equal(Number(valueLen), binary.length);
    assert.equal(headers, 'bin=\u0009\u0008\u0007');
    assert.deepEqual(out.subarray(nl + 1, nl + 1 + binary.length), binary);
    const back = await read(`?order=oldest&offset=${at.offset}&limit=1`);
    assert.equal(back.messages[0]!.compression, 'zstd');
    assert.deepEqual(unb64(back.messages[0]!.key), key);

    // Without a partition, a keyed record goes where Kafka's partitioner puts it (as kcat's
    // murmur2 partitioner does), a record without a key to partition 0.
    const keyed = ProducedSchema.parse((await http.post(`/v1/topics/${TOPIC}/messages`, { key: 'user-42', value: 'x' })).json);
    const viaKcat = kcat(['-b', broker.bootstrap, '-P', '-t', TOPIC, '-X', 'partitioner=murmur2_random', '-K', ':', '-D', '\n'], Buffer.from('user-42:y\n'));
    void viaKcat;
    const found = await Promise.all([0, 1].map(async (p) => (await read('?limit=5', p)).messages.filter((m) => unb64(m.key)?.toString() === 'user-42').map(() => p)));
    assert.deepEqual(found.flat(), [keyed.partition, keyed.partition], 'the route and kcat put the key on the same partition');
    assert.equal(ProducedSchema.parse((await http.post(`/v1/topics/${TOPIC}/messages`, { value: 'no key' })).json).partition, 0);
  });

  it('answers bad reads with 4xx and a reason', async () => {
    assertError(await http.get('/v1/topics/nope/partitions/0/messages'), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND', /nope/);
    assertError(await http.get(`/v1/topics/${TOPIC}/partitions/9/messages`), 404, 'TIDELOG_ERR_PARTITION_NOT_FOUND', /no partition 9/);
    assertError(await http.get(`/v1/topics/${TOPIC}/partitions/x/messages`), 400, 'TIDELOG_ERR_VALIDATION', /params\.partition/);
    assertError(await http.get(`/v1/topics/${TOPIC}/partitions/0/messages?limit=0`), 400, 'TIDELOG_ERR_VALIDATION', /query\.limit/);
    assertError(await http.get(`/v1/topics/${TOPIC}/partitions/0/messages?limit=501`), 400, 'TIDELOG_ERR_VALIDATION', /query\.limit/);
    assertError(await http.get(`/v1/topics/${TOPIC}/partitions/0/messages?offset=-1`), 400, 'TIDELOG_ERR_VALIDATION', /query\.offset/);
    assertError(await http.get(`/v1/topics/${TOPIC}/partitions/0/messages?order=sideways`), 400, 'TIDELOG_ERR_VALIDATION', /query\.order/);
    assertError(await http.get(`/v1/topics/${TOPIC}/partitions/0/messages?offset=1&timestamp=1`), 400, 'TIDELOG_ERR_VALIDATION', /offset or timestamp/);
    assertError(await http.get(`/v1/topics/${TOPIC}/partitions/0/messages?colour=red`), 400, 'TIDELOG_ERR_VALIDATION', /colour/);
  });

  it('answers bad produces with 4xx and a reason', async () => {
    const post = (body: unknown, topic = TOPIC) => http.post(`/v1/topics/${topic}/messages`, body);
    assertError(await post({ value: 'x' }, 'nope'), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
    assertError(await post({ value: 'x', partition: 5 }), 404, 'TIDELOG_ERR_PARTITION_NOT_FOUND');
    assertError(await post({ key: 'k' }), 400, 'TIDELOG_ERR_VALIDATION', /body\.value/);
    assertError(await post({ value: 'x', compression: 'brotli' }), 400, 'TIDELOG_ERR_VALIDATION', /body\.compression/);
    assertError(await post({ value: 'x', extra: 1 }), 400, 'TIDELOG_ERR_VALIDATION', /extra/);
    assertError(await post({ value: 'not base64!', encoding: 'base64' }), 400, 'TIDELOG_ERR_VALIDATION', /body\.value: must be base64/);
    assertError(await post({ value: 'x', headers: [{ key: '', value: 'v' }] }), 400, 'TIDELOG_ERR_VALIDATION', /headers/);
    // A topic that takes small records only.
    assert.equal((await http.post('/v1/topics', { name: 'console-small', partitions: 1, configs: { 'max.message.bytes': 1024 } })).status, 201);
    assertError(await post({ value: 'x'.repeat(4000) }, 'console-small'), 413, 'TIDELOG_ERR_MESSAGE_TOO_LARGE', /max\.message\.bytes/);
    assert.equal((await post({ value: 'small' }, 'console-small')).status, 201);
  });

  it('answers 404 once the topic is deleted while it is read', async () => {
    assert.equal((await http.post('/v1/topics', { name: 'console-gone', partitions: 1 })).status, 201);
    assert.equal((await http.post('/v1/topics/console-gone/messages', { value: 'soon gone' })).status, 201);
    assert.equal((await http.get('/v1/topics/console-gone/partitions/0/messages')).status, 200);
    assert.equal((await http.delete('/v1/topics/console-gone')).status, 204);
    assertError(await http.get('/v1/topics/console-gone/partitions/0/messages'), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
    assertError(await http.post('/v1/topics/console-gone/messages', { value: 'x' }), 404, 'TIDELOG_ERR_TOPIC_NOT_FOUND');
  });
});
