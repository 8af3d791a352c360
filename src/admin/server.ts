// AdminServer: the HTTP admin API (fastify) on `admin.listener`. Routes are defined once
// (src/admin/routes/*) with zod schemas; this file registers them, parses every request's
// params, query and body with those schemas before a handler runs, turns every failure into
// the registry's { error: { code, message } } body, and serves the OpenAPI document at
// /openapi.json and Swagger UI at /docs (assets from the package, no network needed), and
// the web console at / and /console (console.ts).
//
// Every request first passes the RequestGuard (request-guard.ts): its Host must name this
// listener (DNS rebinding) and a browser request must come from the API's own origin.
//
// Started by the Broker after its Kafka listeners, stopped first on shutdown. Handlers run
// on the broker's event loop and call the same subsystems the Kafka handlers call.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { parseAdminListener } from './admin-listener.js';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { BrokerServices } from '../services/broker-services.js';
import { ConfigError } from '../config/config-def.js';
import { packageRoot } from '../native.js';
import { AdminError, type AdminErrorDetail } from './errors.js';
import type { AdminContext } from './context.js';
import { ClusterClient } from './cluster-client.js';
import { registerConsole } from './console.js';
import { buildOpenApiDocument } from './openapi.js';
import { buildHostPolicy, refusal } from './request-guard.js';
import type { AdminRoute } from './route.js';
import { AdminAuthenticator, adminTls, type PasswordCheck } from './authentication.js';
import { routeAccess, type AccessOperation, type AccessResource, type RouteAccess } from './access-policy.js';
import { CLUSTER_NAME, parseOperation, parseResourceType } from '../protocol/acl.js';
import { ANONYMOUS, principalText, type KafkaPrincipal } from '../security/principal.js';
import { Counter } from 'prom-client';
import { clusterRoutes } from './routes/cluster.js';
import { topicRoutes } from './routes/topics.js';
import { groupRoutes } from './routes/groups.js';
import { shareGroupRoutes } from './routes/share-groups.js';
import { operationRoutes } from './routes/operations.js';
import { transactionRoutes } from './routes/transactions.js';
import { messageRoutes } from './routes/messages.js';
import { clusterOpsRoutes } from './routes/cluster-ops.js';

/** Largest request body accepted (fastify's bodyLimit); admin bodies are small JSON. */
export const ADMIN_BODY_MAX_BYTES = 1024 * 1024;
/** How long a request may take before fastify answers 503 itself (a reset waits for an append). */
const ADMIN_REQUEST_TIMEOUT_MS = 60_000;
export { parseAdminListener, type AdminListener } from './admin-listener.js';

/**
 * A server bound already (lazy-admin-server.ts binds admin.listener at start-up and loads this
 * module on the first request): the app attaches to it instead of listening, and hands its
 * request handler to `setHandler`.
 */
export interface BoundAdminServer {
  readonly server: HttpServer | HttpsServer;
  setHandler(handler: (req: IncomingMessage, res: ServerResponse) => void): void;
}

/** Every route of the admin API, in the order the OpenAPI document lists them. */
export function adminRoutes(ctx: AdminContext, document: () => unknown): AdminRoute[] {
  return [...clusterRoutes(ctx), ...topicRoutes(ctx), ...messageRoutes(ctx), ...groupRoutes(ctx), ...shareGroupRoutes(ctx), ...transactionRoutes(ctx), ...clusterOpsRoutes(ctx), ...operationRoutes(ctx, document)];
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function parsePart<S extends z.ZodType | undefined>(schema: S, value: unknown, where: 'params' | 'query' | 'body'): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details: AdminErrorDetail[] = result.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  const summary = details.slice(0, 3).map((d) => `${d.path}: ${d.message}`).join('; ');
  throw new AdminError('TIDELOG_ERR_VALIDATION', `Invalid request: ${summary}${details.length > 3 ? ` (and ${details.length - 3} more)` : ''}`, details);
}

/** fastify's own errors (body parsing, limits) as registry errors. */
function fromFastifyError(err: FastifyError): AdminError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AdminError('TIDELOG_ERR_BODY_TOO_LARGE', `Request body is larger than ${ADMIN_BODY_MAX_BYTES} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AdminError('TIDELOG_ERR_UNSUPPORTED_MEDIA_TYPE', 'Request body must be application/json.');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return new AdminError('TIDELOG_ERR_BAD_REQUEST', err.message);
  return null;
}

/** The 403 of a route whose ACL the principal lacks (Kafka's authorizer wording). */
function forbidden(principal: KafkaPrincipal, access: Exclude<RouteAccess, 'public' | 'authenticated'>, name: string): AdminError {
  const resource = access.orOnName ? access.orOnName.resource : access.resource;
  return new AdminError('TIDELOG_ERR_FORBIDDEN', `Principal ${principalText(principal)} is not authorized to ${access.operation} ${resource}${resource === 'CLUSTER' ? '' : ` ${name}`}.`);
}

export class AdminServer {
  private constructor(
    private readonly app: FastifyInstance,
    readonly host: string,
    readonly port: number,
    private readonly https: boolean,
    private readonly logger: Logger,
    private readonly clusterClient: ClusterClient,
  ) {}

  /** http(s)://host:port of the bound server. */
  get url(): string {
    return `${this.https ? 'https' : 'http'}://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /**
   * `passwordCheck` verifies HTTP Basic credentials (admin.authentication=basic) against the
   * SCRAM users; null when the broker has none to check against.
   */
  static async start(services: BrokerServices, listener: string, logger: Logger, passwordCheck: PasswordCheck | null = null, attachTo: BoundAdminServer | null = null): Promise<AdminServer> {
    const { https, host, port } = parseAdminListener(listener);
    const tls = adminTls(services.config, https);
    const authenticator = new AdminAuthenticator(services.config, passwordCheck, logger);
    const authFailures = new Counter({
      name: 'tidelog_admin_authentication_failures_total',
      help: 'Admin API requests refused 401 for wrong credentials (admin.authentication); requests without any are not counted.',
      registers: [services.metrics.registry],
      collect() {
        this.reset();
        this.inc(authenticator.failures);
      },
    });
    void authFailures;
    /** Each request's principal, set before routing, read by the route's authorization. */
    const principals = new WeakMap<object, KafkaPrincipal>();
    const apiRoutes = new Set<string>();
    const hostPolicy = await buildHostPolicy(host, services.config.values['admin.allowed.hosts']);
    const clusterClient = new ClusterClient(services);
    const ctx: AdminContext = { services, version: packageVersion(), groupAdmin: () => clusterClient.groupAdmin(), kafkaClient: () => clusterClient.kafkaClient() };
    let document: Record<string, unknown> = {};
    const routes = adminRoutes(ctx, () => document);
    document = buildOpenApiDocument(routes, {
      title: 'Tidelog admin API',
      version: ctx.version,
      description: 'Topics, consumer groups, cluster state, health and metrics of a Tidelog broker. Errors are { error: { code, message } } with the codes listed in ErrorBody.',
    });

    const app = Fastify({
      logger: false,
      bodyLimit: ADMIN_BODY_MAX_BYTES,
      requestTimeout: ADMIN_REQUEST_TIMEOUT_MS,
      forceCloseConnections: true,
      // A client certificate is asked for (mtls) but not required at the TLS level: Basic and
      // public routes work without one; AdminAuthenticator decides.
      ...(tls ? { https: { ...tls.options, requestCert: tls.requestCert, rejectUnauthorized: false } } : {}),
      ...(attachTo
        ? {
            serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
              attachTo.setHandler(handler);
              return attachTo.server;
            },
          }
        : {}),
    } as never) as unknown as FastifyInstance;
    for (const route of routes) apiRoutes.add(`${route.method} ${route.url}`);
    // JSON only: without fastify's text/plain parser a text body is a 415, not a string to validate.
    app.removeContentTypeParser('text/plain');
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const known = err instanceof AdminError ? err : fromFastifyError(err);
      if (known?.code === 'TIDELOG_ERR_UNAUTHENTICATED' && authenticator.challenge) reply.header('WWW-Authenticate', authenticator.challenge);
      if (known) return reply.code(known.status).send(known.toBody());
      logger.error({ err, method: request.method, url: request.url }, 'admin request failed');
      const internal = new AdminError('TIDELOG_ERR_INTERNAL', `Internal error: ${err.message}`);
      return reply.code(internal.status).send(internal.toBody());
    });
    // Before routing, so that no route, Swagger UI asset or 404 answers a refused request.
    app.addHook('onRequest', async (request) => {
      const refused = refusal(hostPolicy, request.headers as Record<string, string | undefined>);
      if (refused) {
        logger.warn({ method: request.method, url: request.url, host: request.headers.host, origin: request.headers.origin, code: refused.code }, 'admin request refused');
        throw refused;
      }
      // Authentication, for every route but the public ones (health, the OpenAPI document);
      // the console's files and Swagger UI need it too, so a browser asks for credentials once.
      const pattern = request.routeOptions.url;
      const isApi = pattern !== undefined && apiRoutes.has(`${request.method} ${pattern}`);
      if (isApi && routeAccess(request.method, pattern) === 'public') return;
      const principal = authenticator.authenticate(request.headers, request.raw.socket, request.ip);
      if (principal === null && authenticator.required) throw authenticator.missing();
      principals.set(request, principal ?? ANONYMOUS);
    });
    app.setNotFoundHandler((request, reply) => {
      const e = new AdminError('TIDELOG_ERR_ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}; see /openapi.json.`);
      return reply.code(e.status).send(e.toBody());
    });

    for (const route of routes) {
      app.route({
        method: route.method,
        url: route.url,
        handler: async (request, reply) => {
          const input = {
            params: parsePart(route.params, request.params, 'params'),
            query: parsePart(route.query, request.query, 'query'),
            body: parsePart(route.body, request.body, 'body'),
          };
          // Authorization with the Kafka ACLs, before the route touches anything.
          const access = routeAccess(route.method, route.url);
          const authorizer = services.authorizer;
          if (authorizer && access !== 'public' && access !== 'authenticated') {
            const principal = principals.get(request) ?? ANONYMOUS;
            const allowed = (operation: AccessOperation, resource: AccessResource, name: string, logIfDenied = true) =>
              authorizer.authorize(principal, request.ip, parseOperation(operation)!, parseResourceType(resource)!, name, logIfDenied);
            const target = { params: (input.params ?? {}) as Record<string, unknown>, body: input.body };
            const name = access.name ? access.name(target) : CLUSTER_NAME;
            const ok = access.orOnName
              ? allowed(access.operation, access.resource, name, false) || allowed(access.operation, access.orOnName.resource, access.orOnName.name(target))
              : allowed(access.operation, access.resource, name);
            if (!ok) throw forbidden(principal, access, access.orOnName ? access.orOnName.name(target) : name);
          }
          const result = await route.handle(input as never);
          reply.code(route.response.status);
          if (route.response.contentType) return reply.type(route.response.contentType).send(result);
          if (route.response.schema === undefined) return reply.send();
          return reply.send(result);
        },
      });
    }
    // Swagger UI over the document built above (static mode: no second schema source).
    await app.register(fastifySwagger, { mode: 'static', specification: { document: document as never } });
    await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
    // The web console at / and /console (console.ts), over the routes above.
    registerConsole(app);

    try {
      if (attachTo) await app.ready();
      else await app.listen({ host, port });
    } catch (err) {
      await app.close().catch(() => {});
      clusterClient.close();
      const e = err as NodeJS.ErrnoException;
      throw Object.assign(new Error(`admin API cannot listen on ${listener} (admin.listener): ${e.code ?? e.message}`), { code: e.code });
    }
    const bound = (app.server.address() as AddressInfo).port;
    const server = new AdminServer(app, host, bound, https, logger, clusterClient);
    // Attached: the lazy server said where it listens when it bound.
    if (attachTo) return server;
    const authentication = authenticator.required ? [...authenticator.methods].join(',') : 'none';
    const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
    // Says where it listens and how it lets people in: loopback only unless admin.listener says otherwise.
    logger.info({ host, port: bound, url: server.url, loopbackOnly: loopback, authentication, authorization: services.authorizer ? 'acls' : 'none' }, 'admin listening');
    if (!loopback && !authenticator.required) logger.warn({ url: server.url }, 'the admin API is reachable from other hosts without authentication: set admin.authentication');
    return server;
  }

  /** Stops accepting, finishes requests in flight and closes open connections. */
  async close(): Promise<void> {
    await this.app.close();
    this.clusterClient.close();
    this.logger.debug('admin server closed');
  }
}
