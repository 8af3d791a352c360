// Record batch compression codecs (the low three bits of a v2 batch's attributes):
// 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. The bytes are handled by the Rust addon (the
// same codecs the log cleaner uses: flate2, snap, lz4_flex, zstd), in the framing Kafka's
// Java producer writes: gzip stream, xerial-framed snappy (raw snappy blocks, as librdkafka
// writes them, are read too), LZ4 frame, zstd frame. Decompressed sizes are bounded so that
// a hostile batch cannot exhaust memory.
import { native } from '../native.js';

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof Compression;
export const COMPRESSION_NAMES = Object.keys(Compression) as CompressionName[];

/** Largest decompressed batch body accepted (Kafka's message.max.bytes tops out far below). */
export const DECOMPRESSED_MAX_BYTES = 256 * 1024 * 1024;

export class CompressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompressionError';
  }
}

export function compressionName(codec: number): string {
  return COMPRESSION_NAMES[codec] ?? `unknown codec ${codec}`;
}

function checkCodec(codec: number): void {
  if (!Number.isInteger(codec) || codec < 0 || codec >= COMPRESSION_NAMES.length) throw new CompressionError(`unknown compression codec ${codec}`);
}

/** Compresses a batch's records section with the codec. */
export function compress(codec: number, data: Buffer): Buffer {
  checkCodec(codec);
  if (codec === Compression.none) return data;
  try {
    return native.compressRecords(codec, data);
  } catch (err) {
    throw new CompressionError(`cannot compress with ${compressionName(codec)}: ${(err as Error).message}`);
  }
}

export function decompress(codec: number, data: Buffer): Buffer {
  checkCodec(codec);
  if (codec === Compression.none) return data;
  try {
    return native.decompressRecords(codec, data, DECOMPRESSED_MAX_BYTES);
  } catch (err) {
    throw new CompressionError(`bad ${compressionName(codec)} data: ${(err as Error).message}`);
  }
}
