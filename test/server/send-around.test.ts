// The order of a response's bytes when its records go out partly on the event loop: a
// Connection over a real TCP socket answers with parts around file ranges whose native send
// stops at every possible byte (inside the head, at each boundary, inside the records, inside
// the tail). Whatever the split, the peer must receive head, records and tail exactly once,
// in order. The ranges write to the real socket fd as the native sendfile path does.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import { Connection } from '../../src/server/connection.js';
import { RequestMemoryPool } from '../../src/server/request-memory-pool.js';
import type { FileRange, ResponsePart } from '../../src/server/types.js';

const LIMITS = { requestMaxBytes: 1 << 20, queuedMaxRequests: 16, pendingResponseMaxBytes: 1 << 20, idleMs: 0, sendBufferBytes: -1, receiveBufferBytes: -1 };
const LISTENER = { name: 'PLAINTEXT', host: '127.0.0.1', port: 0, securityProtocol: 'PLAINTEXT' as const };

/**
 * A range whose on-loop send writes the first `sendHere` bytes of head + records + tail (as
 * the native call does when the socket fills at that byte), and whose pool send writes the
 * records from `skip` on.
 */
function rangeStoppingAt(records: Buffer, sendHere: number, calls: string[]): FileRange {
  return {
    byteLength: records.length,
    trySendTo(fd, head, tail) {
      const all = Buffer.concat([head, records, tail]);
      const n = Math.min(sendHere, all.length);
      if (n > 0) assert.equal(fs.writeSync(fd, all, 0, n), n);
      calls.push(`try ${head.length}+${records.length}+${tail.length} -> ${n}`);
      return n;
    },
    async sendTo(fd, skip) {
      const rest = records.subarray(skip);
      assert.equal(fs.writeSync(fd, rest), rest.length);
      calls.push(`pool from ${skip}`);
      return rest.length;
    },
    tryReadInto() {
      throw new Error('a plaintext socket never reads records into memory');
    },
    async toBuffer() {
      return records;
    },
  };
}

/** Answers one request on a fresh connection with `parts`; resolves with what the peer received. */
async function receivedFor(parts: readonly ResponsePart[], expectedBytes: number): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  const socket = await accepted;
  const chunks: Buffer[] = [];
  let bytes = 0;
  const received = new Promise<Buffer>((resolve, reject) => {
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      bytes += d.length;
      if (bytes >= expectedBytes) setTimeout(() => resolve(Buffer.concat(chunks)), 20); // anything extra arrives too
    });
    client.on('error', reject);
    setTimeout(() => reject(new Error(`received ${bytes} of ${expectedBytes} bytes`)), 5000);
  });
  const connection = new Connection(1, socket, LISTENER, { handle: () => ({ parts }) }, LIMITS, { memoryPool: new RequestMemoryPool(-1), mutes: { queuedMaxRequests: 0, responsePending: 0 } }, pino({ level: 'silent' }), () => {});
  const frame = Buffer.alloc(12);
  frame.writeInt32BE(8, 0);
  connection.receive(frame, frame.length);
  try {
    return await received;
  } finally {
    client.destroy();
    socket.destroy();
    server.close();
  }
}

const HEAD = Buffer.from('head-bytes');
const MID = Buffer.from('mid');
const TAIL = Buffer.from('tail!');
const RECORDS_A = Buffer.from('A'.repeat(40));
const RECORDS_B = Buffer.from('B'.repeat(30));

describe('response parts around file ranges', () => {
  it('arrive whole and in order wherever the on-loop send stops: head, records, tail', async () => {
    const total = HEAD.length + RECORDS_A.length + TAIL.length;
    const expected = Buffer.concat([HEAD, RECORDS_A, TAIL]);
    for (let stop = 0; stop <= total; stop++) {
      const calls: string[] = [];
      const got = await receivedFor([HEAD, rangeStoppingAt(RECORDS_A, stop, calls), TAIL], total);
      assert.deepEqual(got, expected, `stopping at byte ${stop}: ${calls.join(', ')}`);
      assert.equal(calls[0], `try ${HEAD.length}+${RECORDS_A.length}+${TAIL.length} -> ${stop}`, 'the head and the final tail go with the range');
      // The pool sends exactly the records the loop did not.
      const poolFrom = Math.max(0, stop - HEAD.length);
      assert.deepEqual(calls.slice(1), poolFrom < RECORDS_A.length ? [`pool from ${poolFrom}`] : [], `stopping at byte ${stop}`);
    }
  });

  it('pair each range with the bytes before it and only the last bytes with the last range', async () => {
    const expected = Buffer.concat([HEAD, RECORDS_A, MID, RECORDS_B, TAIL]);
    const stops = [0, 3, HEAD.length, HEAD.length + 7, HEAD.length + RECORDS_A.length, 1000];
    for (const stopA of stops) {
      for (const stopB of stops) {
        const calls: string[] = [];
        const parts = [HEAD, rangeStoppingAt(RECORDS_A, stopA, calls), MID, rangeStoppingAt(RECORDS_B, stopB, calls), TAIL];
        const got = await receivedFor(parts, expected.length);
        assert.deepEqual(got, expected, `stops ${stopA}/${stopB}: ${calls.join(', ')}`);
        const tries = calls.filter((c) => c.startsWith('try'));
        assert.deepEqual(
          tries.map((c) => c.split(' -> ')[0]),
          [`try ${HEAD.length}+${RECORDS_A.length}+0`, `try ${MID.length}+${RECORDS_B.length}+${TAIL.length}`],
        );
      }
    }
  });
});
