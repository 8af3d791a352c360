// Who is calling the admin API (admin.authentication): HTTP Basic checked against the SCRAM
// users the Kafka listeners authenticate (`basic`), and a client certificate trusted by the
// admin listener's trust store (`mtls`, https only; the principal is mapped from its subject
// as a Kafka SSL listener maps it). With no method configured every request is
// User:ANONYMOUS, as a PLAINTEXT Kafka client is. Also the admin listener's TLS: an https
// admin.listener takes the ssl.* keys of the listener named ADMIN
// (listener.name.admin.ssl.*), else the broker-wide ones.
//
// Failed authentications are counted and logged at most once a second (a password-guessing
// loop must not flood the log); passwords are never logged. A SCRAM check costs a PBKDF2 of
// the stored iterations (milliseconds), and the console polls several routes every few
// seconds: a verified user:password is remembered for BASIC_CACHE_MS under an HMAC with a
// per-process key, so a changed or deleted password stops working on the admin API within
// that time.
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config-def.js';
import { listenerConfigValue, listenerRawValue, type BrokerConfig } from '../config/broker-config.js';
import { loadSslStores, type LoadedStores } from '../config/ssl-stores.js';
import { userPrincipal, type KafkaPrincipal } from '../security/principal.js';
import { listenerSslSettings } from '../security/tls/listener-tls.js';
import { SslPrincipalMapper, subjectDn } from '../security/tls/principal-mapper.js';
import { AdminError } from './errors.js';

/** The listener name the admin API's per-listener keys use: listener.name.admin.ssl.*. */
export const ADMIN_LISTENER_NAME = 'ADMIN';

export type AdminAuthMethod = 'basic' | 'mtls';

/** Checks a user's password (SCRAM credentials); false for an unknown user or a wrong password. */
export type PasswordCheck = (user: string, password: string) => boolean;

/** The admin listener's TLS: the server options and whether client certificates are asked for. */
export interface AdminTls {
  readonly options: LoadedStores['options'];
  readonly requestCert: boolean;
}

function keyName(config: BrokerConfig): (key: string) => string {
  return (key) => (listenerRawValue(config, ADMIN_LISTENER_NAME, key) !== undefined ? `listener.name.admin.${key}` : key);
}

/**
 * The https admin listener's TLS from the ssl.* keys; throws ConfigError naming the key when
 * there is no key store, or when mtls is asked for over http.
 */
export function adminTls(config: BrokerConfig, https: boolean): AdminTls | null {
  const methods = new Set(config.values['admin.authentication']);
  if (!https) {
    if (methods.has('mtls')) throw new ConfigError('admin.authentication', config.values['admin.authentication'].join(','), 'mtls needs an https:// admin.listener');
    return null;
  }
  const name = keyName(config);
  const stores = loadSslStores(listenerSslSettings(config, ADMIN_LISTENER_NAME), name);
  if (!stores.hasKeystore) throw new ConfigError(name('ssl.keystore.location'), '', 'an https:// admin.listener needs a key store: set ssl.keystore.location (or listener.name.admin.ssl.keystore.location)');
  const clientAuth = listenerConfigValue(config, ADMIN_LISTENER_NAME, 'ssl.client.auth') ?? 'none';
  return { options: stores.options, requestCert: methods.has('mtls') || clientAuth !== 'none' };
}

/** How long a verified Basic user:password is trusted without another SCRAM check. */
export const BASIC_CACHE_MS = 30_000;
const BASIC_CACHE_ENTRIES_MAX = 1024;

export class AdminAuthenticator {
  readonly methods: ReadonlySet<AdminAuthMethod>;
  private readonly cacheKey = randomBytes(32);
  /** HMAC(user:password) -> when the verification expires. */
  private readonly verified = new Map<string, number>();
  private readonly mapper: SslPrincipalMapper;
  private failureCount = 0;
  private lastFailureLogMs = 0;

  constructor(
    config: BrokerConfig,
    private readonly checkPassword: PasswordCheck | null,
    private readonly logger: Logger,
  ) {
    this.methods = new Set(config.values['admin.authentication'] as AdminAuthMethod[]);
    this.mapper = SslPrincipalMapper.fromRules(listenerConfigValue(config, ADMIN_LISTENER_NAME, 'ssl.principal.mapping.rules') ?? 'DEFAULT', keyName(config)('ssl.principal.mapping.rules'));
  }

  /** Whether requests must authenticate. */
  get required(): boolean {
    return this.methods.size > 0;
  }

  /** Authentication failures since start, for /metrics. */
  get failures(): number {
    return this.failureCount;
  }

  /**
   * The principal of a request: its trusted client certificate (mtls), else its Basic
   * credentials (basic); null when it presents none. Wrong credentials throw 401.
   */
  authenticate(headers: IncomingHttpHeaders, socket: unknown, remote: string): KafkaPrincipal | null {
    if (this.methods.has('mtls')) {
      const tls = socket as Partial<TLSSocket>;
      if (tls.authorized === true && typeof tls.getPeerX509Certificate === 'function') {
        const cert = tls.getPeerX509Certificate();
        if (cert) {
          const name = this.mapper.name(subjectDn(cert));
          if (name === null) throw this.fail(remote, 'certificate', 'No ssl.principal.mapping.rules rule applies to the client certificate.');
          return userPrincipal(name);
        }
      }
    }
    if (this.methods.has('basic')) {
      const header = headers.authorization;
      if (header !== undefined) {
        const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
        const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
        const colon = decoded.indexOf(':');
        if (colon <= 0) throw this.fail(remote, 'malformed', 'The Authorization header is not HTTP Basic user:password.');
        const user = decoded.slice(0, colon);
        if (!this.passwordMatches(user, decoded.slice(colon + 1))) throw this.fail(remote, 'password', 'Authentication failed: invalid username or password.', user);
        return userPrincipal(user);
      }
    }
    return null;
  }

  private passwordMatches(user: string, password: string): boolean {
    if (this.checkPassword === null) return false;
    const key = createHmac('sha256', this.cacheKey).update(user).update('\u0000').update(password).digest('base64');
    const now = Date.now();
    const until = this.verified.get(key);
    if (until !== undefined && until > now) return true;
    if (!this.checkPassword(user, password)) {
      this.verified.delete(key);
      return false;
    }
    if (this.verified.size >= BASIC_CACHE_ENTRIES_MAX) this.verified.clear();
    this.verified.set(key, now + BASIC_CACHE_MS);
    return true;
  }

  /** The 401 for a request that presented no credentials while they are required. */
  missing(): AdminError {
    const how = [...this.methods].map((m) => (m === 'basic' ? 'HTTP Basic (a SCRAM user)' : 'a client certificate')).join(' or ');
    return new AdminError('TIDELOG_ERR_UNAUTHENTICATED', `Authentication required: ${how}.`);
  }

  /** The WWW-Authenticate header of a 401 (RFC 7617), when Basic is accepted. */
  get challenge(): string | null {
    return this.methods.has('basic') ? 'Basic realm="Tidelog admin", charset="UTF-8"' : null;
  }

  private fail(remote: string, reason: string, message: string, user?: string): AdminError {
    this.failureCount++;
    const now = Date.now();
    if (now - this.lastFailureLogMs >= 1000) {
      this.lastFailureLogMs = now;
      this.logger.warn({ remote, reason, ...(user === undefined ? {} : { user }), failures: this.failureCount }, 'admin API authentication failed');
    }
    return new AdminError('TIDELOG_ERR_UNAUTHENTICATED', message);
  }
}
