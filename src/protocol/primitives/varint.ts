// Varint arithmetic shared by Writer and Reader, following Kafka's ByteUtils:
// - unsigned varint: 7 bits per byte, little-endian groups, at most 5 bytes (a uint32);
// - varint: a 32-bit zigzag value ((n << 1) ^ (n >> 31)) written as an unsigned varint;
// - varlong: a 64-bit zigzag value, at most 10 bytes. JS numbers hold it exactly while
//   |n| < 2^53; the 64-bit path splits the value into two 32-bit halves instead of using
//   BigInt, so the hot path stays in small integers.

export const UNSIGNED_VARINT_BYTES_MAX = 5;
export const VARLONG_BYTES_MAX = 10;

/** Bytes an unsigned varint of value (0 <= value < 2^32) takes on the wire. */
export function sizeOfUnsignedVarint(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Zigzag-encodes a signed int32 into the uint32 written by writeVarint. */
export function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** Inverse of zigzag32. */
export function unzigzag32(value: number): number {
  return (value >>> 1) ^ -(value & 1);
}

/** Bytes a varint (zigzag int32) takes on the wire. */
export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint(zigzag32(value));
}
