// The dynamic broker configs in ZooKeeper, as Kafka 2.x-3.x kept them (see broker-config-store.ts
// for the layout): AdminZkClient.changeBrokerConfig to write, ZkNodeChangeNotificationListener on
// /config/changes to follow.
import type { Logger } from 'pino';
import type { BrokerConfigStore } from '../config/dynamic-broker-config.js';
import { brokerConfigPath, brokerEntityOfNotification, CONFIG_CHANGE_EXPIRATION_MS, CONFIG_CHANGE_PREFIX, CONFIG_CHANGES_PATH, decodeEntityConfig } from './broker-config-store.js';
import { isZkError, type Subscription, type ZkClient } from './zk-client.js';

const sequenceOf = (child: string) => Number(child.slice(CONFIG_CHANGE_PREFIX.length));

export class ZkBrokerConfigStore implements BrokerConfigStore {
  private subscription: Subscription | null = null;
  /** The sequence number of the last notification processed (-1: none yet). */
  private lastExecuted = -1;
  private processing: Promise<void> = Promise.resolve();
  /**
   * Kafka keeps a password config in ZooKeeper only encrypted with password.encoder.secret;
   * Tidelog has no encoder, so it keeps none there (a per-listener key store with the same
   * password as the static one can still change its location).
   */
  readonly refusesPasswords = 'Password encoder secret not configured';

  constructor(
    private readonly zk: ZkClient,
    private readonly logger: Logger,
  ) {}

  async read(entity: string): Promise<Record<string, string>> {
    const path = brokerConfigPath(entity);
    const node = await this.zk.getData(path);
    try {
      return decodeEntityConfig(node?.data ?? null);
    } catch (err) {
      this.logger.error({ err, path }, 'unreadable dynamic broker config; ignoring it');
      return {};
    }
  }

  /** AdminZkClient.changeBrokerConfig: set (or create) the entity, then the notification. */
  async write(entity: string, configs: Readonly<Record<string, string>>): Promise<void> {
    const path = brokerConfigPath(entity);
    const data = Buffer.from(JSON.stringify({ version: 1, config: configs }));
    try {
      await this.zk.setData(path, data, -1);
    } catch (err) {
      if (!isZkError(err, 'NO_NODE')) throw err;
      await this.zk.mkdirp('/config/brokers');
      try {
        await this.zk.create(path, data);
      } catch (err2) {
        if (!isZkError(err2, 'NODE_EXISTS')) throw err2;
        await this.zk.setData(path, data, -1);
      }
    }
    await this.zk.mkdirp(CONFIG_CHANGES_PATH);
    await this.zk.create(`${CONFIG_CHANGES_PATH}/${CONFIG_CHANGE_PREFIX}`, JSON.stringify({ version: 2, entity_path: `brokers/${entity}` }), 'persistent_sequential');
  }

  async watch(onChange: (entity: string, configs: Record<string, string>) => void): Promise<void> {
    await this.zk.mkdirp(CONFIG_CHANGES_PATH);
    // As Kafka's listener: the notifications already there are processed too (reading an entity
    // again is harmless), so that none written between the start-up read and this watch is lost.
    this.subscription = this.zk.watchChildren(CONFIG_CHANGES_PATH, (children) => {
      const fresh = (children ?? []).filter((c) => c.startsWith(CONFIG_CHANGE_PREFIX)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
      this.processing = this.processing.then(() => this.process(fresh, onChange)).catch((err: unknown) => this.logger.error({ err }, 'could not process config change notifications'));
    });
    await this.subscription.ready;
  }

  private async process(children: readonly string[], onChange: (entity: string, configs: Record<string, string>) => void): Promise<void> {
    const nowMs = Date.now();
    for (const child of children) {
      const seq = sequenceOf(child);
      const path = `${CONFIG_CHANGES_PATH}/${child}`;
      if (seq > this.lastExecuted) {
        const node = await this.zk.getData(path);
        const entity = brokerEntityOfNotification(node?.data ?? null);
        if (entity !== null) onChange(entity, await this.read(entity));
        this.lastExecuted = seq;
      } else {
        // Kafka's purgeObsoleteNotifications: processed and older than the expiration.
        const node = await this.zk.getData(path);
        if (node && nowMs - node.ctimeMs > CONFIG_CHANGE_EXPIRATION_MS) {
          await this.zk.delete(path).catch((err: unknown) => {
            if (!isZkError(err, 'NO_NODE')) throw err;
          });
        }
      }
    }
  }

  close(): void {
    this.subscription?.close();
  }
}
