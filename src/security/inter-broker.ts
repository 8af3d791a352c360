// How this broker secures its own client connections to other brokers (replication, the
// transaction marker sender, the admin API's cluster client): the inter-broker listener's
// security protocol and, when it is SASL, the broker's own credentials, the username and
// password of the listener's JAAS entry for sasl.mechanism.inter.broker.protocol
// (listener.name.<l>.<mechanism>.sasl.jaas.config, as Kafka reads them). TLS settings are the
// TLS part's to add (ssl: empty here).
import type { BrokerConfig } from '../config/broker-config.js';
import type { ClientSecurity, SaslMechanism } from '../client/client-security.js';
import { interBrokerListener, isSaslListener, listenerJaas, type ServedSaslMechanism } from './sasl/sasl-settings.js';

export function interBrokerSecurity(config: BrokerConfig): ClientSecurity {
  const listener = interBrokerListener(config);
  if (!isSaslListener(listener)) return { securityProtocol: listener.securityProtocol, ssl: new Map(), sasl: null };
  // saslSettingsOf checked at start that the mechanism is enabled and its entry has both.
  const mechanism = (config.values['sasl.mechanism.inter.broker.protocol'] ?? '').trim().toUpperCase() as ServedSaslMechanism & SaslMechanism;
  const entry = listenerJaas(config, listener.name, mechanism);
  const username = entry?.options.get('username');
  const password = entry?.options.get('password');
  if (username === undefined || password === undefined) throw new Error(`listener ${listener.name}: no inter-broker credentials for ${mechanism}`);
  return { securityProtocol: listener.securityProtocol, ssl: new Map(), sasl: { mechanism, username, password } };
}
