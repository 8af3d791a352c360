// The broker's SASL settings, read and checked once at start from the configuration: per SASL
// listener, the mechanisms it offers (sasl.enabled.mechanisms, per-listener override allowed)
// and, for PLAIN, the users of its PlainLoginModule JAAS entry
// (listener.name.<l>.plain.sasl.jaas.config: user_<name>="<password>"), plus
// connections.max.reauth.ms and sasl.server.max.receive.size. Kafka's rules and their errors:
// GSSAPI and OAUTHBEARER are refused on a SASL listener (Tidelog serves neither), a broker's
// JAAS config must be listener- and mechanism-prefixed (a bare sasl.jaas.config is not read by
// Kafka's brokers either), and an inter-broker SASL listener needs
// sasl.mechanism.inter.broker.protocol set to one of its mechanisms.
// connections.max.reauth.ms is read per listener and mechanism as Kafka reads it. One leniency:
// Kafka also wants a (ScramLoginModule) JAAS entry for each SCRAM mechanism a listener offers,
// whose options a SCRAM server does not use; Tidelog does not require it (it checks one when
// given), except for the inter-broker mechanism, whose entry holds the broker's credentials.
import { listenerConfigValue, listenerRawValue, type BrokerConfig } from '../../config/broker-config.js';
import { ConfigError } from '../../config/config-def.js';
import { parseJaasConfig, type JaasEntry } from '../../config/jaas.js';
import type { Listener } from '../../config/listeners.js';

export type ServedSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SERVED_MECHANISMS: readonly ServedSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's login module of each mechanism. */
export const LOGIN_MODULES: Readonly<Record<ServedSaslMechanism, string>> = {
  PLAIN: 'org.apache.kafka.common.security.plain.PlainLoginModule',
  'SCRAM-SHA-256': 'org.apache.kafka.common.security.scram.ScramLoginModule',
  'SCRAM-SHA-512': 'org.apache.kafka.common.security.scram.ScramLoginModule',
};

export interface SaslListenerSettings {
  readonly listenerName: string;
  readonly mechanisms: readonly ServedSaslMechanism[];
  /** PLAIN's users (user_<name> options), empty when PLAIN is not enabled. */
  readonly plainUsers: ReadonlyMap<string, string>;
  /** The JAAS entry of each enabled mechanism that has one. */
  readonly jaas: ReadonlyMap<ServedSaslMechanism, JaasEntry>;
  /**
   * connections.max.reauth.ms per mechanism, as Kafka reads it:
   * listener.name.<l>.<mechanism>.connections.max.reauth.ms, else
   * listener.name.<l>.connections.max.reauth.ms, else the broker-wide key. 0: no expiry.
   */
  readonly reauthMs: ReadonlyMap<ServedSaslMechanism, number>;
}

export interface SaslSettings {
  /** By upper-case listener name; SASL listeners only. */
  readonly listeners: ReadonlyMap<string, SaslListenerSettings>;
  /** sasl.server.max.receive.size. */
  readonly maxReceiveBytes: number;
}

export function isSaslListener(listener: Listener): boolean {
  return listener.securityProtocol === 'SASL_PLAINTEXT' || listener.securityProtocol === 'SASL_SSL';
}

/** The listener brokers talk to each other on: inter.broker.listener.name, else PLAINTEXT, else the first (as the broker picks it). */
export function interBrokerListener(config: BrokerConfig): Listener {
  const name = config.values['inter.broker.listener.name'];
  const found = name ? config.listeners.find((l) => l.name === name.toUpperCase()) : undefined;
  return found ?? config.listeners.find((l) => l.name === 'PLAINTEXT') ?? config.listeners[0]!;
}

function jaasKey(listener: string, mechanism: string): string {
  return `listener.name.${listener.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
}

/** The JAAS entry of one listener and mechanism, parsed and checked; undefined when not set. */
export function listenerJaas(config: BrokerConfig, listenerName: string, mechanism: ServedSaslMechanism): JaasEntry | undefined {
  const raw = listenerRawValue(config, listenerName, `${mechanism.toLowerCase()}.sasl.jaas.config`);
  if (raw === undefined) return undefined;
  let entry: JaasEntry;
  try {
    entry = parseJaasConfig(raw);
  } catch (err) {
    // The value holds passwords: not repeated in the error.
    throw new ConfigError(jaasKey(listenerName, mechanism), '[hidden]', (err as Error).message);
  }
  if (entry.loginModule !== LOGIN_MODULES[mechanism]) {
    throw new ConfigError(jaasKey(listenerName, mechanism), '[hidden]', `${mechanism} needs the login module ${LOGIN_MODULES[mechanism]}, not ${entry.loginModule}`);
  }
  return entry;
}

/** Reads and checks the SASL settings; throws ConfigError naming the key to fix. */
export function saslSettingsOf(config: BrokerConfig): SaslSettings {
  if (config.unknownKeys.includes('sasl.jaas.config')) {
    throw new ConfigError(
      'sasl.jaas.config',
      '[hidden]',
      'a broker reads its JAAS configuration per listener and mechanism, as Kafka does: set listener.name.<listener>.<mechanism>.sasl.jaas.config (for example listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config)',
    );
  }
  const listeners = new Map<string, SaslListenerSettings>();
  for (const listener of config.listeners) {
    if (!isSaslListener(listener)) continue;
    const raw = listenerConfigValue(config, listener.name, 'sasl.enabled.mechanisms').map((m) => m.trim().toUpperCase());
    const key = listenerRawValue(config, listener.name, 'sasl.enabled.mechanisms') !== undefined ? `listener.name.${listener.name.toLowerCase()}.sasl.enabled.mechanisms` : 'sasl.enabled.mechanisms';
    if (raw.length === 0) throw new ConfigError(key, '', `listener ${listener.name} is ${listener.securityProtocol} and needs at least one SASL mechanism (${SERVED_MECHANISMS.join(', ')})`);
    const mechanisms: ServedSaslMechanism[] = [];
    for (const m of raw) {
      if (!(SERVED_MECHANISMS as readonly string[]).includes(m)) {
        const why = m === 'GSSAPI' || m === 'OAUTHBEARER' ? `${m} (Kafka's ${m === 'GSSAPI' ? 'default, Kerberos' : 'OAuth'}) is not served by Tidelog` : `${m} is not a SASL mechanism Tidelog serves`;
        throw new ConfigError(key, raw.join(','), `${why}; listener ${listener.name} can offer ${SERVED_MECHANISMS.join(', ')}`);
      }
      if (!mechanisms.includes(m as ServedSaslMechanism)) mechanisms.push(m as ServedSaslMechanism);
    }
    const jaas = new Map<ServedSaslMechanism, JaasEntry>();
    for (const m of mechanisms) {
      const entry = listenerJaas(config, listener.name, m);
      if (entry) jaas.set(m, entry);
    }
    const plainUsers = new Map<string, string>();
    if (mechanisms.includes('PLAIN')) {
      const entry = jaas.get('PLAIN');
      if (!entry) {
        throw new ConfigError(
          jaasKey(listener.name, 'PLAIN'),
          '',
          `listener ${listener.name} enables PLAIN, whose users come from its JAAS entry: ${LOGIN_MODULES.PLAIN} required user_<name>="<password>" ...;`,
        );
      }
      for (const [k, v] of entry.options) if (k.startsWith('user_') && k.length > 'user_'.length) plainUsers.set(k.slice('user_'.length), v);
    }
    const reauthMs = new Map<ServedSaslMechanism, number>();
    const listenerReauthMs = listenerConfigValue(config, listener.name, 'connections.max.reauth.ms');
    for (const m of mechanisms) {
      const raw = listenerRawValue(config, listener.name, `${m.toLowerCase()}.connections.max.reauth.ms`);
      const key = `listener.name.${listener.name.toLowerCase()}.${m.toLowerCase()}.connections.max.reauth.ms`;
      if (raw !== undefined && !/^\d+$/.test(raw.trim())) throw new ConfigError(key, raw, 'Value must be a number of type LONG at least 0');
      reauthMs.set(m, raw === undefined ? listenerReauthMs : Number(raw.trim()));
    }
    listeners.set(listener.name, { listenerName: listener.name, mechanisms, plainUsers, jaas, reauthMs });
  }
  const inter = interBrokerListener(config);
  const interSettings = listeners.get(inter.name);
  if (interSettings) {
    const mechanism = (config.values['sasl.mechanism.inter.broker.protocol'] ?? '').trim().toUpperCase();
    if (!config.explicit.has('sasl.mechanism.inter.broker.protocol') || !(interSettings.mechanisms as readonly string[]).includes(mechanism)) {
      throw new ConfigError(
        'sasl.mechanism.inter.broker.protocol',
        mechanism,
        `the inter-broker listener ${inter.name} is ${inter.securityProtocol}: set sasl.mechanism.inter.broker.protocol to one of its mechanisms (${interSettings.mechanisms.join(', ')}); Kafka's default GSSAPI is not served`,
      );
    }
    const entry = interSettings.jaas.get(mechanism as ServedSaslMechanism);
    if (!entry || entry.options.get('username') === undefined || entry.options.get('password') === undefined) {
      throw new ConfigError(jaasKey(inter.name, mechanism), '[hidden]', `the broker's own inter-broker credentials go here: ${LOGIN_MODULES[mechanism as ServedSaslMechanism]} required username="..." password="...";`);
    }
  }
  return { listeners, maxReceiveBytes: config.values['sasl.server.max.receive.size'] };
}
