// The broker's SASL keys (Kafka's sasl.*, connections.max.reauth.ms), also accepted per
// listener as listener.name.<listener>.<key>. Spread into brokerConfigKeys.
import type { ConfigKey } from './config-def.js';

export const saslConfigKeys = [] as const satisfies readonly ConfigKey[];
