// SaslAuthenticator: the server side of SASL on the broker's SASL listeners (Kafka's
// SaslServerAuthenticator plus the re-authentication bits of KafkaChannel, KIP-368), one
// session per connection:
//   initial --ApiVersions*, SaslHandshake(mechanism)--> handshaken --SaslAuthenticate*--> authenticated
// The gate (called by the request router for every request on a SASL listener): before
// authentication completes only ApiVersions and SaslHandshake (initial) and SaslAuthenticate
// (handshaken) are served; any other request closes the connection, as Kafka's
// "Unexpected Kafka request of type ... during SASL handshake" does. After SaslHandshake v0 the
// client sends raw SASL tokens without Kafka headers (Kafka 4.x still serves that, for clients
// older than KIP-152): rawToken() answers them with size-prefixed raw tokens.
// Re-authentication: with connections.max.reauth.ms > 0 a session expires that long after it
// completed; SaslAuthenticate v1+ tells the client (session_lifetime_ms). A SaslHandshake on
// an authenticated connection starts re-authentication with the same mechanism and principal;
// any other request after expiry closes the connection (as Kafka closes it).
// A failed exchange answers SASL_AUTHENTICATION_FAILED (or UNSUPPORTED_SASL_MECHANISM) and the
// connection is closed after that response. Failures are counted and logged at most once a
// second (a login loop must not flood the log); passwords never reach the log.
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/errors.js';
import { userPrincipal, principalText, type KafkaPrincipal } from '../principal.js';
import type { ScramCredentialStore } from './credential-store.js';
import { evaluatePlain } from './plain.js';
import { SaslFailure } from './sasl-failure.js';
import type { SaslSettings, ServedSaslMechanism } from './sasl-settings.js';
import { scramMechanism, ScramServerExchange } from './scram.js';

/**
 * What SASL reads and sets of a connection (server/ConnectionInfo has it; named here so that
 * security/ does not import the network layer, which imports security/).
 */
export interface ConnectionInfo {
  readonly listener: { readonly name: string };
  readonly remoteAddress: string;
  readonly remotePort: number;
  principal: KafkaPrincipal;
  authenticating: boolean;
}

/** Kafka's API keys the gate lets through before authentication. */
const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;


interface Exchange {
  evaluate(token: Buffer): Buffer;
  readonly complete: boolean;
  readonly username: string;
}

class PlainExchange implements Exchange {
  complete = false;
  username = '';
  constructor(private readonly users: ReadonlyMap<string, string>) {}
  evaluate(token: Buffer): Buffer {
    this.username = evaluatePlain(token, this.users);
    this.complete = true;
    return Buffer.alloc(0);
  }
}

interface Session {
  state: 'initial' | 'handshaken' | 'authenticated';
  mechanism: ServedSaslMechanism | null;
  exchange: Exchange | null;
  /** After SaslHandshake v0: the next frames are raw SASL tokens. */
  rawTokens: boolean;
  /** Set while a re-authentication runs on an authenticated connection. */
  reauthenticating: boolean;
  /** The authenticated user (kept across re-authentication, which must not change it). */
  username: string | null;
  /** Date.now() after which the session is expired; Infinity when sessions do not expire. */
  expiresAtMs: number;
  /** ApiVersions requests before the handshake (Kafka takes one, plus a retry after UNSUPPORTED_VERSION). */
  apiVersionsCount: number;
}

/** ApiVersions before SaslHandshake: the first, and one retry in an older version (KIP-511). */
const API_VERSIONS_BEFORE_HANDSHAKE_MAX = 2;

export interface HandshakeResult {
  readonly errorCode: number;
  readonly mechanisms: readonly string[];
  /** Close the connection after the response (a refused handshake). */
  readonly close: string | null;
}

export interface AuthenticateResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly authBytes: Buffer;
  readonly sessionLifetimeMs: number;
  readonly close: string | null;
}

const FAILURE_LOG_INTERVAL_MS = 1000;

export class SaslAuthenticator {
  private readonly sessions = new WeakMap<ConnectionInfo, Session>();
  /** Counts for /metrics (Kafka's successful/failed-authentication-total). */
  readonly counts = { successes: 0, failures: 0, reauthentications: 0 };
  private lastFailureLogMs = 0;
  private failuresNotLogged = 0;

  constructor(
    readonly settings: SaslSettings,
    readonly credentials: ScramCredentialStore,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the connection's listener is SASL_PLAINTEXT or SASL_SSL. */
  isSaslConnection(connection: ConnectionInfo): boolean {
    return this.settings.listeners.has(connection.listener.name);
  }

  private session(connection: ConnectionInfo): Session {
    let s = this.sessions.get(connection);
    if (!s) {
      s = { state: 'initial', mechanism: null, exchange: null, rawTokens: false, reauthenticating: false, username: null, expiresAtMs: Infinity, apiVersionsCount: 0 };
      this.sessions.set(connection, s);
    }
    return s;
  }

  /** True when the next frame on this connection is a raw SASL token (after SaslHandshake v0). */
  expectsRawToken(connection: ConnectionInfo): boolean {
    return this.sessions.get(connection)?.rawTokens === true;
  }

  /** Null when the request may be served; else why the connection is closed instead. */
  gate(connection: ConnectionInfo, apiKey: number): string | null {
    if (!this.isSaslConnection(connection)) return null;
    const s = this.session(connection);
    if (s.state === 'initial') {
      // A client that only ever asks ApiVersions never authenticates: a bound, then idle timeout.
      if (apiKey === API_VERSIONS) return ++s.apiVersionsCount <= API_VERSIONS_BEFORE_HANDSHAKE_MAX ? null : 'Unexpected ApiVersions request received during SASL authentication (more than 2 before SaslHandshake)';
      return apiKey === SASL_HANDSHAKE ? null : `Unexpected Kafka request of type ${apiKey} during SASL handshake.`;
    }
    if (s.state === 'handshaken' && !s.reauthenticating) {
      return apiKey === SASL_AUTHENTICATE ? null : `Unexpected Kafka request of type ${apiKey} during SASL authentication.`;
    }
    if (apiKey === SASL_HANDSHAKE || apiKey === SASL_AUTHENTICATE) return null;
    if (this.now() >= s.expiresAtMs) return `SASL session of ${principalText(connection.principal)} expired (connections.max.reauth.ms=${this.reauthMs(connection, s)}) without re-authentication`;
    return null;
  }

  /** connections.max.reauth.ms of the connection's listener and mechanism (0: no expiry). */
  private reauthMs(connection: ConnectionInfo, s: Session): number {
    if (s.mechanism === null) return 0;
    return this.settings.listeners.get(connection.listener.name)?.reauthMs.get(s.mechanism) ?? 0;
  }

  /** SaslHandshake: picks the mechanism (or starts re-authentication). */
  handshake(connection: ConnectionInfo, mechanism: string, version: number): HandshakeResult {
    const listener = this.settings.listeners.get(connection.listener.name);
    if (!listener) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [], close: null };
    const s = this.session(connection);
    const mechanisms = listener.mechanisms;
    if (s.state === 'authenticated' || s.reauthenticating) {
      // KIP-368: only with connections.max.reauth.ms > 0 (else Kafka's KafkaApis answers ILLEGAL_SASL_STATE).
      if (this.reauthMs(connection, s) <= 0 || version < 1) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms, close: null };
      if (mechanism !== s.mechanism) {
        this.failed(connection, SaslFailure.withMessage(`SASL mechanism '${mechanism}' requested by client is not supported for re-authentication of mechanism '${s.mechanism}'`));
        return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms, close: 're-authentication with another mechanism' };
      }
      s.reauthenticating = true;
      s.state = 'handshaken';
      s.exchange = this.exchange(mechanism as ServedSaslMechanism, listener.plainUsers);
      return { errorCode: ErrorCode.NONE, mechanisms, close: null };
    }
    if (s.state !== 'initial') return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms, close: 'SaslHandshake received twice' };
    if (!(mechanisms as readonly string[]).includes(mechanism)) {
      this.failed(connection, SaslFailure.withMessage(`Unsupported SASL mechanism ${mechanism}`));
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms, close: `Unsupported SASL mechanism ${mechanism}` };
    }
    s.mechanism = mechanism as ServedSaslMechanism;
    s.exchange = this.exchange(s.mechanism, listener.plainUsers);
    s.state = 'handshaken';
    s.rawTokens = version === 0;
    return { errorCode: ErrorCode.NONE, mechanisms, close: null };
  }

  private exchange(mechanism: ServedSaslMechanism, plainUsers: ReadonlyMap<string, string>): Exchange {
    if (mechanism === 'PLAIN') return new PlainExchange(plainUsers);
    const m = scramMechanism(mechanism)!;
    return new ScramServerExchange(m, (user) => this.credentials.credential(user, m.name));
  }

  /** SaslAuthenticate: one step of the exchange. */
  authenticate(connection: ConnectionInfo, authBytes: Buffer, version: number): AuthenticateResult {
    const s = this.isSaslConnection(connection) ? this.session(connection) : null;
    if (!s || s.state !== 'handshaken' || !s.exchange) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0, close: null };
    }
    try {
      const response = this.step(connection, s, authBytes);
      const reauthMs = this.reauthMs(connection, s);
      const sessionLifetimeMs = (s.state as Session['state']) === 'authenticated' && version >= 1 && reauthMs > 0 ? reauthMs : 0;
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: response, sessionLifetimeMs, close: null };
    } catch (err) {
      if (!(err instanceof SaslFailure)) throw err;
      const failure = s.reauthenticating && err.clientMessage.startsWith('Authentication failed during authentication') ? SaslFailure.credentials(s.mechanism!, err.detail, true) : err;
      this.failed(connection, failure);
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: failure.clientMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0, close: 'SASL authentication failed' };
    }
  }

  /** A raw token after SaslHandshake v0: the size-prefixed response token, or null to close. */
  rawToken(connection: ConnectionInfo, token: Buffer): Buffer | null {
    const s = this.session(connection);
    try {
      const response = this.step(connection, s, token);
      if (s.state === 'authenticated') s.rawTokens = false;
      const framed = Buffer.alloc(4 + response.length);
      framed.writeInt32BE(response.length, 0);
      response.copy(framed, 4);
      return framed;
    } catch (err) {
      if (!(err instanceof SaslFailure)) throw err;
      this.failed(connection, err);
      return null;
    }
  }

  /** Evaluates one token; on completion authenticates the connection. */
  private step(connection: ConnectionInfo, s: Session, token: Buffer): Buffer {
    const exchange = s.exchange!;
    const response = exchange.evaluate(token);
    if (!exchange.complete) return response;
    if (s.reauthenticating && exchange.username !== s.username) {
      throw SaslFailure.withMessage(`Cannot change principals during re-authentication from User:${s.username}: User:${exchange.username}`);
    }
    if (s.reauthenticating) this.counts.reauthentications++;
    else this.counts.successes++;
    s.username = exchange.username;
    s.state = 'authenticated';
    s.reauthenticating = false;
    s.exchange = null;
    const reauthMs = this.reauthMs(connection, s);
    s.expiresAtMs = reauthMs > 0 ? this.now() + reauthMs : Infinity;
    connection.principal = userPrincipal(exchange.username);
    connection.authenticating = false;
    return response;
  }

  private failed(connection: ConnectionInfo, failure: SaslFailure): void {
    this.counts.failures++;
    const now = this.now();
    if (now - this.lastFailureLogMs < FAILURE_LOG_INTERVAL_MS) {
      this.failuresNotLogged++;
      return;
    }
    this.logger.info(
      { remote: `${connection.remoteAddress}:${connection.remotePort}`, listener: connection.listener.name, reason: failure.detail, failuresNotLogged: this.failuresNotLogged },
      'SASL authentication failed',
    );
    this.lastFailureLogMs = now;
    this.failuresNotLogged = 0;
  }
}
