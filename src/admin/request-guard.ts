// RequestGuard: which browsers and names may reach the admin API, checked on every request
// before routing (fastify onRequest), until and beyond authentication.
//
// Host (DNS rebinding): a web page on attacker.example can re-point its own name at
// 127.0.0.1 and then call the API "same-origin"; its requests still carry
// `Host: attacker.example`. So the Host header's name must be one this listener answers to:
// its configured host and the addresses that name resolves to; on a loopback listener
// localhost, 127.0.0.1 and ::1; on a wildcard listener (0.0.0.0, ::) also this machine's
// interface addresses and hostname; plus `admin.allowed.hosts` (exact names, `.example.com`
// for a domain and its subdomains, `*` to turn the check off behind a proxy that checks it).
// The port is not compared (a rebound page uses the API's port). Refused: 421.
//
// Origin (cross-site requests): a browser names the page's origin in `Origin` (always on
// POST, PATCH, DELETE and CORS requests) and its relation in `Sec-Fetch-Site`. A request is
// refused (403) when its Origin is not the API's own origin (scheme http(s), and host:port
// equal to the Host header it was sent with) or when Sec-Fetch-Site says another site or
// origin. Requests with neither header (curl, Kafka tools, scripts) pass.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import { AdminError } from './errors.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARD_HOSTS = ['', '0.0.0.0', '::'];
/** Sec-Fetch-Site values of requests a page of this origin made, or a user typed. */
const SAME_ORIGIN_FETCH_SITES = ['same-origin', 'none'];

export interface HostPolicy {
  /** `admin.allowed.hosts` has `*`: every Host passes. */
  readonly anyHost: boolean;
  /** Exact names and addresses, lower case, IPv6 without brackets. */
  readonly names: ReadonlySet<string>;
  /** Domain suffixes from `.example.com` entries (with the leading dot). */
  readonly suffixes: readonly string[];
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The name of a Host header (or a URL host) without its port, lower case, IPv6 unbracketed; null when unreadable. */
export function hostName(header: string): string | null {
  const h = header.trim().toLowerCase();
  if (h === '') return null;
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d+)?$/.exec(h);
  if (bracketed) return bracketed[1]!;
  const m = /^([a-z0-9._-]+)(?::\d+)?$/.exec(h);
  if (!m) return null;
  return m[1]!.replace(/\.$/, '');
}

/**
 * The names a listener on `listenerHost` answers to (see the header), plus `allowedHosts`.
 * `resolve` gives the addresses of a named listener host (dns lookup in production).
 */
export async function buildHostPolicy(
  listenerHost: string,
  allowedHosts: readonly string[],
  resolve: (name: string) => Promise<string[]> = resolveAll,
): Promise<HostPolicy> {
  const host = listenerHost.toLowerCase();
  const names = new Set<string>();
  const suffixes: string[] = [];
  if (WILDCARD_HOSTS.includes(host)) {
    for (const n of LOOPBACK_NAMES) names.add(n);
    names.add(os.hostname().toLowerCase());
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase().replace(/%.*$/, ''));
  } else {
    names.add(host);
    if (isLoopback(host)) for (const n of LOOPBACK_NAMES) names.add(n);
    if (isIP(host) === 0) for (const a of await resolve(host)) names.add(a.toLowerCase());
  }
  let anyHost = false;
  for (const entry of allowedHosts) {
    const e = entry.trim().toLowerCase();
    if (e === '*') anyHost = true;
    else if (e.startsWith('.')) suffixes.push(e);
    else names.add(e.replace(/^\[|\]$/g, ''));
  }
  return { anyHost, names, suffixes };
}

async function resolveAll(name: string): Promise<string[]> {
  try {
    return (await lookup(name, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

export function hostAllowed(policy: HostPolicy, name: string): boolean {
  if (policy.anyHost || policy.names.has(name)) return true;
  return policy.suffixes.some((s) => name.endsWith(s) || name === s.slice(1));
}

export interface GuardedHeaders {
  readonly host?: string | undefined;
  readonly origin?: string | undefined;
  readonly 'sec-fetch-site'?: string | undefined;
}

/** host:port of a URL authority with the scheme's default port made explicit, for comparison. */
function authority(scheme: 'http:' | 'https:', host: string): string | null {
  try {
    const u = new URL(`${scheme}//${host}`);
    return `${u.hostname}:${u.port || (scheme === 'https:' ? '443' : '80')}`;
  } catch {
    return null;
  }
}

/** The refusal of a request by its Host, Origin and Sec-Fetch-Site headers, or null to let it through. */
export function refusal(policy: HostPolicy, headers: GuardedHeaders): AdminError | null {
  const hostHeader = headers.host;
  // HTTP/1.1 requires Host (Node refuses a request without it); an HTTP/1.0 client without
  // one is no browser.
  if (hostHeader !== undefined) {
    const name = hostName(hostHeader);
    if (name === null || !hostAllowed(policy, name)) {
      return new AdminError(
        'TIDELOG_ERR_HOST_NOT_ALLOWED',
        `Host ${JSON.stringify(hostHeader)} is not a name of this admin listener; add it to admin.allowed.hosts to allow it.`,
      );
    }
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    let own = false;
    try {
      const u = new URL(origin);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && hostHeader !== undefined) {
        own = authority(u.protocol, u.host) === authority(u.protocol, hostHeader);
      }
    } catch {
      own = false; // "null" (a sandboxed or file: page) or no URL at all
    }
    if (!own) return new AdminError('TIDELOG_ERR_ORIGIN_NOT_ALLOWED', `Requests from origin ${JSON.stringify(origin)} are refused: the admin API serves only its own origin.`);
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && !SAME_ORIGIN_FETCH_SITES.includes(site.toLowerCase())) {
    return new AdminError('TIDELOG_ERR_ORIGIN_NOT_ALLOWED', `Cross-origin requests (Sec-Fetch-Site: ${site}) are refused: the admin API serves only its own origin.`);
  }
  return null;
}
