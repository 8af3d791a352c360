// Reads the certificates out of a PKCS12 file (RFC 7292), for PKCS12 trust stores:
// node:tls takes PKCS12 only as a key store (`pfx` needs a private key), and a trust store
// made by `keytool -importcert -storetype PKCS12` or `openssl pkcs12 -export -nokeys` holds
// certificates alone. Walks PFX -> AuthenticatedSafe -> SafeContents -> CertBag; decrypts
// encrypted SafeContents with PBES2 (PBKDF2 + AES-CBC, what OpenSSL 3 and current JDKs
// write) or pbeWithSHAAnd3-KeyTripleDES-CBC (the PKCS#12 key derivation, older tools).
// With a password the MAC is checked (a wrong password is refused, as Java refuses it); without
// one it is not (Java loads a trust store without a password with no integrity check).
// Throws Error with what it could not read; the caller names the config key.
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

interface Tlv {
  readonly tag: number;
  /** The content bytes. */
  readonly value: Buffer;
  /** The offset just after this element in its parent. */
  readonly end: number;
}

function readTlv(buf: Buffer, pos: number): Tlv {
  if (pos + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) throw new Error('truncated DER');
  return { tag, value: buf.subarray(p, p + len), end: p + len };
}

/** The elements of a constructed value (a SEQUENCE's or SET's content). */
function children(buf: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = 0; pos < buf.length; ) {
    const t = readTlv(buf, pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

/** An OCTET STRING's bytes, also when written constructed (BER, tag 0x24 or a constructed [0]). */
function octets(t: Tlv): Buffer {
  if ((t.tag & 0x20) === 0) return t.value;
  return Buffer.concat(children(t.value).map(octets));
}

function oid(t: Tlv): string {
  if (t.tag !== 0x06) throw new Error('expected an OID');
  const b = t.value;
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if ((b[i]! & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/**
 * The most key-derivation iterations a file may ask for (OpenSSL writes 2048, Java 10000): a
 * damaged or hostile count must not keep the broker deriving keys for hours at start-up.
 */
export const PKCS12_ITERATIONS_MAX = 1_000_000;

function integer(t: Tlv): number {
  if (t.tag !== 0x02 || t.value.length > 6) throw new Error('expected a small INTEGER');
  let v = 0;
  for (const byte of t.value) v = v * 256 + byte;
  return v;
}

function iterationCount(t: Tlv): number {
  const n = integer(t);
  if (n < 1 || n > PKCS12_ITERATIONS_MAX) throw new Error(`iteration count ${n} is outside [1, ${PKCS12_ITERATIONS_MAX}]`);
  return n;
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
} as const;

const PRF: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const CIPHERS: Readonly<Record<string, { name: string; keyBytes: number }>> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyBytes: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyBytes: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyBytes: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyBytes: 24 },
};

/** Digest algorithms of the MAC: OID -> node:crypto name and block size (v, RFC 7292 B.2). */
const MAC_DIGESTS: Readonly<Record<string, { name: string; v: number }>> = {
  '1.3.14.3.2.26': { name: 'sha1', v: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', v: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', v: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', v: 128 },
};

/** RFC 7292 appendix B.2: the PKCS#12 key derivation (SHA-1 for the PBE ciphers, the MAC's digest for the MAC key). */
function pkcs12Kdf(password: string, salt: Buffer, iterations: number, id: number, bytes: number, hash = 'sha1', v = 64): Buffer {
  const pw = password.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  const fill = (b: Buffer) => {
    if (b.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(b.length / v));
    for (let i = 0; i < out.length; i++) out[i] = b[i % b.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(pw)]);
  const out: Buffer[] = [];
  let produced = 0;
  while (produced < bytes) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let i = 1; i < iterations; i++) A = createHash(hash).update(A).digest();
    out.push(A);
    produced += A.length;
    if (produced >= bytes) break;
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, bytes);
}

/** Decrypts an EncryptedContentInfo's content with `password`. */
function decrypt(algorithm: Tlv, encrypted: Buffer, password: string): Buffer {
  const [algOid, params] = children(algorithm.value);
  const alg = oid(algOid!);
  let cipher: string;
  let key: Buffer;
  let iv: Buffer;
  if (alg === OID.pbes2) {
    const [kdf, scheme] = children(params!.value);
    const [kdfOid, kdfParams] = children(kdf!.value);
    if (oid(kdfOid!) !== OID.pbkdf2) throw new Error(`unsupported key derivation ${oid(kdfOid!)}`);
    const kp = children(kdfParams!.value);
    const salt = kp[0]!.value;
    const iterations = iterationCount(kp[1]!);
    const prfAlg = kp.find((t) => t.tag === 0x30);
    const digest = prfAlg ? PRF[oid(children(prfAlg.value)[0]!)] : 'sha1';
    if (!digest) throw new Error('unsupported PBKDF2 PRF');
    const [schemeOid, ivTlv] = children(scheme!.value);
    const c = CIPHERS[oid(schemeOid!)];
    if (!c) throw new Error(`unsupported cipher ${oid(schemeOid!)}`);
    cipher = c.name;
    key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, c.keyBytes, digest);
    iv = ivTlv!.value;
  } else if (alg === OID.pbeSha3Des) {
    const [saltTlv, iterTlv] = children(params!.value);
    const iterations = iterationCount(iterTlv!);
    cipher = 'des-ede3-cbc';
    key = pkcs12Kdf(password, saltTlv!.value, iterations, 1, 24);
    iv = pkcs12Kdf(password, saltTlv!.value, iterations, 2, 8);
  } else {
    throw new Error(`unsupported encryption ${alg} (RC2 and other legacy ciphers: re-export with AES, e.g. openssl pkcs12 without -legacy)`);
  }
  const d = createDecipheriv(cipher, key, iv);
  try {
    return Buffer.concat([d.update(encrypted), d.final()]);
  } catch {
    throw new Error('cannot decrypt: wrong password?');
  }
}

/** MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }: HMAC over the AuthenticatedSafe. */
function checkMac(macData: Tlv, content: Buffer, password: string): void {
  const [digestInfo, saltTlv, iterTlv] = children(macData.value);
  const [algorithm, expected] = children(digestInfo!.value);
  const digestOid = oid(children(algorithm!.value)[0]!);
  const digest = MAC_DIGESTS[digestOid];
  if (!digest) throw new Error(`unsupported MAC digest ${digestOid}`);
  const macBytes = expected!.value.length;
  const key = pkcs12Kdf(password, saltTlv!.value, iterTlv === undefined ? 1 : iterationCount(iterTlv), 3, macBytes, digest.name, digest.v);
  const actual = createHmac(digest.name, key).update(content).digest();
  if (actual.length !== macBytes || !timingSafeEqual(actual, expected!.value)) throw new Error('the MAC does not match: wrong password?');
}

/** The certificates of a PKCS12 file, as PEM blocks; `password` null: none given (no MAC check, empty password for decryption). */
export function pkcs12Certificates(file: Buffer, passwordOrNull: string | null): string[] {
  const password = passwordOrNull;
  const pfx = children(readTlv(file, 0).value);
  const authSafe = children(pfx[1]!.value);
  if (oid(authSafe[0]!) !== OID.data) throw new Error('not a password-protected PKCS12 file (public-key integrity mode is not supported)');
  const authenticatedSafe = octets(readTlv(authSafe[1]!.value, 0));
  if (password !== null && pfx[2] !== undefined) checkMac(pfx[2], authenticatedSafe, password);
  const certs: string[] = [];
  for (const ci of children(readTlv(authenticatedSafe, 0).value)) {
    const [typeTlv, content] = children(ci.value);
    const type = oid(typeTlv!);
    let safeContents: Buffer;
    if (type === OID.data) {
      safeContents = octets(readTlv(content!.value, 0));
    } else if (type === OID.encryptedData) {
      const encryptedData = children(readTlv(content!.value, 0).value);
      const [, algorithm, encryptedContent] = children(encryptedData[1]!.value);
      safeContents = decrypt(algorithm!, octets(encryptedContent!), password ?? '');
    } else {
      continue;
    }
    for (const bag of children(readTlv(safeContents, 0).value)) {
      const [bagId, bagValue] = children(bag.value);
      if (oid(bagId!) !== OID.certBag) continue;
      const [certId, certValue] = children(readTlv(bagValue!.value, 0).value);
      if (oid(certId!) !== OID.x509Certificate) continue;
      const der = octets(readTlv(certValue!.value, 0));
      const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
      certs.push(`-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`);
    }
  }
  return certs;
}
