// The broker's TLS keys (Kafka's ssl.*), also accepted per listener as
// listener.name.<listener>.ssl.*. Spread into brokerConfigKeys.
import type { ConfigKey } from './config-def.js';

export const sslConfigKeys = [] as const satisfies readonly ConfigKey[];
