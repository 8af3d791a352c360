// The TLS side of one SSL or SASL_SSL listener: its ssl.* settings (listener.name.<l>.ssl.*
// over the broker-wide keys), the node:tls server that runs handshakes on the TCP sockets the
// SocketServer accepts (it never listens itself: sockets are handed to it as Node's
// 'connection' event), ssl.client.auth, the handshake bound (ssl.handshake.timeout.ms), the
// client certificate's principal, and reloading the key and trust stores when their files
// change or a dynamic listener.name.<l>.ssl.* config points elsewhere (new connections get the
// new certificate; open ones keep theirs).
import { createHash } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/config-def.js';
import { listenerConfigValue, listenerRawValue, type BrokerConfig } from '../../config/broker-config.js';
import type { Listener } from '../../config/listeners.js';
import { loadSslStores, type LoadedStores, type SslSettings } from '../../config/ssl-stores.js';
import { ANONYMOUS, principalText, type KafkaPrincipal } from '../principal.js';
import { SslPrincipalMapper } from './principal-mapper.js';

export type ClientAuth = 'none' | 'requested' | 'required';

/**
 * Why handshakes failed, counted for /metrics (Kafka counts them in failed-authentication-total):
 * `certificate` a client certificate missing, untrusted (when only requested) or matching no
 * ssl.principal.mapping.rules rule; `timeout` ssl.handshake.timeout.ms; `handshake` anything
 * else TLS refused (garbage, no shared version or cipher); `closed` the connection ended before
 * the handshake finished (the client gave up, or Node refused its untrusted certificate when
 * one is required, which it does without telling why).
 */
export interface TlsHandshakeFailures {
  certificate: number;
  timeout: number;
  handshake: number;
  closed: number;
}

/** The name to show for `key` of `listener`: the per-listener key when that is what is set. */
function keyNameFor(config: BrokerConfig, listenerName: string): (key: string) => string {
  return (key) => (listenerRawValue(config, listenerName, key) !== undefined ? `listener.name.${listenerName.toLowerCase()}.${key}` : key);
}

/** The ssl.* settings of one listener: each key's per-listener value, else the broker-wide one. */
export function listenerSslSettings(config: BrokerConfig, listenerName: string): SslSettings {
  const v = <K extends Parameters<typeof listenerConfigValue>[2]>(key: K) => listenerConfigValue(config, listenerName, key);
  return {
    keystoreType: v('ssl.keystore.type') ?? 'JKS',
    keystoreLocation: v('ssl.keystore.location'),
    keystorePassword: v('ssl.keystore.password'),
    keyPassword: v('ssl.key.password'),
    keystoreKey: v('ssl.keystore.key'),
    keystoreCertificateChain: v('ssl.keystore.certificate.chain'),
    truststoreType: v('ssl.truststore.type') ?? 'JKS',
    truststoreLocation: v('ssl.truststore.location'),
    truststorePassword: v('ssl.truststore.password'),
    truststoreCertificates: v('ssl.truststore.certificates'),
    enabledProtocols: v('ssl.enabled.protocols'),
    cipherSuites: v('ssl.cipher.suites'),
  };
}

/** ssl.client.auth of a listener; on SASL_SSL only the listener's own value counts (KIP-684). */
export function listenerClientAuth(config: BrokerConfig, listener: Listener): ClientAuth {
  if (listener.securityProtocol === 'SASL_SSL' && listenerRawValue(config, listener.name, 'ssl.client.auth') === undefined) return 'none';
  return (listenerConfigValue(config, listener.name, 'ssl.client.auth') ?? 'none') as ClientAuth;
}

/** What the listener tells the SocketServer about each handshake it was handed. */
export interface HandshakeCallbacks {
  /** The handshake finished and the client is accepted, as `principal`. */
  secure(socket: tls.TLSSocket, principal: KafkaPrincipal): void;
}

/** Fingerprint of the store files' contents: a reload happens only when they changed. */
function storesDigest(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    try {
      h.update(readFileSync(f));
    } catch {
      h.update(`missing:${f}`);
    }
  }
  return h.digest('hex');
}

export class ListenerTls {
  private readonly server: tls.Server;
  /** Sockets handed over whose handshake has not finished, by remote address:port. */
  private readonly pending = new Map<string, { readonly raw: net.Socket; readonly callbacks: HandshakeCallbacks }>();
  readonly failures: TlsHandshakeFailures = { certificate: 0, timeout: 0, handshake: 0, closed: 0 };
  private digest: string;
  private watched: readonly string[];
  private readonly onFileChange = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) this.reload();
  };

  private constructor(
    private readonly config: BrokerConfig,
    readonly listener: Listener,
    readonly clientAuth: ClientAuth,
    private readonly mapper: SslPrincipalMapper,
    stores: LoadedStores,
    private readonly logger: Logger,
  ) {
    const handshakeTimeout = listenerConfigValue(config, listener.name, 'ssl.handshake.timeout.ms');
    this.server = tls.createServer({
      ...stores.options,
      requestCert: clientAuth !== 'none',
      // required: a client without a certificate fails the handshake (OpenSSL's
      // SSL_VERIFY_FAIL_IF_NO_PEER_CERT), one with an untrusted certificate is closed at once.
      rejectUnauthorized: clientAuth === 'required',
      handshakeTimeout,
    });
    this.server.on('secureConnection', (socket) => this.onSecure(socket));
    this.server.on('tlsClientError', (err, socket) => {
      // Garbage, a wrong protocol, an untrusted or missing certificate, a handshake that timed
      // out: this connection only. Debug, not warn: a scanner must not flood the log.
      this.pending.delete(socketKey(socket));
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') this.failures.timeout++;
      else if (code.includes('CERTIFICATE')) this.failures.certificate++;
      else this.failures.handshake++;
      logger.debug({ listener: listener.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, err: err.message }, 'TLS handshake failed');
      // Node reports a handshake timeout here without closing the socket.
      socket.destroy();
    });
    this.digest = storesDigest(stores.files);
    this.watched = stores.files;
    const intervalMs = listenerConfigValue(config, listener.name, 'ssl.store.check.interval.ms');
    for (const f of this.watched) watchFile(f, { persistent: false, interval: intervalMs }, this.onFileChange);
  }

  /** Reads the listener's stores; throws ConfigError naming the key when they cannot serve TLS. */
  static create(config: BrokerConfig, listener: Listener, logger: Logger): ListenerTls {
    const keyName = keyNameFor(config, listener.name);
    const stores = checkListenerStores(config, listener);
    const clientAuth = listenerClientAuth(config, listener);
    const mapper = SslPrincipalMapper.fromRules(listenerConfigValue(config, listener.name, 'ssl.principal.mapping.rules') ?? 'DEFAULT', keyName('ssl.principal.mapping.rules'));
    return new ListenerTls(config, listener, clientAuth, mapper, stores, logger);
  }

  /**
   * The listener's key and trust stores changed in the configuration (a dynamic
   * listener.name.<l>.ssl.* config, checked before it was stored): new connections use the new
   * stores, open ones keep theirs, and the new files are the ones watched. A failure keeps the
   * current stores.
   */
  reconfigure(): void {
    try {
      const stores = checkListenerStores(this.config, this.listener);
      this.server.setSecureContext({ ...stores.options });
      const intervalMs = listenerConfigValue(this.config, this.listener.name, 'ssl.store.check.interval.ms');
      for (const f of this.watched) unwatchFile(f, this.onFileChange);
      this.watched = stores.files;
      this.digest = storesDigest(stores.files);
      for (const f of this.watched) watchFile(f, { persistent: false, interval: intervalMs }, this.onFileChange);
      this.logger.info({ listener: this.listener.name, files: this.watched }, 'TLS key and trust stores reconfigured: new connections use them');
    } catch (err) {
      this.logger.warn({ listener: this.listener.name, err: (err as Error).message }, 'TLS stores reconfigured but cannot be loaded; keeping the current ones');
    }
  }

  /** Runs the TLS handshake on an accepted TCP socket; `callbacks.secure` once it is done and accepted. */
  handshake(raw: net.Socket, callbacks: HandshakeCallbacks): void {
    const key = socketKey(raw);
    this.pending.set(key, { raw, callbacks });
    raw.once('close', () => {
      if (this.pending.get(key)?.raw !== raw) return;
      this.pending.delete(key);
      this.failures.closed++;
      this.logger.debug({ listener: this.listener.name, remote: key }, 'TLS connection closed before its handshake finished');
    });
    this.server.emit('connection', raw);
  }

  private onSecure(socket: tls.TLSSocket): void {
    const key = socketKey(socket);
    const callbacks = this.pending.get(key)?.callbacks;
    this.pending.delete(key);
    if (!callbacks) {
      socket.destroy();
      return;
    }
    let principal: KafkaPrincipal = ANONYMOUS;
    const cert = this.clientAuth === 'none' ? undefined : socket.getPeerX509Certificate();
    if (cert !== undefined) {
      // requested: a certificate that was presented must be trusted all the same (Java's
      // SSLEngine with wantClientAuth fails the handshake on an untrusted one).
      if (!socket.authorized) {
        this.logger.debug({ listener: this.listener.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, err: String(socket.authorizationError) }, 'TLS client certificate refused');
        this.failures.certificate++;
        socket.destroy();
        return;
      }
      const mapped = this.mapper.principal(cert);
      if (mapped === null) {
        this.logger.info({ listener: this.listener.name, subject: cert.subject.replace(/\n/g, ', ') }, 'TLS client certificate refused: no ssl.principal.mapping.rules rule applies to its subject');
        this.failures.certificate++;
        socket.destroy();
        return;
      }
      principal = mapped;
      this.logger.debug({ listener: this.listener.name, principal: principalText(principal) }, 'TLS client authenticated');
    }
    callbacks.secure(socket, principal);
  }

  /** Loads the stores again if their files changed; a failure keeps the current certificate. */
  reload(): void {
    const digest = storesDigest(this.watched);
    if (digest === this.digest) return;
    const keyName = keyNameFor(this.config, this.listener.name);
    try {
      const stores = loadSslStores(listenerSslSettings(this.config, this.listener.name), keyName);
      this.server.setSecureContext({ ...stores.options });
      this.digest = digest;
      this.logger.info({ listener: this.listener.name, files: this.watched }, 'TLS key and trust stores reloaded: new connections use them');
    } catch (err) {
      // Often a half-written pair (the certificate replaced, the key not yet): the next change tries again.
      this.logger.warn({ listener: this.listener.name, err: (err as Error).message }, 'TLS stores changed but cannot be loaded; keeping the current ones');
    }
  }

  /** Stops watching the store files and ends the handshakes still running. */
  close(): void {
    for (const f of this.watched) unwatchFile(f, this.onFileChange);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { raw } of pending) raw.destroy();
  }
}

/**
 * Loads a TLS listener's stores from `config` and checks they can serve (a key store, a key
 * matching its certificate, the right passwords); throws ConfigError naming the key. At start-up,
 * and for a dynamic change before it is stored (Kafka's SslFactory.validateReconfiguration).
 */
export function checkListenerStores(config: BrokerConfig, listener: Listener): LoadedStores {
  const keyName = keyNameFor(config, listener.name);
  const stores = loadSslStores(listenerSslSettings(config, listener.name), keyName);
  if (!stores.hasKeystore) throw new ConfigError(keyName('ssl.keystore.location'), '', `listener ${listener.name} (${listener.securityProtocol}) needs a key store: set ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain)`);
  try {
    tls.createSecureContext(stores.options);
  } catch (err) {
    throw new ConfigError(keyName('ssl.keystore.location'), listenerConfigValue(config, listener.name, 'ssl.keystore.location') ?? '(inline PEM)', `cannot use the key store: ${(err as Error).message}`);
  }
  return stores;
}

function socketKey(s: net.Socket): string {
  return `${s.remoteAddress}:${s.remotePort}`;
}
