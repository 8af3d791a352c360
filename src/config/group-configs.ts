// GroupConfigs: every group's configs on this broker (Kafka's GroupConfigManager), the same
// on every broker of a cluster. A change through any broker (IncrementalAlterConfigs on a
// GROUP resource) is validated (group-config.ts), written to the GroupConfigStore (ZooKeeper
// in a cluster, the metadata file on a single node) and then seen by every broker through the
// store's change notifications, so the group's coordinator applies it wherever it moves and
// after restarts. Readers (the share-group and consumer-group coordinators) ask
// groupConfig(groupId) each time they need a value: nothing to re-apply on a change.
// Changes are serialized (one alter at a time: read-modify-write of a group's whole map).
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerConfig } from './broker-config.js';
import { GROUP_CONFIG_KEYS, GROUP_CONFIG_SOURCE, GROUP_CONFIG_TYPE_CODE, groupConfigDefault, groupConfigKey, validateGroupConfigs } from './group-config.js';

/** Where the group configs are kept (src/cluster/group-config-store.ts). */
export interface GroupConfigStore {
  /** Every group with configs. */
  readAll(): Promise<Map<string, Record<string, string>>>;
  /** Replaces a group's whole map (empty: none), visible to every broker. */
  write(groupId: string, configs: Readonly<Record<string, string>>): Promise<void>;
  /** Follows changes made through other brokers. */
  watch(onChange: (groupId: string, configs: Record<string, string>) => void): Promise<void>;
  close(): void;
}

/** IncrementalAlterConfigs' operations. */
const SET = 0;
const DELETE = 1;

export interface GroupConfigOp {
  readonly name: string;
  readonly configOperation: number;
  readonly value: string | null;
}

export interface GroupConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly readOnly: boolean;
  readonly isDefault: boolean;
  readonly configSource: number;
  readonly isSensitive: boolean;
  readonly synonyms: { name: string; value: string; source: number }[];
  readonly configType: number;
  readonly documentation: string | null;
}

const EMPTY: ReadonlyMap<string, string> = new Map();

export class GroupConfigs {
  private readonly configs = new Map<string, ReadonlyMap<string, string>>();
  private changes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly config: BrokerConfig,
    private readonly store: GroupConfigStore,
    private readonly logger: Logger,
  ) {}

  /** Reads every group's configs, then follows changes. */
  static async load(config: BrokerConfig, store: GroupConfigStore, logger: Logger): Promise<GroupConfigs> {
    const g = new GroupConfigs(config, store, logger.child({ component: 'group-configs' }));
    for (const [groupId, configs] of await store.readAll()) g.set(groupId, configs);
    await store.watch((groupId, configs) => g.set(groupId, configs));
    return g;
  }

  private set(groupId: string, configs: Readonly<Record<string, string>>): void {
    if (Object.keys(configs).length === 0) this.configs.delete(groupId);
    else this.configs.set(groupId, new Map(Object.entries(configs)));
  }

  /** The configs set on the group (its overrides only; effective values: group-config.ts effectiveInt / groupConfigDefault). */
  groupConfig(groupId: string): ReadonlyMap<string, string> {
    return this.configs.get(groupId) ?? EMPTY;
  }

  /** IncrementalAlterConfigs on a GROUP resource: SET and DELETE; validated as a whole (Kafka's GroupConfig.validate). */
  alter(groupId: string, ops: readonly GroupConfigOp[], validateOnly: boolean): Promise<{ errorCode: number; errorMessage: string | null }> {
    const result = this.changes.then(() => this.alterNow(groupId, ops, validateOnly));
    this.changes = result.catch(() => undefined);
    return result;
  }

  private async alterNow(groupId: string, ops: readonly GroupConfigOp[], validateOnly: boolean): Promise<{ errorCode: number; errorMessage: string | null }> {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Group name must not be empty' };
    const next: Record<string, string> = Object.fromEntries(this.groupConfig(groupId));
    for (const op of ops) {
      if (op.configOperation === SET) {
        if (op.value === null) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Null value not supported for ${op.name}` };
        next[op.name] = op.value;
      } else if (op.configOperation === DELETE) {
        if (!groupConfigKey(op.name)) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Unknown group config name: ${op.name}` };
        delete next[op.name];
      } else {
        return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Config value append/subtract is not allowed for config key ${op.name}` };
      }
    }
    const bad = validateGroupConfigs(next, this.config);
    if (bad) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: bad };
    if (validateOnly) return { errorCode: ErrorCode.NONE, errorMessage: null };
    try {
      await this.store.write(groupId, next);
    } catch (err) {
      this.logger.warn({ err, group: groupId }, 'writing group configs failed');
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The group configs could not be written' };
    }
    this.set(groupId, next);
    this.logger.info({ group: groupId, configs: next }, 'group configs changed');
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  /** Removes a group's configs (the group was deleted). */
  async deleteGroup(groupId: string): Promise<void> {
    if (!this.configs.has(groupId)) return;
    await this.alter(groupId, [...this.groupConfig(groupId).keys()].map((name) => ({ name, configOperation: DELETE, value: null })), false);
  }

  /** DescribeConfigs on a GROUP resource: every key, its value and where it comes from. */
  describe(groupId: string, keep: (name: string) => boolean): GroupConfigEntry[] {
    const set = this.groupConfig(groupId);
    return GROUP_CONFIG_KEYS.filter((k) => keep(k.name)).map((k) => {
      const dynamic = set.get(k.name);
      const def = groupConfigDefault(k.name, this.config);
      return {
        name: k.name,
        value: dynamic ?? def.value,
        readOnly: false,
        // DescribeConfigs v1+ (the versions that know GROUP resources) carry configSource instead.
        isDefault: false,
        configSource: dynamic !== undefined ? GROUP_CONFIG_SOURCE.dynamicGroup : def.fromBroker ? GROUP_CONFIG_SOURCE.staticBroker : GROUP_CONFIG_SOURCE.defaultConfig,
        isSensitive: false,
        synonyms: [],
        configType: GROUP_CONFIG_TYPE_CODE[k.type],
        documentation: k.doc,
      };
    });
  }

  close(): void {
    this.store.close();
  }
}
