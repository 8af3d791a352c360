// Support code for the generated codecs in ../generated: shared defaults and the error
// paths, kept out of line so that the generated straight-line code stays small. Nothing
// here allocates on the success path.

import { ProtocolDecodeError, ProtocolEncodeError } from './errors.js';

/** Default for bytes fields (Kafka's Bytes.EMPTY). Zero length, so sharing it is safe. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/** Encode-side stand-in for a missing array field. */
export const EMPTY_ARRAY: readonly never[] = Object.freeze([]);

/** Encode-side stand-in for a missing struct field: every field takes its default. */
export const EMPTY_STRUCT: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Resolves an encode input for a field that is not nullable in the version being written:
 * undefined takes the default, null is a caller bug (Kafka's codecs throw a
 * NullPointerException for it).
 */
export function nonNull<T>(value: T | null | undefined, fallback: T, field: string, version: number): T {
  if (value === null) throw new ProtocolEncodeError(`${field} is null but is not nullable in version ${version}`);
  return value === undefined ? fallback : value;
}

/**
 * A non-ignorable field holds a non-default value in a version that cannot carry it
 * (Kafka: "Attempted to write a non-default X at version N").
 */
export function nonIgnorable(field: string, version: number): never {
  throw new ProtocolEncodeError(`attempted to write a non-default ${field} at version ${version}`);
}

export function unsupportedEncodeVersion(message: string, version: number): never {
  throw new ProtocolEncodeError(`${message} cannot be written at version ${version}`);
}

export function unsupportedDecodeVersion(message: string, version: number, offset: number): never {
  throw new ProtocolDecodeError(`${message} cannot be read at version ${version}`, offset);
}
