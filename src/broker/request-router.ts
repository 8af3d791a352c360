// RequestRouter: turns one request frame into one framed response. Reads the request header
// (its version follows the API's flexible versions), checks the API and version, decodes the
// body with the generated codec, calls the API's handler and encodes the answer with the
// response header. A frame that cannot be parsed closes its connection (as Kafka does); a
// known API in a version or of a kind this broker does not serve gets UNSUPPORTED_VERSION.
import type { Logger } from 'pino';
import { ProtocolDecodeError, Reader, Writer } from '../protocol/primitives/index.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiKey, type AnyApiCodec } from '../protocol/generated/index.js';
import { decodeRequestHeader, encodeResponse, type RequestHeaderInfo } from '../protocol/framing.js';
import type { Answer, ConnectionInfo, RequestHandler, RequestTimes, ResponsePart } from '../server/types.js';
import type { BrokerServices } from '../services/broker-services.js';
import { NO_RESPONSE, type AnyApiHandler, type RequestContext } from './handlers/handler.js';
import { handlers, supportedApiVersions } from './handlers/index.js';

export class RequestRouter implements RequestHandler {
  private readonly writer = new Writer({ initialCapacityBytes: 64 * 1024, maxRetainedBytes: 4 * 1024 * 1024 });
  private readonly byKey = new Map<number, AnyApiHandler>();
  private readonly logger: Logger;

  constructor(private readonly services: BrokerServices) {
    this.logger = services.logger;
    for (const h of handlers) this.byKey.set(h.apiKey, h);
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

    const handler = this.byKey.get(apiKey);
    if (!handler || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      return this.unsupported(api, apiVersion, correlationId);
    }

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

  requestDone(apiKey: number, times: RequestTimes): void {
    this.services.metrics.observeRequestTimes(apiKey, times);
  }

  private answer(api: AnyApiCodec, apiVersion: number, correlationId: number, body: unknown, closeAfter?: string): Answer {
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
  private unsupported(api: AnyApiCodec, apiVersion: number, correlationId: number): Answer {
    if (api.apiKey === ApiKey.ApiVersions) {
      return {
        parts: this.encode(ApiKey.ApiVersions, 0, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApiVersions() }),
      };
    }
    if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
      return { close: `${api.name} v${apiVersion} is not a version Kafka defines` };
    }
    this.logger.debug({ api: api.name, apiVersion }, 'request for an API or version this broker does not serve');
    return { parts: this.encode(api.apiKey as ApiKey, apiVersion, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION }) };
  }
}
