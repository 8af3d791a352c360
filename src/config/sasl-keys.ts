// The broker's SASL keys (Kafka's sasl.*, connections.max.reauth.ms), also accepted per
// listener as listener.name.<listener>.<key>. Spread into brokerConfigKeys.
// The JAAS entries themselves are per listener and mechanism only, as Kafka reads them for a
// broker: `listener.name.<listener>.<mechanism>.sasl.jaas.config` (raw, read with
// listenerRawValue, never a broker key: they hold passwords and DescribeConfigs must not show
// them). src/security/sasl/sasl-settings.ts checks all of it at start.
import { intKey, listKey, longKey, stringKey, type ConfigKey } from './config-def.js';

export const saslConfigKeys = [
  listKey('sasl.enabled.mechanisms', ['GSSAPI'], {
    doc: 'SASL mechanisms a SASL listener offers (Tidelog serves PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; Kafka\'s default GSSAPI must be replaced on a SASL listener).',
  }),
  stringKey('sasl.mechanism.inter.broker.protocol', 'GSSAPI', {
    doc: 'SASL mechanism brokers use with each other when the inter-broker listener is SASL (must be set then: the default GSSAPI is not served).',
  }),
  longKey('connections.max.reauth.ms', 0, {
    min: 0,
    doc: 'KIP-368: SASL sessions last this long; a client must re-authenticate on its connection before then or it is closed. 0: sessions never expire.',
  }),
  intKey('sasl.server.max.receive.size', 524288, { min: 1, doc: 'The largest request accepted before SASL authentication completes (larger: the connection is closed).' }),
] as const satisfies readonly ConfigKey[];
