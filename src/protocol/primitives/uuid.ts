// Kafka UUIDs (topic ids, directory ids) are 16 raw bytes on the wire. In Tidelog they are
// strings in the canonical lowercase 8-4-4-4-12 hex form, which compares with === and is a
// usable Map key. The all-zero UUID is Kafka's Uuid.ZERO_UUID ("no id").
//
// Conversion uses lookup tables: no regular expressions or parseInt on the hot path.

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Nibble value of a hex char code, or -1 (lower and upper case accepted). */
const NIBBLE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) table[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[97 + i] = 10 + i;
    table[65 + i] = 10 + i;
  }
  return table;
})();

/** Formats the 16 bytes at buf[offset..offset+16) as a lowercase UUID string. */
export function uuidToString(buf: Uint8Array, offset: number): string {
  const h = HEX_BYTE;
  const b = buf;
  const o = offset;
  return (
    h[b[o]!]! + h[b[o + 1]!]! + h[b[o + 2]!]! + h[b[o + 3]!]! + '-' +
    h[b[o + 4]!]! + h[b[o + 5]!]! + '-' +
    h[b[o + 6]!]! + h[b[o + 7]!]! + '-' +
    h[b[o + 8]!]! + h[b[o + 9]!]! + '-' +
    h[b[o + 10]!]! + h[b[o + 11]!]! + h[b[o + 12]!]! + h[b[o + 13]!]! + h[b[o + 14]!]! + h[b[o + 15]!]!
  );
}

/**
 * Writes the UUID string into buf[offset..offset+16). Returns false (writing nothing
 * meaningful) when the string is not in 8-4-4-4-12 hex form.
 */
export function uuidToBytes(uuid: string, buf: Uint8Array, offset: number): boolean {
  if (uuid.length !== 36) return false;
  let o = offset;
  for (let i = 0; i < 36; ) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (uuid.charCodeAt(i) !== 45 /* - */) return false;
      i++;
      continue;
    }
    const c1 = uuid.charCodeAt(i);
    const c2 = uuid.charCodeAt(i + 1);
    const hi = c1 < 128 ? NIBBLE[c1]! : -1;
    const lo = c2 < 128 ? NIBBLE[c2]! : -1;
    if (hi < 0 || lo < 0) return false;
    buf[o++] = (hi << 4) | lo;
    i += 2;
  }
  return true;
}

/** True for a string in canonical UUID form (any hex case). */
export function isUuid(value: string): boolean {
  return uuidToBytes(value, SCRATCH, 0);
}

const SCRATCH = new Uint8Array(16);
