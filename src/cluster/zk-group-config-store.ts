// The group configs in ZooKeeper (see group-config-store.ts for the layout): the whole map in
// /config/groups/<group>, a notification in /config/changes, every broker following them.
import type { Logger } from 'pino';
import type { GroupConfigStore } from '../config/group-configs.js';
import { CONFIG_CHANGE_PREFIX, CONFIG_CHANGES_PATH, decodeEntityConfig } from './broker-config-store.js';
import { desanitize, GROUP_CONFIGS_PATH, GROUP_ENTITY_PREFIX, groupConfigPath, groupOfNotification, sanitize } from './group-config-store.js';
import { isZkError, type Subscription, type ZkClient } from './zk-client.js';

const sequenceOf = (child: string) => Number(child.slice(CONFIG_CHANGE_PREFIX.length));

export class ZkGroupConfigStore implements GroupConfigStore {
  private subscription: Subscription | null = null;
  /** The sequence number of the last notification processed (-1: none yet). */
  private lastExecuted = -1;
  private processing: Promise<void> = Promise.resolve();

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
    const path = groupConfigPath(groupId);
    if (Object.keys(configs).length === 0) {
      await this.zk.delete(path).catch((err: unknown) => {
        if (!isZkError(err, 'NO_NODE')) throw err;
      });
    } else {
      const data = Buffer.from(JSON.stringify({ version: 1, config: configs }));
      try {
        await this.zk.setData(path, data, -1);
      } catch (err) {
        if (!isZkError(err, 'NO_NODE')) throw err;
        await this.zk.mkdirp(GROUP_CONFIGS_PATH);
        try {
          await this.zk.create(path, data);
        } catch (err2) {
          if (!isZkError(err2, 'NODE_EXISTS')) throw err2;
          await this.zk.setData(path, data, -1);
        }
      }
    }
    await this.zk.mkdirp(CONFIG_CHANGES_PATH);
    await this.zk.create(`${CONFIG_CHANGES_PATH}/${CONFIG_CHANGE_PREFIX}`, JSON.stringify({ version: 2, entity_path: `${GROUP_ENTITY_PREFIX}${sanitize(groupId)}` }), 'persistent_sequential');
  }

  async watch(onChange: (groupId: string, configs: Record<string, string>) => void): Promise<void> {
    await this.zk.mkdirp(CONFIG_CHANGES_PATH);
    this.subscription = this.zk.watchChildren(CONFIG_CHANGES_PATH, (children) => {
      const fresh = (children ?? []).filter((c) => c.startsWith(CONFIG_CHANGE_PREFIX)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
      this.processing = this.processing.then(() => this.process(fresh, onChange)).catch((err: unknown) => this.logger.error({ err }, 'could not process group config change notifications'));
    });
    await this.subscription.ready;
  }

  private async process(children: readonly string[], onChange: (groupId: string, configs: Record<string, string>) => void): Promise<void> {
    for (const child of children) {
      const seq = sequenceOf(child);
      if (seq <= this.lastExecuted) continue;
      const node = await this.zk.getData(`${CONFIG_CHANGES_PATH}/${child}`);
      const groupId = groupOfNotification(node?.data ?? null);
      if (groupId !== null) onChange(groupId, await this.read(groupId));
      this.lastExecuted = seq;
    }
  }

  close(): void {
    this.subscription?.close();
  }
}
