// The group configs in ZooKeeper (see group-config-store.ts for the layout): the whole map in
// /config/groups/<group>, a notification in /config/changes, every broker following them
// (zk-config-changes.ts).
import type { Logger } from 'pino';
import type { GroupConfigStore } from '../config/group-configs.js';
import { decodeEntityConfig } from './broker-config-store.js';
import { GROUP_CONFIGS_PATH, groupConfigPath, groupOfNotification } from './group-config-store.js';
import { desanitize, sanitize } from './sanitizer.js';
import { ConfigChangeFollower, writeEntityConfig } from './zk-config-changes.js';
import type { ZkClient } from './zk-client.js';

export class ZkGroupConfigStore implements GroupConfigStore {
  private follower: ConfigChangeFollower | null = null;

  constructor(
    private readonly zk: ZkClient,
    private readonly logger: Logger,
  ) {}

  private async read(groupId: string): Promise<Record<string, string>> {
    const path = groupConfigPath(groupId);
    const node = await this.zk.getData(path);
    try {
      return decodeEntityConfig(node?.data ?? null);
    } catch (err) {
      this.logger.error({ err, path }, 'unreadable group config; ignoring it');
      return {};
    }
  }

  async readAll(): Promise<Map<string, Record<string, string>>> {
    const children = (await this.zk.getChildren(GROUP_CONFIGS_PATH)) ?? [];
    const all = new Map<string, Record<string, string>>();
    for (const child of children) {
      const groupId = desanitize(child);
      const configs = await this.read(groupId);
      if (Object.keys(configs).length > 0) all.set(groupId, configs);
    }
    return all;
  }

  /** Sets (or creates) the group's znode with the whole map, then the notification. An empty map deletes the znode. */
  async write(groupId: string, configs: Readonly<Record<string, string>>): Promise<void> {
    await writeEntityConfig(this.zk, 'groups', sanitize(groupId), configs, { deleteWhenEmpty: true });
  }

  async watch(onChange: (groupId: string, configs: Record<string, string>) => void): Promise<void> {
    this.follower = new ConfigChangeFollower(this.zk, this.logger, 'group config', groupOfNotification, async (groupId) => onChange(groupId, await this.read(groupId)));
    await this.follower.start();
  }

  close(): void {
    this.follower?.close();
  }
}
