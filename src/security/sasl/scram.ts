// SCRAM (RFC 5802, SHA-256/512 per RFC 7677) as Kafka's broker speaks it: the credential a
// broker stores (salt, StoredKey, ServerKey, iterations; never the password), its text form
// in ZooKeeper ("salt=<b64>,stored_key=<b64>,server_key=<b64>,iterations=<n>", Kafka's
// ScramCredentialUtils), and the server side of one exchange (Kafka's ScramSaslServer):
// client-first -> server-first -> client-final -> server-final. Failures throw SaslFailure
// with the message Kafka's client would see. Pure node:crypto, no I/O.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslFailure } from './sasl-failure.js';

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface ScramMechanism {
  readonly name: ScramMechanismName;
  /** Kafka's ScramMechanism type byte in DescribeUserScramCredentials / AlterUserScramCredentials. */
  readonly type: 1 | 2;
  readonly hash: 'sha256' | 'sha512';
  readonly keyBytes: number;
  /** Kafka's minimum (ScramMechanism.minIterations): 4096 for both. */
  readonly minIterations: number;
}

export const SCRAM_SHA_256: ScramMechanism = { name: 'SCRAM-SHA-256', type: 1, hash: 'sha256', keyBytes: 32, minIterations: 4096 };
export const SCRAM_SHA_512: ScramMechanism = { name: 'SCRAM-SHA-512', type: 2, hash: 'sha512', keyBytes: 64, minIterations: 4096 };
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = [SCRAM_SHA_256, SCRAM_SHA_512];
/** Kafka's upper bound on iterations in AlterUserScramCredentials (ScramCredentialUtils / ScramControlManager). */
export const SCRAM_MAX_ITERATIONS = 16384;
/** Iterations when a tool is not told (kafka-configs.sh's default). */
export const SCRAM_DEFAULT_ITERATIONS = 4096;

export function scramMechanism(name: string): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.name === name);
}

export function scramMechanismOfType(type: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => m.type === type);
}

/** What the broker keeps of a SCRAM password. */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

function hmac(m: ScramMechanism, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(m.hash, key).update(text).digest();
}

/** SaltedPassword := Hi(Normalize(password), salt, i): PBKDF2 with HMAC-H. */
export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, m.keyBytes, m.hash);
}

/** StoredKey := H(HMAC(SaltedPassword, "Client Key")); ServerKey := HMAC(SaltedPassword, "Server Key"). */
export function credentialFromSaltedPassword(m: ScramMechanism, salt: Buffer, salted: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key');
  return { salt: Buffer.from(salt), storedKey: createHash(m.hash).update(clientKey).digest(), serverKey: hmac(m, salted, 'Server Key'), iterations };
}

/** A new credential for `password` with a random salt. */
export function newScramCredential(m: ScramMechanism, password: string, iterations: number): ScramCredential {
  const salt = randomBytes(32);
  return credentialFromSaltedPassword(m, salt, saltedPassword(m, password, salt, iterations), iterations);
}

/** Whether `password` is the one the credential was made from (timing-safe on the keys). */
export function credentialMatches(m: ScramMechanism, credential: ScramCredential, password: string): boolean {
  const c = credentialFromSaltedPassword(m, credential.salt, saltedPassword(m, password, credential.salt, credential.iterations), credential.iterations);
  return c.storedKey.length === credential.storedKey.length && timingSafeEqual(c.storedKey, credential.storedKey);
}

/** Kafka's ScramCredentialUtils.credentialToString. */
export function credentialToString(c: ScramCredential): string {
  return `salt=${c.salt.toString('base64')},stored_key=${c.storedKey.toString('base64')},server_key=${c.serverKey.toString('base64')},iterations=${c.iterations}`;
}

/** Kafka's ScramCredentialUtils.credentialFromString; throws on a malformed value. */
export function credentialFromString(text: string): ScramCredential {
  const fields = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`malformed SCRAM credential field '${part}'`);
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const salt = fields.get('salt');
  const storedKey = fields.get('stored_key');
  const serverKey = fields.get('server_key');
  const iterations = Number(fields.get('iterations'));
  if (salt === undefined || storedKey === undefined || serverKey === undefined || !Number.isInteger(iterations) || iterations <= 0) {
    throw new Error('a SCRAM credential needs salt, stored_key, server_key and iterations');
  }
  return { salt: Buffer.from(salt, 'base64'), storedKey: Buffer.from(storedKey, 'base64'), serverKey: Buffer.from(serverKey, 'base64'), iterations };
}

/** saslname (RFC 5802 5.1): "," and "=" are written =2C and =3D. */
export function decodeSaslName(saslName: string): string {
  return saslName.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

// Kafka's ScramMessages patterns: printable ASCII without commas for nonces, saslname without
// raw "=" or ",", extensions as ",key=value".
const CLIENT_FIRST_RE = /^(n|y),(?:a=([^,]*))?,n=((?:[^=,]|=2C|=3D)+),r=([\x21-\x2B\x2D-\x7E]+)((?:,[A-Za-z]+=[^=,]*)*)$/;
const CLIENT_FINAL_RE = /^c=([A-Za-z0-9+/]+={0,2}),r=([\x21-\x2B\x2D-\x7E]+)((?:,[A-Za-z]+=[^=,]*)*),p=([A-Za-z0-9+/]+={0,2})$/;

/** The only SCRAM extension Kafka knows: delegation tokens (KIP-48), which Tidelog does not issue. */
const TOKEN_AUTH_EXTENSION = 'tokenauth';

function generic(mechanism: ScramMechanismName, detail: string): SaslFailure {
  return SaslFailure.credentials(mechanism, detail);
}

/**
 * The server side of one SCRAM exchange (Kafka's ScramSaslServer). `lookup` gives the stored
 * credential of a user for this mechanism, or undefined.
 */
export class ScramServerExchange {
  private state: 'first' | 'final' | 'complete' | 'failed' = 'first';
  private clientFirstBare = '';
  private gs2Header = '';
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | undefined;
  username = '';

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly lookup: (user: string) => ScramCredential | undefined,
    /** The server's part of the nonce (printable, no commas); random, fixed only by tests of RFC vectors. */
    private readonly newNonce: () => string = () => randomBytes(24).toString('base64url'),
  ) {}

  get complete(): boolean {
    return this.state === 'complete';
  }

  /** Takes the client's next message; returns the server's. Throws SaslFailure. */
  evaluate(token: Buffer): Buffer {
    try {
      if (this.state === 'first') return this.first(token.toString('utf8'));
      if (this.state === 'final') return this.final(token.toString('utf8'));
      throw generic(this.mechanism.name, `unexpected SCRAM message in state ${this.state}`);
    } catch (err) {
      this.state = 'failed';
      this.credential = undefined;
      throw err;
    }
  }

  private first(text: string): Buffer {
    const m = CLIENT_FIRST_RE.exec(text);
    if (!m) throw generic(this.mechanism.name, 'invalid SCRAM client first message');
    const authzid = m[2] ?? '';
    const username = decodeSaslName(m[3]!);
    const extensions = new Map<string, string>();
    for (const e of (m[5] ?? '').split(',').filter((x) => x.length > 0)) {
      const eq = e.indexOf('=');
      extensions.set(e.slice(0, eq), e.slice(eq + 1));
    }
    for (const key of extensions.keys()) {
      if (key !== TOKEN_AUTH_EXTENSION) throw generic(this.mechanism.name, `Unsupported extensions will not be accepted, supported extensions: [${TOKEN_AUTH_EXTENSION}]`);
    }
    if (extensions.get(TOKEN_AUTH_EXTENSION)?.toLowerCase() === 'true') throw generic(this.mechanism.name, 'delegation token authentication (tokenauth) is not supported');
    const credential = this.lookup(username);
    if (!credential) throw generic(this.mechanism.name, 'Authentication failed: Invalid user credentials');
    if (authzid !== '' && decodeSaslName(authzid) !== username) {
      throw SaslFailure.withMessage('Authentication failed: Client requested an authorization id that is different from username');
    }
    if (credential.iterations < this.mechanism.minIterations) {
      throw generic(this.mechanism.name, `Iterations ${credential.iterations} is less than the minimum ${this.mechanism.minIterations} for ${this.mechanism.name}`);
    }
    this.username = username;
    this.credential = credential;
    this.gs2Header = text.slice(0, text.indexOf(',n=') + 1);
    this.clientFirstBare = text.slice(this.gs2Header.length);
    this.nonce = m[4]! + this.newNonce();
    this.serverFirst = `r=${this.nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = 'final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private final(text: string): Buffer {
    const m = CLIENT_FINAL_RE.exec(text);
    if (!m) throw generic(this.mechanism.name, 'Authentication failed: Invalid client final message');
    if (Buffer.from(m[1]!, 'base64').toString('utf8') !== this.gs2Header) throw generic(this.mechanism.name, 'channel binding does not match the client first message');
    // Kafka's check (ScramSaslServer.verifyClientProof) is endsWith, not equality: librdkafka
    // sends its own nonce again in front of the server's combined one, and Kafka accepts that.
    if (!m[2]!.endsWith(this.nonce)) throw generic(this.mechanism.name, 'Invalid client nonce in the final client message.');
    const credential = this.credential!;
    const withoutProof = text.slice(0, text.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const proof = Buffer.from(m[4]!, 'base64');
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw generic(this.mechanism.name, 'Invalid client credentials');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const computedStoredKey = createHash(this.mechanism.hash).update(clientKey).digest();
    if (!timingSafeEqual(computedStoredKey, credential.storedKey)) throw generic(this.mechanism.name, 'Invalid client credentials');
    const serverSignature = hmac(this.mechanism, credential.serverKey, authMessage);
    this.credential = undefined;
    this.state = 'complete';
    return Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8');
  }
}
