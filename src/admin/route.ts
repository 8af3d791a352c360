// The shape of an admin route: method, path, zod schemas for what comes in and goes out,
// the error codes it may answer, and a handler that validates nothing itself (the server
// parses params, query and body with the schemas first) and calls one subsystem.
// The same definition registers the fastify route and writes its OpenAPI operation.
import type { z } from 'zod';
import type { AdminErrorCode } from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE' | 'PATCH';

export interface RouteResponse<R extends z.ZodType | undefined> {
  readonly status: number;
  readonly description: string;
  /** The JSON body's schema; undefined for no body (204) or a non-JSON body (contentType). */
  readonly schema?: R;
  /** A non-JSON response (e.g. the Prometheus text format); the handler returns a string. */
  readonly contentType?: string;
}

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;
type Reply<R> = R extends z.ZodType ? z.input<R> : R extends undefined ? string | void : never;

export interface RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined, R extends z.ZodType | undefined> {
  readonly method: HttpMethod;
  /** fastify syntax: /v1/topics/:name */
  readonly url: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly response: RouteResponse<R>;
  /** Error codes this route can answer (besides validation and internal errors), for the OpenAPI document. */
  readonly errors: readonly AdminErrorCode[];
  handle(input: { params: Infer<P>; query: Infer<Q>; body: Infer<B> }): Promise<Reply<R>> | Reply<R>;
}

/** A route with its types erased, for the registry. */
export interface AdminRoute extends RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined> {}

export function defineRoute<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined, R extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<P, Q, B, R>,
): AdminRoute {
  return spec as unknown as AdminRoute;
}
