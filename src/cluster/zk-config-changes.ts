// Kafka's ZooKeeper-mode entity configs, written and followed alike for each entity type that
// lives there (dynamic broker configs, group configs; SCRAM users keep their own follower in
// src/security/sasl/zk-user-configs.ts, which loads every user instead of replaying):
// - writeEntityConfig, AdminZkClient.changeEntityConfig: the entity's whole map set (or created)
//   in /config/<type>/<name>, then a persistent sequential notification
//   /config/changes/config_change_<seq> holding {"version":2,"entity_path":"<type>/<name>"}.
// - ConfigChangeFollower, ZkNodeChangeNotificationListener: every notification newer than the
//   last one processed makes the broker read the entity it names again; processed notifications
//   older than 15 minutes are deleted (by whichever broker gets there first). The notifications
//   already there at start are replayed too: reading an entity again is harmless, and none
//   written between a store's start-up read and its watch is lost.
// Loaded only with zookeeper.connect.
import type { Logger } from 'pino';
import { CONFIG_CHANGE_EXPIRATION_MS, CONFIG_CHANGE_PREFIX, CONFIG_CHANGES_PATH } from './broker-config-store.js';
import { isZkError, type Subscription, type ZkClient } from './zk-client.js';

const sequenceOf = (child: string) => Number(child.slice(CONFIG_CHANGE_PREFIX.length));

const ignoreMissing = (err: unknown) => {
  if (!isZkError(err, 'NO_NODE')) throw err;
};

/**
 * Sets the entity's configs (the whole map) and notifies every broker. `deleteWhenEmpty`
 * removes the entity's znode for an empty map (group configs) instead of writing {}.
 */
export async function writeEntityConfig(zk: ZkClient, entityType: string, name: string, configs: Readonly<Record<string, string>>, options: { deleteWhenEmpty?: boolean } = {}): Promise<void> {
  const parent = `/config/${entityType}`;
  const path = `${parent}/${name}`;
  if (options.deleteWhenEmpty && Object.keys(configs).length === 0) {
    await zk.delete(path).catch(ignoreMissing);
  } else {
    const data = Buffer.from(JSON.stringify({ version: 1, config: configs }));
    try {
      await zk.setData(path, data, -1);
    } catch (err) {
      if (!isZkError(err, 'NO_NODE')) throw err;
      await zk.mkdirp(parent);
      try {
        await zk.create(path, data);
      } catch (err2) {
        if (!isZkError(err2, 'NODE_EXISTS')) throw err2;
        await zk.setData(path, data, -1);
      }
    }
  }
  await zk.mkdirp(CONFIG_CHANGES_PATH);
  await zk.create(`${CONFIG_CHANGES_PATH}/${CONFIG_CHANGE_PREFIX}`, JSON.stringify({ version: 2, entity_path: `${entityType}/${name}` }), 'persistent_sequential');
}

/** Follows /config/changes for one entity type: `entityOf` reads a notification (null: another type's), `onChange` re-reads the entity. */
export class ConfigChangeFollower {
  private subscription: Subscription | null = null;
  /** The sequence number of the last notification processed (-1: none yet). */
  private lastExecuted = -1;
  private processing: Promise<void> = Promise.resolve();

  constructor(
    private readonly zk: ZkClient,
    private readonly logger: Logger,
    private readonly what: string,
    private readonly entityOf: (data: Buffer | null) => string | null,
    private readonly onChange: (entity: string) => Promise<void>,
  ) {}

  /** Resolves once the watch is set; notifications are then processed in order, one at a time. */
  async start(): Promise<void> {
    await this.zk.mkdirp(CONFIG_CHANGES_PATH);
    this.subscription = this.zk.watchChildren(CONFIG_CHANGES_PATH, (children) => {
      const ordered = (children ?? []).filter((c) => c.startsWith(CONFIG_CHANGE_PREFIX)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
      this.processing = this.processing.then(() => this.process(ordered)).catch((err: unknown) => this.logger.error({ err }, `could not process ${this.what} change notifications`));
    });
    await this.subscription.ready;
  }

  private async process(children: readonly string[]): Promise<void> {
    const nowMs = Date.now();
    for (const child of children) {
      const seq = sequenceOf(child);
      const path = `${CONFIG_CHANGES_PATH}/${child}`;
      const node = await this.zk.getData(path);
      if (seq > this.lastExecuted) {
        const entity = this.entityOf(node?.data ?? null);
        if (entity !== null) await this.onChange(entity);
        this.lastExecuted = seq;
      } else if (node && nowMs - node.ctimeMs > CONFIG_CHANGE_EXPIRATION_MS) {
        // Kafka's purgeObsoleteNotifications: processed and older than the expiration.
        await this.zk.delete(path).catch(ignoreMissing);
      }
    }
  }

  close(): void {
    this.subscription?.close();
  }
}
