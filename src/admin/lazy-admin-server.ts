// LazyAdminServer: the admin API off the broker's start-up path. At start-up it only binds
// admin.listener with Node's own http/https server (so a port in use still fails start-up,
// naming admin.listener, and 'admin listening' says the bound port at once); the admin API
// itself (fastify, the routes, the OpenAPI document, Swagger UI and the web console:
// server.ts) loads on the first HTTP request, or ADMIN_LOAD_DELAY_MS after start-up when no
// request came, whichever is first. Requests that arrive while it loads wait and are then
// answered in order. Why: loading that module graph took the JS thread for longer than the
// rest of start-up, and a producer's first request waited behind it (bench/startup.ts:
// no-admin against default, BENCHMARKS.md "Start-up").
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { BrokerServices } from '../services/broker-services.js';
import { parseAdminListener } from './admin-listener.js';
import { AdminAuthenticator, adminTls, type PasswordCheck } from './authentication.js';
import type { AdminServer } from './server.js';

/** With no request before, the admin API loads this long after start-up (so the first scrape is not the slow one). */
export const ADMIN_LOAD_DELAY_MS = 1_000;
/** As fastify's defaults for the server it would create: keep-alive, and server.ts's request timeout. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** Requests held while the admin API loads; more are answered 503. */
const PENDING_REQUESTS_MAX = 1_000;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export class LazyAdminServer {
  private admin: AdminServer | null = null;
  private loading: Promise<void> | null = null;
  private failed = false;
  private closed = false;
  private readonly pending: [IncomingMessage, ServerResponse][] = [];
  private handler: Handler | null = null;
  private loadTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly server: HttpServer | HttpsServer,
    readonly host: string,
    readonly port: number,
    private readonly https: boolean,
    private readonly load: (attach: { server: HttpServer | HttpsServer; setHandler(h: Handler): void }) => Promise<AdminServer>,
    private readonly logger: Logger,
  ) {}

  get url(): string {
    return `${this.https ? 'https' : 'http'}://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  static async start(services: BrokerServices, listener: string, logger: Logger, passwordCheck: PasswordCheck | null = null): Promise<LazyAdminServer> {
    const { https, host, port } = parseAdminListener(listener);
    const tls = adminTls(services.config, https);
    // Built here for what the start-up line says; server.ts builds its own for the requests.
    const authenticator = new AdminAuthenticator(services.config, passwordCheck, logger);
    const server = tls ? createHttpsServer({ ...tls.options, requestCert: tls.requestCert, rejectUnauthorized: false }) : createHttpServer();
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(Object.assign(new Error(`admin API cannot listen on ${listener} (admin.listener): ${err.code ?? err.message}`), { code: err.code }));
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const bound = (server.address() as AddressInfo).port;
    const load = async (attach: { server: HttpServer | HttpsServer; setHandler(h: Handler): void }) => {
      const { AdminServer } = await import('./server.js');
      return AdminServer.start(services, listener, logger, passwordCheck, attach);
    };
    const lazy = new LazyAdminServer(server, host, bound, https, load, logger);
    server.on('request', lazy.onRequest);
    lazy.loadTimer = setTimeout(() => void lazy.ensureLoaded(), ADMIN_LOAD_DELAY_MS);
    lazy.loadTimer.unref();
    const authentication = authenticator.required ? [...authenticator.methods].join(',') : 'none';
    const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
    // Says where it listens and how it lets people in: loopback only unless admin.listener says otherwise.
    logger.info({ host, port: bound, url: lazy.url, loopbackOnly: loopback, authentication, authorization: services.authorizer ? 'acls' : 'none' }, 'admin listening');
    if (!loopback && !authenticator.required) logger.warn({ url: lazy.url }, 'the admin API is reachable from other hosts without authentication: set admin.authentication');
    return lazy;
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.handler) {
      this.handler(req, res);
      return;
    }
    if (this.failed || this.pending.length >= PENDING_REQUESTS_MAX) {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'TIDELOG_ERR_INTERNAL', message: 'The admin API could not start; see the broker log.' } }));
      return;
    }
    this.pending.push([req, res]);
    void this.ensureLoaded();
  };

  /** Loads the admin API (once); resolves when it answers requests. */
  ensureLoaded(): Promise<void> {
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.loadTimer = null;
    this.loading ??= (async () => {
      if (this.closed) return;
      let handler: Handler | null = null;
      try {
        this.admin = await this.load({ server: this.server, setHandler: (h) => (handler = h) });
      } catch (err) {
        this.failed = true;
        this.logger.error({ err }, 'the admin API could not start');
      }
      if (this.closed) {
        await this.admin?.close().catch(() => {});
        return;
      }
      this.handler = handler;
      for (const [req, res] of this.pending.splice(0)) this.onRequest(req, res);
    })();
    return this.loading;
  }

  /** Stops accepting, finishes requests in flight and closes open connections. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.loadTimer = null;
    await this.loading?.catch(() => {});
    await this.admin?.close().catch(() => {});
    for (const [, res] of this.pending.splice(0)) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
