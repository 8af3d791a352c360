// The client side of SASL for this package's Kafka client (KafkaConnection, so the CLI,
// replication, the transaction marker sender and the admin API's cluster client): right after
// the socket connects (TLS or not), SaslHandshake v1 then SaslAuthenticate v1 with PLAIN
// (RFC 4616) or SCRAM-SHA-256/512 (RFC 5802/7677, Kafka's ScramSaslClient: "n,," header, the
// server nonce must extend ours, at least 4096 iterations, the server signature is verified).
// Written apart from the broker's SCRAM code on purpose: each side is checked against an
// independent implementation (and both against kcat and the Java client in the tests).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiKey, type ApiTypes } from '../protocol/generated/index.js';
import type { SaslCredentials } from './client-security.js';

/** What SASL needs of a connection (KafkaConnection has it; named here to keep the import one-way). */
export interface SaslConnection {
  request<K extends ApiKey>(apiKey: K, apiVersion: number, body: ApiTypes[K]['requestInput']): Promise<ApiTypes[K]['response']>;
  readonly closed: boolean;
  close(): void;
}

const SASL_HANDSHAKE_VERSION = 1;
const SASL_AUTHENTICATE_VERSION = 1;
/** Kafka's ScramMechanism.minIterations: a server asking for fewer is refused. */
const SCRAM_MIN_ITERATIONS = 4096;

export class SaslAuthenticationError extends Error {
  constructor(
    message: string,
    /** The Kafka error code the broker answered (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM), if any. */
    readonly errorCode?: number,
  ) {
    super(message);
    this.name = 'SaslAuthenticationError';
  }
}

/** What the broker said when SASL ended: the session lifetime (KIP-368), 0 when sessions do not expire. */
export interface SaslSession {
  readonly sessionLifetimeMs: number;
}

/**
 * Authenticates a freshly connected KafkaConnection; throws SaslAuthenticationError when
 * refused. When the broker gives the session a lifetime (connections.max.reauth.ms, KIP-368)
 * the connection re-authenticates on its own before it ends, as Kafka's clients do (at 85-95 %
 * of the lifetime, jittered), and is closed if that fails.
 */
export async function authenticateSasl(connection: SaslConnection, credentials: SaslCredentials): Promise<SaslSession> {
  const session = await exchange(connection, credentials);
  scheduleReauthentication(connection, credentials, session.sessionLifetimeMs);
  return session;
}

function scheduleReauthentication(connection: SaslConnection, credentials: SaslCredentials, lifetimeMs: number): void {
  if (lifetimeMs <= 0) return;
  const timer = setTimeout(
    () => {
      if (connection.closed) return;
      exchange(connection, credentials).then(
        (s) => scheduleReauthentication(connection, credentials, s.sessionLifetimeMs),
        () => connection.close(),
      );
    },
    Math.max(1, Math.floor(lifetimeMs * (0.85 + Math.random() * 0.1))),
  );
  timer.unref();
}

async function exchange(connection: SaslConnection, credentials: SaslCredentials): Promise<SaslSession> {
  const handshake = await connection.request(ApiKey.SaslHandshake, SASL_HANDSHAKE_VERSION, { mechanism: credentials.mechanism });
  if (handshake.errorCode !== 0) {
    throw new SaslAuthenticationError(`the broker does not offer SASL mechanism ${credentials.mechanism} (it offers ${handshake.mechanisms.join(', ') || 'none'})`, handshake.errorCode);
  }
  const step = async (token: Buffer): Promise<{ authBytes: Buffer; sessionLifetimeMs: number }> => {
    const r = await connection.request(ApiKey.SaslAuthenticate, SASL_AUTHENTICATE_VERSION, { authBytes: token });
    if (r.errorCode !== 0) throw new SaslAuthenticationError(r.errorMessage ?? `SASL authentication failed (error ${r.errorCode})`, r.errorCode);
    return r;
  };
  if (credentials.mechanism === 'PLAIN') {
    const r = await step(Buffer.from(`\u0000${credentials.username}\u0000${credentials.password}`, 'utf8'));
    return { sessionLifetimeMs: r.sessionLifetimeMs };
  }
  const hash = credentials.mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256';
  const keyBytes = hash === 'sha512' ? 64 : 32;
  const clientNonce = randomBytes(24).toString('base64url');
  const user = credentials.username.replace(/=/g, '=3D').replace(/,/g, '=2C');
  const clientFirstBare = `n=${user},r=${clientNonce}`;
  const first = await step(Buffer.from(`n,,${clientFirstBare}`, 'utf8'));
  const serverFirst = first.authBytes.toString('utf8');
  const fields = new Map(serverFirst.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)] as const));
  const nonce = fields.get('r');
  const salt = fields.get('s');
  const iterations = Number(fields.get('i'));
  if (nonce === undefined || salt === undefined || !Number.isInteger(iterations)) throw new SaslAuthenticationError(`invalid SCRAM server first message`);
  if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) throw new SaslAuthenticationError('invalid SCRAM server nonce: it does not extend the client nonce');
  if (iterations < SCRAM_MIN_ITERATIONS) throw new SaslAuthenticationError(`Requested iterations ${iterations} is less than the minimum ${SCRAM_MIN_ITERATIONS} for ${credentials.mechanism}`);
  const salted = pbkdf2Sync(Buffer.from(credentials.password, 'utf8'), Buffer.from(salt, 'base64'), iterations, keyBytes, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac(hash, storedKey).update(authMessage).digest();
  const proof = Buffer.alloc(clientKey.length);
  for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
  const final = await step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8'));
  const serverFinal = final.authBytes.toString('utf8');
  if (serverFinal.startsWith('e=')) throw new SaslAuthenticationError(`SCRAM server error: ${serverFinal.slice(2)}`);
  const expected = createHmac(hash, createHmac(hash, salted).update('Server Key').digest()).update(authMessage).digest();
  const given = Buffer.from(serverFinal.startsWith('v=') ? serverFinal.slice(2) : '', 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SaslAuthenticationError('invalid SCRAM server signature: the broker does not know the credential');
  return { sessionLifetimeMs: final.sessionLifetimeMs };
}
