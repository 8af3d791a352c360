// Responses with record bytes on a TLS connection (tls-response-writer.ts): a Connection over a
// real TLS socket (certificates made with openssl) answers with parts around file ranges
// whose records are read into the writer's chunk, whole or only partly from the page cache
// (the rest from toBuffer), with small and large bytes between them. The peer must decrypt
// exactly the parts' bytes, in order; while the records are cached, every write to the TLS
// socket but the last of a response is a full chunk (no small pieces, each of which would be
// its own TLS record and send), and no record byte is read with toBuffer.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Connection } from '../../src/server/connection.js';
import { RequestMemoryPool } from '../../src/server/request-memory-pool.js';
import { TLS_WRITE_CHUNK_BYTES } from '../../src/server/tls-response-writer.js';
import type { FileRange, ResponsePart } from '../../src/server/types.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { seededBytes } from '../helpers/seeded-bytes.js';

const LIMITS = { requestMaxBytes: 1 << 20, queuedMaxRequests: 16, pendingResponseMaxBytes: 1 << 20, idleMs: 0, sendBufferBytes: -1, receiveBufferBytes: -1 };
const LISTENER = { name: 'SSL', host: '127.0.0.1', port: 0, securityProtocol: 'SSL' as const };

interface RangeLog {
  /** Bytes each tryReadInto call copied. */
  readonly reads: number[];
  toBufferCalls: number;
}

/** A range over `records` whose first `cachedBytes` bytes are in the page cache (tryReadInto copies them); the rest only toBuffer reads. */
function rangeOf(records: Buffer, cachedBytes: number, log: RangeLog): FileRange {
  return {
    byteLength: records.length,
    trySendTo() {
      throw new Error('no sendfile on a TLS socket');
    },
    sendTo() {
      throw new Error('no sendfile on a TLS socket');
    },
    tryReadInto(dest, destOffset, skip) {
      const n = Math.max(0, Math.min(dest.length - destOffset, Math.min(cachedBytes, records.length) - skip));
      if (n > 0) records.copy(dest, destOffset, skip, skip + n);
      log.reads.push(n);
      return n;
    },
    async toBuffer() {
      log.toBufferCalls++;
      return Buffer.from(records);
    },
  };
}

describe('responses with records on a TLS connection', { timeout: 60_000 }, () => {
  let certs: TestCerts;
  let server: tls.Server;
  let port: number;

  before(async () => {
    certs = makeTestCerts();
    server = tls.createServer({ key: readFileSync(certs.server.key), cert: readFileSync(certs.server.cert) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  after(() => {
    server.close();
    certs.remove();
  });

  /**
   * Answers `requests` pipelined requests on a fresh TLS connection with `partsFor(i)`;
   * resolves with the decrypted bytes the peer received and the sizes of the writes made to
   * the TLS socket.
   */
  async function exchange(requests: number, partsFor: (i: number) => readonly ResponsePart[]): Promise<{ received: Buffer; writes: number[] }> {
    const expectedBytes = Array.from({ length: requests }, (_, i) => partsFor(i).reduce((n, p) => n + (Buffer.isBuffer(p) ? p.length : p.byteLength), 0)).reduce((a, b) => a + b, 0);
    const accepted = new Promise<tls.TLSSocket>((resolve) => server.once('secureConnection', resolve));
    const client = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(certs.caPem), servername: 'localhost' });
    const socket = await accepted;
    const writes: number[] = [];
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    (socket as unknown as { write: (...args: unknown[]) => boolean }).write = (chunk: unknown, ...rest: unknown[]) => {
      if (Buffer.isBuffer(chunk) && chunk.length > 0) writes.push(chunk.length);
      return write(chunk, ...rest);
    };
    const chunks: Buffer[] = [];
    let bytes = 0;
    const received = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`received ${bytes} of ${expectedBytes} bytes`)), 20_000);
      client.on('data', (d: Buffer) => {
        chunks.push(d);
        bytes += d.length;
        if (bytes >= expectedBytes) {
          clearTimeout(timer);
          setTimeout(() => resolve(Buffer.concat(chunks)), 20); // anything extra arrives too
        }
      });
      client.on('error', reject);
    });
    let answered = 0;
    const connection = new Connection(1, socket, LISTENER, { handle: () => ({ parts: partsFor(answered++) }) }, LIMITS, { memoryPool: new RequestMemoryPool(-1), mutes: { queuedMaxRequests: 0, responsePending: 0 } }, pino({ level: 'silent' }), () => {});
    const frames = Buffer.alloc(12 * requests);
    for (let i = 0; i < requests; i++) frames.writeInt32BE(8, 12 * i);
    connection.receive(frames, frames.length);
    try {
      return { received: await received, writes };
    } finally {
      client.destroy();
      socket.destroy();
    }
  }

  const HEAD = Buffer.from('response-head');
  const MID = Buffer.from('partition-header');
  const TAIL = Buffer.from('tail!');

  it('sends head, records and tail in full chunks when the records are cached', async () => {
    const a = seededBytes(1, 700_000);
    const b = seededBytes(2, 90_000);
    const log: RangeLog = { reads: [], toBufferCalls: 0 };
    const parts = [HEAD, rangeOf(a, Infinity, log), MID, rangeOf(b, Infinity, log), TAIL];
    const { received, writes } = await exchange(1, () => parts);
    const expected = Buffer.concat([HEAD, a, MID, b, TAIL]);
    assert.deepEqual(received, expected);
    assert.equal(log.toBufferCalls, 0);
    assert.deepEqual(writes.slice(0, -1), writes.slice(0, -1).map(() => TLS_WRITE_CHUNK_BYTES), `writes: ${writes.join(', ')}`);
    assert.equal(writes.length, Math.ceil(expected.length / TLS_WRITE_CHUNK_BYTES));
  });

  it('reads the rest with toBuffer where the page cache stops, in order', async () => {
    const records = seededBytes(3, 600_000);
    for (const cachedBytes of [0, 1, TLS_WRITE_CHUNK_BYTES - HEAD.length, TLS_WRITE_CHUNK_BYTES, 400_000, records.length - 1]) {
      const log: RangeLog = { reads: [], toBufferCalls: 0 };
      const { received } = await exchange(1, () => [HEAD, rangeOf(records, cachedBytes, log), TAIL]);
      assert.deepEqual(received, Buffer.concat([HEAD, records, TAIL]), `cached up to byte ${cachedBytes}`);
      assert.equal(log.toBufferCalls, 1, `cached up to byte ${cachedBytes}`);
    }
  });

  it('writes a large part between ranges as it is, and answers pipelined requests in order', async () => {
    const large = seededBytes(4, TLS_WRITE_CHUNK_BYTES);
    const partsFor = (i: number): ResponsePart[] => {
      const log: RangeLog = { reads: [], toBufferCalls: 0 };
      return [Buffer.from(`head-${i}`), rangeOf(seededBytes(10 + i, 50_000 + i * 1000), Infinity, log), large, rangeOf(seededBytes(20 + i, 3000), Infinity, log), Buffer.from(`tail-${i}`)];
    };
    const expected = Buffer.concat(Array.from({ length: 3 }, (_, i) => Buffer.concat(partsFor(i).map((p) => (Buffer.isBuffer(p) ? p : seededBytesOf(p))))));
    const { received } = await exchange(3, partsFor);
    assert.deepEqual(received, expected);
  });

  it('sends a response without records as before', async () => {
    const { received } = await exchange(2, (i) => [Buffer.from(`plain response ${i}`)]);
    assert.equal(received.toString(), 'plain response 0plain response 1');
  });
});

/** The bytes of a range made by rangeOf (read through its tryReadInto). */
function seededBytesOf(range: ResponsePart): Buffer {
  const r = range as FileRange;
  const out = Buffer.alloc(r.byteLength);
  let at = 0;
  while (at < out.length) at += r.tryReadInto(out, at, at);
  return out;
}
