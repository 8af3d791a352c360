// LocalMetadataStore: single-node metadata with no ZooKeeper, kept in
// `<first log dir>/tidelog-metadata.json` (written to a temp file, fsynced, renamed: a crash
// leaves the old or the new state, never half of one). Each log dir also gets Kafka's
// meta.properties (version, broker.id, cluster.id) so the directory is recognisable.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import type { MetadataStore, PartitionAssignment, TopicMetadata } from './metadata-store.js';
import { parseProperties } from '../config/properties.js';

const METADATA_FILE = 'tidelog-metadata.json';
const FORMAT_VERSION = 1;

interface StoredState {
  version: number;
  clusterId: string;
  topics: TopicMetadata[];
  /** First producer id not yet handed out in a block (absent in files written before producer ids existed). */
  nextProducerIdBlock?: number;
  /**
   * User entity configs (Kafka's /config/users/<user> on a single node): SCRAM credentials as
   * "SCRAM-SHA-256" -> "salt=...,stored_key=...,server_key=...,iterations=..." (never a password).
   * Absent in files written before SASL existed.
   */
  users?: Record<string, Record<string, string>>;
  /**
   * Dynamic broker configs (Kafka's /config/brokers/<id> and /config/brokers/<default> on a
   * single node), by entity. Absent in files written before dynamic broker configs existed.
   */
  brokerConfigs?: Record<string, Record<string, string>>;
  /** Group configs (Kafka's GROUP config resource), by group id. Absent in files written before them. */
  groupConfigs?: Record<string, Record<string, string>>;
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64 without padding (22 characters). */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export class LocalMetadataStore implements MetadataStore {
  private readonly file: string;
  private state: StoredState;
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();
  private userMap: Map<string, Readonly<Record<string, string>>> | null = null;

  constructor(logDirs: readonly string[], brokerId: number, configuredClusterId: string | null) {
    this.file = path.join(logDirs[0]!, METADATA_FILE);
    if (existsSync(this.file)) {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as StoredState;
      if (parsed.version !== FORMAT_VERSION) throw new Error(`${this.file}: unsupported metadata format version ${parsed.version}`);
      this.state = parsed;
    } else {
      this.state = { version: FORMAT_VERSION, clusterId: configuredClusterId ?? newClusterId(), topics: [] };
      this.persist();
    }
    if (configuredClusterId && configuredClusterId !== this.state.clusterId) {
      throw new Error(`cluster.id ${configuredClusterId} does not match ${this.state.clusterId} stored in ${this.file}`);
    }
    for (const t of this.state.topics) this.index(t);
    for (const dir of logDirs) this.writeMetaProperties(dir, brokerId);
  }

  get clusterId(): string {
    return this.state.clusterId;
  }

  private writeMetaProperties(dir: string, brokerId: number): void {
    const file = path.join(dir, 'meta.properties');
    if (existsSync(file)) {
      const props = parseProperties(readFileSync(file, 'utf8'));
      const stored = props.get('cluster.id');
      if (stored && stored !== this.clusterId) throw new Error(`${file} belongs to cluster ${stored}, not ${this.clusterId}`);
      const storedBroker = props.get('broker.id');
      if (storedBroker && Number(storedBroker) !== brokerId) throw new Error(`${file} belongs to broker.id ${storedBroker}, but broker.id is ${brokerId}`);
      return;
    }
    writeFileAtomically(file, `#\n#${new Date().toString()}\nversion=0\nbroker.id=${brokerId}\ncluster.id=${this.clusterId}\n`);
  }

  private index(t: TopicMetadata): void {
    this.byName.set(t.name, t);
    this.byId.set(t.topicId, t);
  }

  private persist(): void {
    writeFileAtomically(this.file, `${JSON.stringify(this.state, null, 1)}\n`);
  }

  listTopics(): readonly TopicMetadata[] {
    return this.state.topics;
  }

  getTopic(name: string): TopicMetadata | undefined {
    return this.byName.get(name);
  }

  getTopicById(topicId: string): TopicMetadata | undefined {
    return this.byId.get(topicId);
  }

  createTopic(name: string, partitions: readonly PartitionAssignment[], configs: Readonly<Record<string, string>>): TopicMetadata {
    if (this.byName.has(name)) throw new Error(`Topic '${name}' already exists.`);
    const topic: TopicMetadata = { name, topicId: randomUUID(), partitions: [...partitions], configs: { ...configs } };
    this.state.topics.push(topic);
    this.persist();
    this.index(topic);
    return topic;
  }

  deleteTopic(name: string): void {
    const t = this.byName.get(name);
    if (!t) return;
    this.state.topics = this.state.topics.filter((x) => x.name !== name);
    this.persist();
    this.byName.delete(name);
    this.byId.delete(t.topicId);
  }

  private replace(name: string, update: (t: TopicMetadata) => TopicMetadata): TopicMetadata {
    const t = this.byName.get(name);
    if (!t) throw new Error(`Topic '${name}' does not exist.`);
    const next = update(t);
    this.state.topics = this.state.topics.map((x) => (x.name === name ? next : x));
    this.persist();
    this.index(next);
    return next;
  }

  addPartitions(name: string, added: readonly PartitionAssignment[]): TopicMetadata {
    return this.replace(name, (t) => ({ ...t, partitions: [...t.partitions, ...added] }));
  }

  setTopicConfigs(name: string, configs: Readonly<Record<string, string>>): TopicMetadata {
    return this.replace(name, (t) => ({ ...t, configs: { ...configs } }));
  }

  /** User entity configs by user name (SCRAM credentials, see StoredState.users). */
  userConfigs(): ReadonlyMap<string, Readonly<Record<string, string>>> {
    this.userMap ??= new Map(Object.entries(this.state.users ?? {}));
    return this.userMap;
  }

  /** Replaces one user's configs (an empty map removes the user), persisted before it returns. */
  setUserConfigs(user: string, configs: Readonly<Record<string, string>>): void {
    const users = { ...(this.state.users ?? {}) };
    if (Object.keys(configs).length === 0) delete users[user];
    else users[user] = { ...configs };
    this.state.users = users;
    this.persist();
    this.userMap = new Map(Object.entries(users));
  }

  /** The dynamic broker configs of an entity ('<default>' or a broker id). */
  brokerEntityConfigs(entity: string): Record<string, string> {
    return { ...(this.state.brokerConfigs?.[entity] ?? {}) };
  }

  /** Replaces an entity's dynamic broker configs (empty: removed), persisted before it returns. */
  setBrokerEntityConfigs(entity: string, configs: Readonly<Record<string, string>>): void {
    const all = { ...(this.state.brokerConfigs ?? {}) };
    if (Object.keys(configs).length === 0) delete all[entity];
    else all[entity] = { ...configs };
    this.state.brokerConfigs = all;
    this.persist();
  }

  /** Every group's configs (src/config/group-configs.ts). */
  groupConfigs(): Record<string, Record<string, string>> {
    return { ...(this.state.groupConfigs ?? {}) };
  }

  /** Replaces a group's configs (empty: removed), persisted before it returns. */
  setGroupConfigs(groupId: string, configs: Readonly<Record<string, string>>): void {
    const all = { ...(this.state.groupConfigs ?? {}) };
    if (Object.keys(configs).length === 0) delete all[groupId];
    else all[groupId] = { ...configs };
    this.state.groupConfigs = all;
    this.persist();
  }

  allocateProducerIdBlock(size: number): number {
    const first = this.state.nextProducerIdBlock ?? 0;
    this.state.nextProducerIdBlock = first + size;
    this.persist();
    return first;
  }
}
