// The package's public API: an embeddable broker, and the configuration types.
export { startBroker, type EmbeddedBroker, type StartBrokerOptions } from './embedded.js';
export { Broker } from './broker/broker.js';
export { buildBrokerConfig, loadBrokerConfig, type BrokerConfig } from './config/broker-config.js';
export { ConfigError } from './config/config-def.js';
