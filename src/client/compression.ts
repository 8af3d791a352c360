// Record batch compression codecs (the low three bits of a v2 batch's attributes):
// 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. gzip uses node:zlib; snappy uses snappyjs (raw
// blocks, and Kafka's Java producer's xerial framing on read); zstd is read with fzstd.
// lz4 (Kafka's LZ4 frame format) is not handled: decoding it is a clear error.
// Decompressed sizes are bounded so that a hostile batch cannot exhaust memory.
import { gunzipSync, gzipSync } from 'node:zlib';
import * as snappy from 'snappyjs';
import { decompress as zstdDecompress } from 'fzstd';

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof Compression;
export const COMPRESSION_NAMES = Object.keys(Compression) as CompressionName[];

/** Largest decompressed batch body accepted (Kafka's message.max.bytes tops out far below). */
export const DECOMPRESSED_MAX_BYTES = 256 * 1024 * 1024;

/** xerial snappy-java's stream header: magic, then int32 version and compatible version. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

export class CompressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompressionError';
  }
}

export function compressionName(codec: number): string {
  return COMPRESSION_NAMES[codec] ?? `unknown codec ${codec}`;
}

/** Compresses a batch's records section with the codec (none, gzip, snappy). */
export function compress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return gzipSync(data);
    case Compression.snappy:
      return xerialFrame(Buffer.from(snappy.compress(new Uint8Array(data))));
    default:
      throw new CompressionError(`cannot write ${compressionName(codec)} batches: use none, gzip or snappy`);
  }
}

export function decompress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case Compression.none:
      return data;
    case Compression.gzip:
      return gunzipSync(data, { maxOutputLength: DECOMPRESSED_MAX_BYTES });
    case Compression.snappy:
      return data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC) ? unframeXerial(data) : snappyBlock(data);
    case Compression.zstd: {
      const out = zstdDecompress(new Uint8Array(data.buffer, data.byteOffset, data.length));
      if (out.length > DECOMPRESSED_MAX_BYTES) throw new CompressionError(`zstd batch decompresses to more than ${DECOMPRESSED_MAX_BYTES} bytes`);
      return Buffer.from(out.buffer, out.byteOffset, out.length);
    }
    case Compression.lz4:
      throw new CompressionError('lz4-compressed batches cannot be decoded by this tool yet (gzip, snappy and zstd can)');
    default:
      throw new CompressionError(`unknown compression codec ${codec}`);
  }
}

function snappyBlock(data: Buffer): Buffer {
  try {
    return Buffer.from(snappy.uncompress(new Uint8Array(data.buffer, data.byteOffset, data.length), DECOMPRESSED_MAX_BYTES));
  } catch (err) {
    throw new CompressionError(`bad snappy data: ${(err as Error).message}`);
  }
}

/** snappy-java's framing: header, then blocks of int32 length + raw snappy. */
function unframeXerial(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos + 4 <= data.length) {
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length) throw new CompressionError('truncated xerial snappy block');
    const block = snappyBlock(data.subarray(pos, pos + len));
    total += block.length;
    if (total > DECOMPRESSED_MAX_BYTES) throw new CompressionError(`snappy batch decompresses to more than ${DECOMPRESSED_MAX_BYTES} bytes`);
    parts.push(block);
    pos += len;
  }
  return Buffer.concat(parts, total);
}

/** Writes one block in snappy-java's framing, as Kafka's Java producer does. */
function xerialFrame(block: Buffer): Buffer {
  const out = Buffer.alloc(XERIAL_HEADER_BYTES + 4 + block.length);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8); // version
  out.writeInt32BE(1, 12); // compatible version
  out.writeInt32BE(block.length, 16);
  block.copy(out, 20);
  return out;
}
