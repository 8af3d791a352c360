// The web console's files on the admin listener: GET / and /console answer its index.html,
// /console/assets/<name> its content-hashed bundle and stylesheet. The files are built by
// scripts/build-console.mjs (from console/) into dist/console/ with gzip and brotli copies
// beside them; they are read once when the server starts and answered from memory in the
// encoding the browser accepts. The console calls the same /v1 routes as any client, through
// the same request guard (and authentication, once it lands), so it gets no extra power.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { packageRoot } from '../native.js';
import { AdminError } from './errors.js';

/** Where the build writes the console. */
export const CONSOLE_DIR = path.join(packageRoot, 'dist', 'console');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** No inline script, nothing from another origin; uPlot and the layout set inline styles. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface ConsoleFile {
  readonly type: string;
  readonly identity: Buffer;
  readonly gzip: Buffer | null;
  readonly br: Buffer | null;
}

function load(file: string): ConsoleFile {
  const read = (suffix: string) => (existsSync(file + suffix) ? readFileSync(file + suffix) : null);
  return { type: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', identity: readFileSync(file), gzip: read('.gz'), br: read('.br') };
}

function send(request: FastifyRequest, reply: FastifyReply, file: ConsoleFile, cacheControl: string): FastifyReply {
  const accepted = String(request.headers['accept-encoding'] ?? '');
  const [body, encoding] = file.br && /\bbr\b/.test(accepted) ? [file.br, 'br'] : file.gzip && /\bgzip\b/.test(accepted) ? [file.gzip, 'gzip'] : [file.identity, null];
  reply.header('content-type', file.type).header('cache-control', cacheControl).header('vary', 'Accept-Encoding').header('x-content-type-options', 'nosniff');
  if (encoding) reply.header('content-encoding', encoding);
  return reply.send(body);
}

/** Registers the console's routes; without a build, they answer 503 with how to build it. */
export function registerConsole(app: FastifyInstance, dir = CONSOLE_DIR): void {
  const indexPath = path.join(dir, 'index.html');
  const built = existsSync(indexPath);
  const index = built ? load(indexPath) : null;
  const assets = new Map<string, ConsoleFile>();
  if (built) {
    for (const name of readdirSync(path.join(dir, 'assets'))) {
      if (/\.(js|css)$/.test(name)) assets.set(name, load(path.join(dir, 'assets', name)));
    }
  }
  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!index) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The web console is not built: run `npm run build:console` in the package, then restart the broker.\n');
    }
    // Always revalidated, so a new version's asset names are seen at once.
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer');
    return send(request, reply, index, 'no-cache');
  };
  app.get('/', page);
  app.get('/console', page);
  app.get('/console/', page);
  app.get<{ Params: { file: string } }>('/console/assets/:file', async (request, reply) => {
    const file = assets.get(request.params.file);
    if (!file) {
      // An old page asking for the assets of a version this broker no longer serves.
      const e = new AdminError('TIDELOG_ERR_ROUTE_NOT_FOUND', `No console asset ${request.params.file}; reload the console.`);
      return reply.code(e.status).send(e.toBody());
    }
    // Names carry their content's hash: a changed file has a new name.
    return send(request, reply, file, 'public, max-age=31536000, immutable');
  });
}
