// Test certificates made with the openssl command line in a temp dir, as a user would make
// them (the README's TLS commands): a CA, a server certificate for localhost and 127.0.0.1,
// a client certificate (subject CN=client,OU=test,O=tidelog), and a self-signed certificate
// no one trusts. Each as PEM files (key, certificate, and Kafka's PEM key store: the PKCS#8
// key followed by the chain) and as a PKCS12 key store. EC P-256 keys: quick to make.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The password of every PKCS12 file made here. */
export const P12_PASSWORD = 'tidelog-test';

export interface Identity {
  /** The PKCS#8 private key (PEM, unencrypted). */
  readonly key: string;
  /** The certificate (PEM). */
  readonly cert: string;
  /** Kafka's PEM key store: the key, then the certificate and the CA's. */
  readonly keystorePem: string;
  /** PKCS12 key store with the key, the certificate and the CA's, password P12_PASSWORD. */
  readonly keystoreP12: string;
  /** The subject as Kafka prints it (RFC 2253, most specific first). */
  readonly dn: string;
}

export interface TestCerts {
  readonly dir: string;
  /** The CA certificate (PEM): the trust store of both sides. */
  readonly caPem: string;
  /** The CA certificate as a PKCS12 trust store (openssl pkcs12 -export -nokeys), password P12_PASSWORD. */
  readonly caP12: string;
  readonly server: Identity;
  readonly client: Identity;
  /** Self-signed: neither side trusts it. */
  readonly untrusted: Identity;
  /** Removes the directory. */
  remove(): void;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** "/O=tidelog/OU=test/CN=client" as Kafka's principal prints it: "CN=client,OU=test,O=tidelog". */
function dnOf(subject: string): string {
  return subject.split('/').filter((p) => p !== '').reverse().join(',');
}

/**
 * Issues (or re-issues, replacing the files) the identity `name` signed by the CA in `dir`:
 * `<name>.key`, `<name>.pem`, `<name>-keystore.pem`, `<name>.p12`. `sans` are subjectAltName
 * entries (DNS:localhost,IP:127.0.0.1 for a server).
 */
export function issue(dir: string, name: string, subject: string, sans: string | null, selfSigned = false): Identity {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.pem`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, sans === null ? 'basicConstraints=CA:FALSE\n' : `basicConstraints=CA:FALSE\nsubjectAltName=${sans}\n`);
  if (selfSigned) {
    openssl(['req', '-x509', ...EC_KEY, '-keyout', key, '-out', cert, '-days', '2', '-subj', subject, ...(sans === null ? [] : ['-addext', `subjectAltName=${sans}`])], dir);
  } else {
    const csr = path.join(dir, `${name}.csr`);
    openssl(['req', ...EC_KEY, '-keyout', key, '-out', csr, '-subj', subject], dir);
    openssl(['x509', '-req', '-in', csr, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext], dir);
  }
  const keystorePem = path.join(dir, `${name}-keystore.pem`);
  const chain = selfSigned ? [cert] : [cert, path.join(dir, 'ca.pem')];
  writeFileSync(keystorePem, [readFileSync(key, 'utf8'), ...chain.map((f) => readFileSync(f, 'utf8'))].join(''));
  const keystoreP12 = path.join(dir, `${name}.p12`);
  openssl(['pkcs12', '-export', '-in', cert, '-inkey', key, ...(selfSigned ? [] : ['-certfile', 'ca.pem']), '-out', keystoreP12, '-passout', `pass:${P12_PASSWORD}`, '-name', name], dir);
  return { key, cert, keystorePem, keystoreP12, dn: dnOf(subject) };
}

/** Makes the CA and the three identities in a new temp dir. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-certs-'));
  openssl(['req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/O=tidelog/CN=Tidelog Test CA'], dir);
  const server = issue(dir, 'server', '/O=tidelog/OU=test/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  const client = issue(dir, 'client', '/O=tidelog/OU=test/CN=client', null);
  const untrusted = issue(dir, 'untrusted', '/O=intruder/CN=client', 'DNS:localhost,IP:127.0.0.1', true);
  openssl(['pkcs12', '-export', '-nokeys', '-in', 'ca.pem', '-out', 'ca.p12', '-passout', `pass:${P12_PASSWORD}`], dir);
  return { dir, caPem: path.join(dir, 'ca.pem'), caP12: path.join(dir, 'ca.p12'), server, client, untrusted, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
