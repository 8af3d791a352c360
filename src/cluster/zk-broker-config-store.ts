// The dynamic broker configs in ZooKeeper, as Kafka 2.x-3.x kept them (see broker-config-store.ts
// for the layout): AdminZkClient.changeBrokerConfig to write, ZkNodeChangeNotificationListener on
// /config/changes to follow (both in zk-config-changes.ts).
import type { Logger } from 'pino';
import type { BrokerConfigStore } from '../config/dynamic-broker-config.js';
import { brokerConfigPath, brokerEntityOfNotification, decodeEntityConfig } from './broker-config-store.js';
import { ConfigChangeFollower, writeEntityConfig } from './zk-config-changes.js';
import type { ZkClient } from './zk-client.js';

export class ZkBrokerConfigStore implements BrokerConfigStore {
  private follower: ConfigChangeFollower | null = null;
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
    await writeEntityConfig(this.zk, 'brokers', entity, configs);
  }

  async watch(onChange: (entity: string, configs: Record<string, string>) => void): Promise<void> {
    this.follower = new ConfigChangeFollower(this.zk, this.logger, 'config', brokerEntityOfNotification, async (entity) => onChange(entity, await this.read(entity)));
    await this.follower.start();
  }

  close(): void {
    this.follower?.close();
  }
}
