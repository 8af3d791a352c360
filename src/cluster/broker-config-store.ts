// Where the dynamic broker configs live (the BrokerConfigStore of src/config/dynamic-broker-config.ts):
// - a single node: the data directory's metadata file (LocalMetadataStore.brokerConfigs);
// - a ZooKeeper cluster: Kafka 2.x-3.x's layout. The entity's configs in /config/brokers/<id> or
//   /config/brokers/<default> as {"version":1,"config":{...}} (AdminZkClient.changeBrokerConfig
//   writes the whole map), then a change notification, a persistent sequential znode
//   /config/changes/config_change_<10 digits> holding {"version":2,"entity_path":"brokers/<id>"}.
//   Every broker follows /config/changes (ZkNodeChangeNotificationListener): each notification
//   newer than the last one it processed makes it read that entity again; notifications older
//   than 15 minutes (Kafka's changeExpirationMs) that were processed are deleted. A broker that
//   starts reads both entities itself, so it needs no old notification. (zk-broker-config-store.ts,
//   loaded only with zookeeper.connect.)
import type { Logger } from 'pino';
import type { BrokerConfigStore } from '../config/dynamic-broker-config.js';
import type { LocalMetadataStore } from './local-metadata-store.js';

export const brokerConfigPath = (entity: string) => `/config/brokers/${entity}`;
export const CONFIG_CHANGES_PATH = '/config/changes';
export const CONFIG_CHANGE_PREFIX = 'config_change_';
/** Kafka's ZkNodeChangeNotificationListener changeExpirationMs: processed notifications older than this are purged. */
export const CONFIG_CHANGE_EXPIRATION_MS = 15 * 60 * 1000;

/** A single node: the entities in the metadata file; a change is seen at once (no other broker). */
export class LocalBrokerConfigStore implements BrokerConfigStore {
  constructor(private readonly metadata: LocalMetadataStore) {}

  async read(entity: string): Promise<Record<string, string>> {
    return this.metadata.brokerEntityConfigs(entity);
  }

  async write(entity: string, configs: Readonly<Record<string, string>>): Promise<void> {
    this.metadata.setBrokerEntityConfigs(entity, configs);
  }

  async watch(): Promise<void> {}

  close(): void {}
}

/** Kafka's entity config znode: {"version":1,"config":{...}}, values as strings. */
export function decodeEntityConfig(data: Buffer | null): Record<string, string> {
  if (!data || data.length === 0) return {};
  const o = JSON.parse(data.toString('utf8')) as { config?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(o.config ?? {}).map(([k, v]) => [k, String(v)]));
}

/** The entity a config change notification names, when it is a broker's: version 2 entity_path, or version 1 entity_type/entity_name. */
export function brokerEntityOfNotification(data: Buffer | null): string | null {
  if (!data || data.length === 0) return null;
  try {
    const o = JSON.parse(data.toString('utf8')) as { version?: number; entity_path?: string; entity_type?: string; entity_name?: string };
    if (o.version === 2 && typeof o.entity_path === 'string') return o.entity_path.startsWith('brokers/') ? o.entity_path.slice('brokers/'.length) : null;
    if (o.version === 1 && o.entity_type === 'brokers' && typeof o.entity_name === 'string') return o.entity_name;
  } catch {
    // Not JSON: not ours to read.
  }
  return null;
}

