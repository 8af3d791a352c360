// The shape of an API handler: one file per API key under src/broker/handlers, each
// declaring the versions it serves and turning a decoded request into a response body.
// Kafka errors go into the response as codes; a throw here is a bug.
import type { ApiKey, ApiTypes } from '../../protocol/generated/index.js';
import type { ConnectionInfo } from '../../server/types.js';
import type { BrokerServices } from '../../services/broker-services.js';

export interface RequestContext {
  readonly services: BrokerServices;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connection: ConnectionInfo;
  /**
   * Milliseconds the request waited in a purgatory (Kafka's remote time): the ISR for an
   * acks=-1 produce, new data for a long-poll fetch. Set by ReplicaManager; the metrics split
   * the handler's time into local and remote with it.
   */
  remoteMs: number;
  /**
   * Set by a handler whose response must be the connection's last (a refused SASL exchange):
   * the router closes the connection, with this reason, once the response is written.
   */
  closeAfterResponse?: string;
}


/** Returned by a handler that must not answer (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');

export type HandlerResult<K extends ApiKey> = ApiTypes[K]['responseInput'] | typeof NO_RESPONSE;

export interface ApiHandler<K extends ApiKey> {
  readonly apiKey: K;
  /** Versions served, advertised in ApiVersions. */
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(request: ApiTypes[K]['request'], ctx: RequestContext): HandlerResult<K> | Promise<HandlerResult<K>>;
}

/** Declares a handler with its key's request and response types. */
export function defineHandler<K extends ApiKey>(handler: ApiHandler<K>): ApiHandler<K> {
  return handler;
}

/** Any handler, for the registry. */
export type AnyApiHandler = ApiHandler<ApiKey>;
