// Tidelog's Kafka wire protocol: primitives (Writer, Reader, RecordsSource), the generated
// API table (with loadApiCodec; each request's and response's codecs are in its own generated
// module), request/response framing, and Kafka's error codes.
//
// Handlers usually need three things:
//   import { decodeRequest, encodeResponse, ApiKey, ErrorCode } from './index.js';
//   import type { ProduceResponseInput } from './generated/produce-response.js';
// Nested struct types (TopicProduceResponse, ...) live in the per-message generated modules.

export * from './errors.js';
export * from './primitives/index.js';
export * from './generated/index.js';
// framing.ts's decodeRequestHeader(frame) (header + dispatch info) shadows the generated
// header-fields codec of the same name, which stays available from ./generated/index.js.
export {
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  encodeResponseBuffer,
  readResponseCorrelationId,
  type DecodedRequest,
  type RequestHeaderInfo,
} from './framing.js';
