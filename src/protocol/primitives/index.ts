// Kafka wire primitives: Writer and Reader over Buffers, the RecordsSource mechanism for
// zero-copy records, UUID helpers and the codec's own errors.

export { ProtocolDecodeError, ProtocolEncodeError } from './errors.js';
export { Reader } from './reader.js';
export type { FramePart, RecordsSource, RecordsValue } from './records-source.js';
export { EMPTY_ARRAY, EMPTY_BYTES, EMPTY_STRUCT, nonIgnorable, nonNull, unsupportedDecodeVersion, unsupportedEncodeVersion } from './runtime.js';
export { isUuid, uuidToBytes, uuidToString, ZERO_UUID } from './uuid.js';
export { sizeOfUnsignedVarint, sizeOfVarint, unzigzag32, zigzag32 } from './varint.js';
export { INLINE_RECORDS_BYTES_MAX, Writer, type WriterOptions } from './writer.js';
