// Framing: request/response headers around the generated body codecs.
//
// A Kafka frame on the socket is int32 size + header + body. The connection layer splits the
// stream into frames; these helpers take a frame WITHOUT its 4-byte size prefix on the way in,
// and produce one WITH the prefix on the way out.
//
// Header versions (see generated/index.ts): requests use header v2 in flexible versions and
// v1 otherwise (ControlledShutdown v0: v0); responses use v1 in flexible versions and v0
// otherwise, except ApiVersions, always v0. In header v1/v2 the client id is a classic
// nullable int16-length string, never compact.
//
// Unknown api keys and unsupported versions are reported as data by decodeRequest() (the
// header is still parsed so the broker can answer ApiVersions with UNSUPPORTED_VERSION, as
// Kafka does, or close the connection); only malformed bytes throw ProtocolDecodeError.
//
// The body codecs are loaded per API (loadApiCodec in generated/index.ts): these functions are
// synchronous and use an API's codecs once they are loaded; before that they throw (a bug of
// the caller: the broker's router and the client load an API's codecs on its first request,
// tools and tests call loadAllApiCodecs()).

import {
  decodeRequestHeader as decodeRequestHeaderFields,
  decodeResponseHeader as decodeResponseHeaderFields,
  encodeRequestHeader as encodeRequestHeaderFields,
  getApi,
  loadedApiCodec,
  requestHeaderVersion,
  responseHeaderVersion,
  type AnyApiCodec,
  type ApiInfo,
  type ApiKey,
  type ApiTypes,
} from './generated/index.js';
import { ProtocolDecodeError, ProtocolEncodeError, Reader, Writer, type FramePart } from './primitives/index.js';

/** The request header plus what the broker needs to dispatch the body. */
export interface RequestHeaderInfo {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** The client id; header v0 has none and gives "" (RequestHeaderData's default, as in Kafka). */
  readonly clientId: string | null;
  /** Request header version used to parse the header (0, 1 or 2). */
  readonly headerVersion: number;
  /** Offset of the body within the frame. */
  readonly bodyOffset: number;
  /** The API for apiKey, or undefined when the key is unknown. */
  readonly api: ApiInfo | undefined;
  /** apiKey is known and apiVersion is one of its valid versions. */
  readonly versionSupported: boolean;
}

/** Fewest bytes of any request header: api key, api version, correlation id. */
const REQUEST_HEADER_FIXED_BYTES = 8;

/**
 * Parses the request header of one frame (without the size prefix). Never throws for an
 * unknown api key or unsupported version (see versionSupported); throws ProtocolDecodeError
 * for a truncated or malformed header.
 */
export function decodeRequestHeader(frame: Buffer): RequestHeaderInfo {
  if (frame.length < REQUEST_HEADER_FIXED_BYTES) {
    throw new ProtocolDecodeError(`request frame of ${frame.length} bytes is shorter than a request header`, 0);
  }
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const r = new Reader(frame);
  const fields = decodeRequestHeaderFields(r, headerVersion);
  const api = getApi(apiKey);
  return {
    apiKey,
    apiVersion,
    correlationId: fields.correlationId,
    clientId: fields.clientId,
    headerVersion,
    bodyOffset: r.offset,
    api,
    versionSupported: api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion,
  };
}

/** A decoded request, discriminated by ok and then by apiKey (narrowing types the body). */
export type DecodedRequest =
  | {
      readonly [K in ApiKey]: {
        readonly ok: true;
        readonly apiKey: K;
        readonly header: RequestHeaderInfo;
        readonly body: ApiTypes[K]['request'];
      };
    }[ApiKey]
  | {
      readonly ok: false;
      readonly reason: 'unknown-api-key' | 'unsupported-version';
      readonly apiKey: number;
      readonly header: RequestHeaderInfo;
    };

/**
 * Decodes a whole request frame (without the size prefix): header, then body. Unknown api
 * keys and unsupported versions come back as { ok: false } with the header; malformed bytes,
 * including bytes left over after the body, throw ProtocolDecodeError.
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const header = decodeRequestHeader(frame);
  const api = header.api;
  if (api === undefined) return { ok: false, reason: 'unknown-api-key', apiKey: header.apiKey, header };
  if (!header.versionSupported) return { ok: false, reason: 'unsupported-version', apiKey: header.apiKey, header };
  const r = new Reader(frame, header.bodyOffset);
  const body = codecOf(api).decodeRequest(r, header.apiVersion);
  r.expectEnd(`${api.name} request v${header.apiVersion}`);
  // The table entry for header.apiKey decoded the body, so apiKey and body match.
  return { ok: true, apiKey: header.apiKey as ApiKey, header, body } as DecodedRequest;
}

/** The writer used when the caller passes none. Safe to share: encoding is synchronous and the output is copied out. */
const sharedWriter = new Writer();

/** The loaded codecs of an API; throws if loadApiCodec has not resolved for it (a caller's bug). */
function codecOf(api: ApiInfo): AnyApiCodec {
  const codec = loadedApiCodec(api.apiKey);
  if (codec === undefined) throw new Error(`the ${api.name} codecs are not loaded: await loadApiCodec(${api.apiKey}) first`);
  return codec;
}

function apiFor(apiKey: number, apiVersion: number, what: string): AnyApiCodec {
  const api = getApi(apiKey);
  if (api === undefined) throw new ProtocolEncodeError(`cannot encode a ${what} for unknown api key ${apiKey}`);
  if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
    throw new ProtocolEncodeError(`cannot encode a ${api.name} ${what} at unsupported version ${apiVersion}`);
  }
  return codecOf(api);
}

/**
 * Encodes a complete response frame: int32 size, response header (v0 or v1), body. Returns
 * the frame as parts in wire order (Buffers and any RecordsSource given as records), ready
 * for writev/sendfile. The writer (default: a shared one) is reset.
 */
export function encodeResponse<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ApiTypes[K]['responseInput'],
  w: Writer = sharedWriter,
): FramePart[] {
  const api = apiFor(apiKey, apiVersion, 'response');
  w.reset();
  w.writeInt32(0); // size, patched below
  w.writeInt32(correlationId);
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) w.writeEmptyTaggedFields();
  try {
    // apiKey's codecs encode exactly ApiTypes[apiKey]['responseInput'].
    api.encodeResponse(w, apiVersion, body as never);
    w.setInt32At(0, w.length - 4);
  } catch (err) {
    w.reset();
    throw err;
  }
  return w.finishParts();
}

/** encodeResponse() flattened into one Buffer; throws if the body holds an external RecordsSource. */
export function encodeResponseBuffer<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ApiTypes[K]['responseInput'],
  w: Writer = sharedWriter,
): Buffer {
  const parts = encodeResponse(apiKey, apiVersion, correlationId, body, w);
  if (parts.length === 1 && Buffer.isBuffer(parts[0])) return parts[0];
  for (const p of parts) {
    if (!Buffer.isBuffer(p)) throw new ProtocolEncodeError('response holds an external RecordsSource; use encodeResponse()');
  }
  return Buffer.concat(parts as Buffer[]);
}

/**
 * Encodes a complete request frame (int32 size, request header, body) for our own client,
 * as one Buffer. Records must be in memory (Buffers).
 */
export function encodeRequest<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: ApiTypes[K]['requestInput'],
  w: Writer = sharedWriter,
): Buffer {
  const api = apiFor(apiKey, apiVersion, 'request');
  w.reset();
  try {
    w.writeInt32(0); // size, patched below
    encodeRequestHeaderFields(w, requestHeaderVersion(apiKey, apiVersion), {
      requestApiKey: apiKey,
      requestApiVersion: apiVersion,
      correlationId,
      clientId,
    });
    // apiKey's codecs encode exactly ApiTypes[apiKey]['requestInput'].
    api.encodeRequest(w, apiVersion, body as never);
    w.setInt32At(0, w.length - 4);
    return w.finish();
  } catch (err) {
    w.reset();
    throw err;
  }
}

/** The correlation id of a response frame (without size prefix), to find the pending request. */
export function readResponseCorrelationId(frame: Buffer): number {
  if (frame.length < 4) throw new ProtocolDecodeError(`response frame of ${frame.length} bytes has no correlation id`, 0);
  return frame.readInt32BE(0);
}

/**
 * Decodes a response frame (without size prefix) to a request we sent with apiKey and
 * apiVersion. Throws ProtocolDecodeError on malformed bytes or bytes left over.
 */
export function decodeResponse<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): { correlationId: number; body: ApiTypes[K]['response'] } {
  const api = codecOf(getApi(apiKey)!);
  const r = new Reader(frame);
  const header = decodeResponseHeaderFields(r, responseHeaderVersion(apiKey, apiVersion));
  const body = api.decodeResponse(r, apiVersion) as ApiTypes[K]['response'];
  r.expectEnd(`${api.name} response v${apiVersion}`);
  return { correlationId: header.correlationId, body };
}
