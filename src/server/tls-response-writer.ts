// TlsResponseWriter: how a response with record bytes (a fetch) goes out on a TLS socket,
// where sendfile cannot be used (it would put plaintext on an encrypted connection) and Node
// encrypts in user space. Kafka's SslTransportLayer does the same work with buffers it keeps
// per connection: it reads the file into them and encrypts 16 KiB records from there.
//
// The response's parts are gathered into one chunk of TLS_WRITE_CHUNK_BYTES taken from a
// pool shared by the connections: the bytes around the records are copied in, the records
// are read straight into it from the page cache (FileRange.tryReadInto, one pread on this
// thread when every page is cached, as the plaintext path's on-loop sendfile), and each full
// chunk is one socket.write, which Node's TLS layer encrypts at once into full-sized TLS
// records. The next fill waits for that write's callback: only then may the chunk be reused,
// and writing one buffer at a time also keeps Node's TLSWrap from gathering queued writes
// into a fresh buffer of their total size (what it does with several).
//
// Why (issue #16, BENCHMARKS.md "Over SASL_SSL"): reading each fetch's records into a new
// Buffer (the addon's toBuffer: a zeroed Vec, handed to V8 as external memory) cost more than
// the encryption. A full-volume profile of the secured reads showed V8's major GC (external
// memory pressure, ~1 MiB per fetch) and the page faults and zeroing of fresh memory well
// ahead of AES-GCM.
import type { Socket } from 'node:net';
import { FrameBufferPool } from '../frame-buffer-pool.js';
import type { FileRange, ResponsePart } from './types.js';

/**
 * Bytes written to the TLS socket per write: 16 TLS records of 16 KiB. Large enough that
 * the per-write cost (a stream write, an event-loop turn for its callback) is small per byte,
 * small enough that the chunk and its ciphertext stay in the CPU's cache.
 */
export const TLS_WRITE_CHUNK_BYTES = 256 * 1024;

/** Chunks kept while no response uses them: eight connections writing at once reuse theirs. */
const chunkPool = new FrameBufferPool(8 * TLS_WRITE_CHUNK_BYTES, TLS_WRITE_CHUNK_BYTES, TLS_WRITE_CHUNK_BYTES);

/** Buffer parts at least this large are written as they are, not copied into the chunk. */
const COPY_BYTES_MAX = TLS_WRITE_CHUNK_BYTES / 2;

/** Writes `buf` and resolves once Node's TLS layer is done with it (encrypted and handed to the TCP socket). */
function writeAndWait(socket: Socket, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(buf, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Writes a response's parts to a TLS socket in order, records included; resolves when the
 * last write is done. Rejects when the socket fails (the caller closes the connection).
 */
export async function writeTlsResponse(socket: Socket, parts: readonly ResponsePart[]): Promise<void> {
  const { buffer: chunk } = chunkPool.take(TLS_WRITE_CHUNK_BYTES);
  let used = 0;
  const flush = async (): Promise<void> => {
    if (used === 0) return;
    const n = used;
    used = 0;
    await writeAndWait(socket, chunk.subarray(0, n));
  };
  try {
    for (const part of parts) {
      if (Buffer.isBuffer(part)) {
        if (part.length >= COPY_BYTES_MAX) {
          await flush();
          await writeAndWait(socket, part);
          continue;
        }
        let from = 0;
        while (from < part.length) {
          if (used === chunk.length) await flush();
          const n = part.copy(chunk, used, from);
          used += n;
          from += n;
        }
      } else {
        await writeRange(part);
      }
    }
    await flush();
  } finally {
    chunkPool.give(chunk);
  }

  async function writeRange(range: FileRange): Promise<void> {
    let skip = 0;
    while (skip < range.byteLength) {
      if (used === chunk.length) await flush();
      const n = range.tryReadInto(chunk, used, skip);
      if (n > 0) {
        used += n;
        skip += n;
        continue;
      }
      // Some page is not in the page cache: read the rest off the event loop, into a buffer
      // of its own (the disk is then the cost, not the allocation).
      await flush();
      const records = await range.toBuffer();
      await writeAndWait(socket, skip === 0 ? records : records.subarray(skip));
      return;
    }
  }
}
