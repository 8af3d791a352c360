// Where group configs live (the GroupConfigStore of src/config/group-configs.ts):
// - a single node: the data directory's metadata file (LocalMetadataStore.groupConfigs);
// - a ZooKeeper cluster: in the layout Kafka 2.x-3.x gave every config entity (Kafka keeps
//   group configs in KRaft only; this is their ZooKeeper equivalent): the group's configs in
//   /config/groups/<sanitized group id> as {"version":1,"config":{...}} (the whole map), then a
//   change notification, a persistent sequential znode /config/changes/config_change_<seq>
//   holding {"version":2,"entity_path":"groups/<sanitized group id>"}. Every broker follows
//   /config/changes and reads a group again when a notification newer than the last it
//   processed names it; a broker that starts reads every /config/groups child itself.
//   (zk-group-config-store.ts and zk-config-changes.ts, loaded only with zookeeper.connect.)
import type { Logger } from 'pino';
import type { GroupConfigStore } from '../config/group-configs.js';
import type { LocalMetadataStore } from './local-metadata-store.js';
import { desanitize, sanitize } from './sanitizer.js';

export const GROUP_CONFIGS_PATH = '/config/groups';
export const groupConfigPath = (groupId: string) => `${GROUP_CONFIGS_PATH}/${sanitize(groupId)}`;
export const GROUP_ENTITY_PREFIX = 'groups/';

/** A single node: the groups' configs in the metadata file. */
export class LocalGroupConfigStore implements GroupConfigStore {
  constructor(private readonly metadata: LocalMetadataStore) {}

  async readAll(): Promise<Map<string, Record<string, string>>> {
    return new Map(Object.entries(this.metadata.groupConfigs()));
  }

  async write(groupId: string, configs: Readonly<Record<string, string>>): Promise<void> {
    this.metadata.setGroupConfigs(groupId, configs);
  }

  async watch(): Promise<void> {}

  close(): void {}
}

/** The group a config change notification names, or null (another entity type, or not ours to read). */
export function groupOfNotification(data: Buffer | null): string | null {
  if (!data || data.length === 0) return null;
  try {
    const o = JSON.parse(data.toString('utf8')) as { version?: number; entity_path?: string; entity_type?: string; entity_name?: string };
    if (o.version === 2 && typeof o.entity_path === 'string' && o.entity_path.startsWith(GROUP_ENTITY_PREFIX)) return desanitize(o.entity_path.slice(GROUP_ENTITY_PREFIX.length));
    if (o.version === 1 && o.entity_type === 'groups' && typeof o.entity_name === 'string') return o.entity_name;
  } catch {
    // Not JSON: not ours to read.
  }
  return null;
}
