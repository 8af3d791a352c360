// User entity configs in ZooKeeper, in Kafka's ZooKeeper-mode layout (AdminZkClient /
// ZkConfigManager):
//   /config/users/<sanitized user>           {"version":1,"config":{"SCRAM-SHA-256":"salt=...,..."}}
//   /config/changes/config_change_<seq>      {"version":2,"entity_path":"users/<sanitized user>"}
// A write sets the entity znode, then creates the sequential change notification. Every broker
// watches /config/changes and re-reads the entities named by notifications newer than the last
// it processed, so a user created through one broker authenticates on the others. User names
// are sanitized as Kafka's Sanitizer does (URL-encoding, "*" as %2A). As Kafka's
// ZkNodeChangeNotificationListener, each broker deletes notifications older than 15 minutes
// after processing new ones (a broker that was away longer reads every user again on start).
import type { Logger } from 'pino';
import { CONFIG_CHANGE_EXPIRATION_MS as CHANGE_EXPIRATION_MS, CONFIG_CHANGE_PREFIX as CHANGE_PREFIX, CONFIG_CHANGES_PATH as CHANGES_PATH } from '../../cluster/broker-config-store.js';
import { desanitize, sanitize } from '../../cluster/sanitizer.js';
import { isZkError, type Subscription, type ZkClient } from '../../cluster/zk-client.js';
import { writeEntityConfig } from '../../cluster/zk-config-changes.js';
import type { UserConfigBackend } from './credential-store.js';

export const USERS_PATH = '/config/users';
export function decodeUserConfig(path: string, data: Buffer): Record<string, string> {
  if (data.length === 0) return {};
  const o = JSON.parse(data.toString('utf8')) as { config?: unknown };
  if (typeof o.config !== 'object' || o.config === null) throw new Error(`${path}: "config" must be an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.config)) out[k] = String(v);
  return out;
}

/** Writes one user's configs and the change notification (also used by `tidelog configs --zookeeper`). */
export async function writeUserConfigToZk(zk: ZkClient, user: string, configs: Readonly<Record<string, string>>): Promise<void> {
  await writeEntityConfig(zk, 'users', sanitize(user), configs);
}

/** Reads one user's configs from ZooKeeper ({} when absent). */
export async function readUserConfigFromZk(zk: ZkClient, user: string): Promise<Record<string, string>> {
  const path = `${USERS_PATH}/${sanitize(user)}`;
  const node = await zk.getData(path);
  return node ? decodeUserConfig(path, node.data) : {};
}

export class ZkUserConfigs implements UserConfigBackend {
  private readonly users = new Map<string, Readonly<Record<string, string>>>();
  private lastChange = -1;
  private subscription: Subscription | null = null;
  private reading: Promise<void> = Promise.resolve();

  private constructor(
    private readonly zk: ZkClient,
    private readonly logger: Logger,
  ) {}

  /** Loads every user entity and starts following change notifications. */
  static async start(zk: ZkClient, logger: Logger): Promise<ZkUserConfigs> {
    const store = new ZkUserConfigs(zk, logger);
    await zk.mkdirp(USERS_PATH);
    await zk.mkdirp(CHANGES_PATH);
    let first = true;
    store.subscription = zk.watchChildren(CHANGES_PATH, (children) => {
      const seqs = (children ?? []).filter((c) => c.startsWith(CHANGE_PREFIX)).map((c) => Number(c.slice(CHANGE_PREFIX.length))).sort((a, b) => a - b);
      if (first) {
        // Everything up to now is in the full load below.
        first = false;
        store.lastChange = seqs.at(-1) ?? -1;
        store.chain(() => store.loadAll());
        return;
      }
      const fresh = seqs.filter((s) => s > store.lastChange);
      if (fresh.length === 0) return;
      store.lastChange = fresh.at(-1)!;
      store.chain(() => store.process(fresh));
    });
    await store.subscription.ready;
    await store.reading;
    return store;
  }

  /** Reads run one after another on the JS thread, in notification order. */
  private chain(step: () => Promise<void>): void {
    this.reading = this.reading.then(step).catch((err: unknown) => this.logger.error({ err }, 'reading SCRAM users from ZooKeeper failed'));
  }

  private async loadAll(): Promise<void> {
    const names = (await this.zk.getChildren(USERS_PATH)) ?? [];
    for (const sanitized of names) await this.readUser(sanitized);
  }

  private async process(seqs: readonly number[]): Promise<void> {
    const users = new Set<string>();
    for (const seq of seqs) {
      const node = await this.zk.getData(`${CHANGES_PATH}/${CHANGE_PREFIX}${String(seq).padStart(10, '0')}`);
      if (!node) continue;
      try {
        const o = JSON.parse(node.data.toString('utf8')) as { entity_path?: unknown; entity_type?: unknown; entity_name?: unknown };
        // Version 2: entity_path "users/<name>"; version 1: entity_type and entity_name.
        if (typeof o.entity_path === 'string' && o.entity_path.startsWith('users/')) users.add(o.entity_path.slice('users/'.length));
        else if (o.entity_type === 'users' && typeof o.entity_name === 'string') users.add(o.entity_name);
      } catch (err) {
        this.logger.warn({ err, seq }, 'unreadable config change notification');
      }
    }
    // A quota entity path like users/<u>/clients/<c> is not a SCRAM entity.
    for (const u of users) if (!u.includes('/')) await this.readUser(u);
    await this.purgeObsolete();
  }

  /** Deletes notifications older than CHANGE_EXPIRATION_MS (another broker may be deleting them too). */
  private async purgeObsolete(): Promise<void> {
    const now = Date.now();
    for (const child of (await this.zk.getChildren(CHANGES_PATH)) ?? []) {
      if (!child.startsWith(CHANGE_PREFIX)) continue;
      const node = await this.zk.getData(`${CHANGES_PATH}/${child}`);
      if (!node || now - node.ctimeMs < CHANGE_EXPIRATION_MS) continue;
      try {
        await this.zk.delete(`${CHANGES_PATH}/${child}`);
      } catch (err) {
        if (!isZkError(err, 'NO_NODE')) throw err;
      }
    }
  }

  private async readUser(sanitized: string): Promise<void> {
    const path = `${USERS_PATH}/${sanitized}`;
    const node = await this.zk.getData(path);
    const user = desanitize(sanitized);
    if (!node) {
      this.users.delete(user);
      return;
    }
    const configs = decodeUserConfig(path, node.data);
    if (Object.keys(configs).length === 0) this.users.delete(user);
    else this.users.set(user, configs);
  }

  all(): ReadonlyMap<string, Readonly<Record<string, string>>> {
    return this.users;
  }

  async write(user: string, configs: Readonly<Record<string, string>>): Promise<void> {
    await writeUserConfigToZk(this.zk, user, configs);
    if (Object.keys(configs).length === 0) this.users.delete(user);
    else this.users.set(user, { ...configs });
  }

  close(): void {
    this.subscription?.close();
  }
}
