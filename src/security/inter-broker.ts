// How this broker connects to the other brokers (replication, transaction markers, the admin
// API's client of its own cluster): the inter-broker listener (inter.broker.listener.name,
// else the one named PLAINTEXT, else the first, as the endpoints are picked) and the client
// security for it, made of the broker's own settings for that listener: its security
// protocol and its ssl.* values (listener.name.<l>.ssl.* over ssl.*), so the broker presents
// its own certificate and trusts its own trust store, as Kafka's inter-broker clients do.
// On a SASL listener, the broker's own credentials: the username and password of the
// listener's JAAS entry for sasl.mechanism.inter.broker.protocol
// (listener.name.<l>.<mechanism>.sasl.jaas.config, as Kafka reads them).
import { configValueText } from '../config/config-def.js';
import { listenerConfigValue, type BrokerConfig, type BrokerConfigValues } from '../config/broker-config.js';
import { sslConfigKeys } from '../config/ssl-keys.js';
import type { ClientSecurity, SaslCredentials, SaslMechanism } from '../client/client-security.js';
import { isSaslListener, listenerJaas, type ServedSaslMechanism } from './sasl/sasl-settings.js';

/**
 * The listener brokers replicate over: inter.broker.listener.name, else PLAINTEXT, else the
 * first, the way ReplicationManager and the marker sender pick the endpoint (so a name that
 * names no listener falls back as they do, and the security matches the endpoint used).
 */
export function interBrokerListenerName(config: BrokerConfig): string {
  const names = config.listeners.map((l) => l.name);
  const configured = config.values['inter.broker.listener.name']?.toUpperCase() ?? null;
  if (configured !== null && names.includes(configured)) return configured;
  return names.includes('PLAINTEXT') ? 'PLAINTEXT' : names[0]!;
}

/** The client security of this broker's connections to other brokers. */
export function interBrokerSecurity(config: BrokerConfig): ClientSecurity {
  return interBrokerSecurityFor(config, interBrokerListenerName(config));
}

/** The broker's own client security for connections to listener `name` (of itself or another broker). */
export function interBrokerSecurityFor(config: BrokerConfig, name: string): ClientSecurity {
  const listener = config.listeners.find((l) => l.name === name) ?? config.advertisedListeners.find((l) => l.name === name);
  const securityProtocol = listener?.securityProtocol ?? 'PLAINTEXT';
  const ssl = new Map<string, string>();
  if (securityProtocol === 'SSL' || securityProtocol === 'SASL_SSL') {
    for (const key of sslConfigKeys) {
      const text = configValueText(listenerConfigValue(config, name, key.name as keyof BrokerConfigValues));
      if (text !== null) ssl.set(key.name, text);
    }
  }
  return { securityProtocol, ssl, sasl: listener && isSaslListener(listener) ? interBrokerCredentials(config, name) : null };
}

/** The broker's own SASL credentials on listener `name`; checked at start (saslSettingsOf) to be there. */
function interBrokerCredentials(config: BrokerConfig, name: string): SaslCredentials {
  const mechanism = (config.values['sasl.mechanism.inter.broker.protocol'] ?? '').trim().toUpperCase() as ServedSaslMechanism & SaslMechanism;
  const entry = listenerJaas(config, name, mechanism);
  const username = entry?.options.get('username');
  const password = entry?.options.get('password');
  if (username === undefined || password === undefined) throw new Error(`listener ${name}: no inter-broker credentials for ${mechanism}`);
  return { mechanism, username, password };
}
