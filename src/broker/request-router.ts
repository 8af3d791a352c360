// RequestRouter: turns one request frame into one framed response. Reads the request header
// (its version follows the API's flexible versions), checks the API and version, decodes the
// body with the generated codec, calls the API's handler and encodes the answer with the
// response header. A frame that cannot be parsed closes its connection (as Kafka does); a
// known API in a version or of a kind this broker does not serve gets UNSUPPORTED_VERSION.
//
// An API's handler and codecs are imported on its first request (handlers/index.ts,
// loadApiCodec), so a broker starting up loads only what its first requests need. While one
// loads, every request that arrives waits behind it, so requests are still handled in the
// order they came; once loaded, an API is dispatched synchronously as before.
import type { Logger } from 'pino';
import { ProtocolDecodeError, Reader, Writer } from '../protocol/primitives/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiKey, loadApiCodec, loadedApiCodec, type AnyApiCodec, type ApiInfo } from '../protocol/generated/index.js';
import { decodeRequestHeader, encodeResponse, type RequestHeaderInfo } from '../protocol/framing.js';
import type { Answer, ConnectionInfo, RequestHandler, RequestTimes, ResponsePart } from '../server/types.js';
import type { BrokerServices } from '../services/broker-services.js';
import { NO_RESPONSE, type AnyApiHandler, type RequestContext } from './handlers/handler.js';
import { servedApis, supportedApiVersions, type ServedApi } from './handlers/index.js';

const ignore = (): void => {};

export class RequestRouter implements RequestHandler {
  private readonly writer = new Writer({ initialCapacityBytes: 64 * 1024, maxRetainedBytes: 4 * 1024 * 1024 });
  /** The served APIs by key; their handlers by key once loaded. */
  private readonly served: Array<ServedApi | undefined> = [];
  private readonly handlers: Array<AnyApiHandler | undefined> = [];
  /** Settles when the handlers and codecs being loaded are in; null when nothing loads. */
  private loading: Promise<void> | null = null;
  private readonly logger: Logger;

  constructor(private readonly services: BrokerServices) {
    this.logger = services.logger;
    for (const s of servedApis) this.served[s.apiKey] = s;
  }

  handle(frame: Buffer, connection: ConnectionInfo): Answer | Promise<Answer> {
    // SASL (security/sasl): raw tokens after SaslHandshake v0, then the authentication gate.
    const sasl = this.services.sasl;
    if (sasl.expectsRawToken(connection)) {
      const token = sasl.rawToken(connection, frame);
      return token === null ? { close: 'SASL authentication failed' } : { parts: [token] };
    }
    if (connection.authenticating && frame.length < 8) return { close: `request of ${frame.length} bytes during SASL authentication` };
    let header: RequestHeaderInfo;
    try {
      header = decodeRequestHeader(frame);
    } catch (err) {
      return { close: `malformed request header: ${(err as Error).message}` };
    }
    const { api, apiKey, apiVersion, correlationId } = header;
    if (!api) return { close: `unknown API key ${apiKey}` };
    const refused = sasl.gate(connection, apiKey);
    if (refused !== null) return { close: refused };

    const served = this.served[apiKey];
    if (!served || apiVersion < served.minVersion || apiVersion > served.maxVersion) {
      return this.unsupported(api, apiVersion, correlationId);
    }
    const handler = this.handlers[apiKey];
    const codec = loadedApiCodec(apiKey);
    if (handler === undefined || codec === undefined || this.loading !== null) {
      return this.afterLoading(apiKey, () => this.dispatch(frame, connection, header, this.handlers[apiKey]!, loadedApiCodec(apiKey)!));
    }
    return this.dispatch(frame, connection, header, handler, codec);
  }

  private dispatch(frame: Buffer, connection: ConnectionInfo, header: RequestHeaderInfo, handler: AnyApiHandler, api: AnyApiCodec): Answer | Promise<Answer> {
    const { apiKey, apiVersion, correlationId } = header;
    let request: unknown;
    try {
      // Bytes after the body are ignored, as Kafka does.
      request = api.decodeRequest(new Reader(frame, header.bodyOffset), apiVersion);
    } catch (err) {
      if (err instanceof ProtocolDecodeError) return { close: `malformed ${api.name} v${apiVersion} request: ${err.message}` };
      throw err;
    }

    const ctx: RequestContext = { services: this.services, apiVersion, correlationId, clientId: header.clientId, connection, remoteMs: 0 };
    const startedMs = performance.now();
    const result = handler.handle(request as never, ctx);
    this.services.metrics.observeRequest(apiKey, request, result, startedMs, ctx);
    if (result instanceof Promise) return result.then((r) => this.answer(api, apiVersion, correlationId, r, ctx.closeAfterResponse));
    return this.answer(api, apiVersion, correlationId, result, ctx.closeAfterResponse);
  }

  /**
   * Runs `then` once the API's codecs (and its handler, if served) are loaded and every load
   * started before it is done: a request that arrives while an API loads is handled after the
   * requests before it, whatever its API.
   */
  private afterLoading(apiKey: number, then: () => Answer | Promise<Answer>): Promise<Answer> {
    const loaded = (this.loading ?? Promise.resolve()).then(() => this.load(apiKey));
    const settled = loaded.then(ignore, ignore);
    this.loading = settled;
    void settled.then(() => {
      if (this.loading === settled) this.loading = null;
    });
    return loaded.then(then);
  }

  private async load(apiKey: number): Promise<void> {
    const served = this.served[apiKey];
    if (served !== undefined && this.handlers[apiKey] === undefined) {
      const [handler] = await Promise.all([served.load(), loadApiCodec(apiKey)]);
      this.handlers[apiKey] = handler;
    } else {
      await loadApiCodec(apiKey);
    }
  }

  requestDone(apiKey: number, times: RequestTimes): void {
    this.services.metrics.observeRequestTimes(apiKey, times);
  }

  private answer(api: ApiInfo, apiVersion: number, correlationId: number, body: unknown, closeAfter?: string): Answer {
    if (body === NO_RESPONSE) return closeAfter === undefined ? null : { close: closeAfter };
    const parts = this.encode(api.apiKey as ApiKey, apiVersion, correlationId, body);
    return closeAfter === undefined ? { parts } : { parts, closeAfter };
  }

  /** Frames a response; the only records sources handlers put into responses are log FileRanges (fetch). */
  private encode(apiKey: ApiKey, apiVersion: number, correlationId: number, body: unknown): ResponsePart[] {
    return encodeResponse(apiKey, apiVersion, correlationId, body as never, this.writer) as ResponsePart[];
  }

  /**
   * A known API this broker does not serve in this version. ApiVersions answers with
   * UNSUPPORTED_VERSION in a v0 body listing what is served (KIP-511: the client retries
   * with a version from the list); other APIs get their response with the error code where
   * the version's schema can carry it, or a closed connection where it cannot.
   */
  private unsupported(api: ApiInfo, apiVersion: number, correlationId: number): Answer | Promise<Answer> {
    if (api.apiKey !== ApiKey.ApiVersions && (apiVersion < api.minVersion || apiVersion > api.maxVersion)) {
      return { close: `${api.name} v${apiVersion} is not a version Kafka defines` };
    }
    // The answer needs the API's response codec.
    if (loadedApiCodec(api.apiKey) === undefined || this.loading !== null) {
      return this.afterLoading(api.apiKey, () => this.answerUnsupported(api, apiVersion, correlationId));
    }
    return this.answerUnsupported(api, apiVersion, correlationId);
  }

  private answerUnsupported(api: ApiInfo, apiVersion: number, correlationId: number): Answer {
    if (api.apiKey === ApiKey.ApiVersions) {
      return {
        parts: this.encode(ApiKey.ApiVersions, 0, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApiVersions() }),
      };
    }
    this.logger.debug({ api: api.name, apiVersion }, 'request for an API or version this broker does not serve');
    return { parts: this.encode(api.apiKey as ApiKey, apiVersion, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION }) };
  }
}
