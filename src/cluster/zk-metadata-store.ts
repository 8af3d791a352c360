// ZkMetadataStore: the MetadataStore over ZooKeeper in Kafka's layout (see zk-data.ts):
//   /brokers/ids/<id>                          live brokers (ephemeral)
//   /brokers/topics/<t>                        assignment {"version":3,"topic_id",...,"partitions":{"0":[1,2,3]}}
//   /brokers/topics/<t>/partitions/<p>/state   leader, leader_epoch, isr, controller_epoch (the controller writes it)
//   /config/topics/<t>                         {"version":1,"config":{...}}
//   /admin/delete_topics/<t>                   a deletion request (the controller performs it)
//   /latest_producer_id_block                  the last reserved producer id block
// Reads come from an in-memory copy kept current by persistent watches (ZkClient), so the
// synchronous MetadataStore reads keep working; writes go to ZooKeeper and resolve once it
// acknowledged them (the copy is updated at once from what was written, the watch confirms).
// Changes made elsewhere reach listeners (TopicService, the controller) as MetadataChange.
// All of it runs on the JS thread.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { LiveBroker, MetadataChange, MetadataStore, PartitionAssignment, PartitionLeadership, TopicMetadata } from './metadata-store.js';
import { createTopLevelPaths, getOrCreateClusterId } from './broker-registration.js';
import { isZkError, ZkError, type Subscription, type ZkClient, type ZkOp } from './zk-client.js';
import {
  decodeBrokerRegistration,
  decodeLeaderAndIsr,
  decodeProducerIdBlock,
  decodeTopicAssignment,
  decodeTopicConfig,
  encodeProducerIdBlock,
  encodeTopicAssignment,
  encodeTopicConfig,
  type LeaderAndIsr,
  type TopicAssignmentZNode,
  ZkPaths,
} from './zk-data.js';

/** How long DeleteTopics waits for the controller to remove the topic. */
const DELETE_WAIT_MS = 30_000;
/** Producer id blocks reserved ahead, so that InitProducerId never waits for ZooKeeper. */
const PRODUCER_ID_BLOCKS_AHEAD = 2;
export const ZK_PRODUCER_ID_BLOCK_SIZE = 1000;
/** Compare-and-set attempts of one assignment change (updateAssignment). */
const ASSIGNMENT_CAS_ATTEMPTS_MAX = 50;

interface TopicWatch {
  readonly assignment: Subscription;
  readonly config: Subscription;
  readonly states: Map<number, Subscription>;
  assignmentValue: TopicAssignmentZNode | null;
  configs: Record<string, string>;
}

export interface PartitionStateWithVersion extends LeaderAndIsr {
  readonly zkVersion: number;
}

export class ZkMetadataStore implements MetadataStore {
  private readonly topics = new Map<string, TopicMetadata>();
  private readonly byId = new Map<string, TopicMetadata>();
  private readonly watches = new Map<string, TopicWatch>();
  private readonly states = new Map<string, PartitionStateWithVersion>();
  private brokers: LiveBroker[] = [];
  private readonly listeners: ((change: MetadataChange) => void)[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly producerIdBlocks: number[] = [];
  private refillingProducerIds: Promise<void> | null = null;
  private closed = false;

  private constructor(
    readonly zk: ZkClient,
    readonly clusterId: string,
    private readonly brokerId: number,
    private readonly logger: Logger,
  ) {}

  /** Creates Kafka's top-level paths, reads or creates the cluster id, and loads everything. */
  static async start(zk: ZkClient, brokerId: number, configuredClusterId: string | null, logger: Logger): Promise<ZkMetadataStore> {
    await createTopLevelPaths(zk);
    const clusterId = await getOrCreateClusterId(zk, configuredClusterId);
    const store = new ZkMetadataStore(zk, clusterId, brokerId, logger);
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    const brokers = this.zk.watchChildren(ZkPaths.brokerIds, (ids) => this.track(this.readBrokers(ids ?? [])));
    const topics = this.zk.watchChildren(ZkPaths.topics, (names) => this.onTopicList(names ?? []));
    this.subscriptions.push(brokers, topics);
    await brokers.ready;
    await topics.ready;
    // Every topic's assignment, config and partition states, as first read.
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0));
    await this.refillProducerIds();
  }

  private track(p: Promise<void>): void {
    this.pending.push(p.catch((err: unknown) => this.logger.error({ err }, 'reading ZooKeeper failed')));
  }

  private emit(change: MetadataChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch (err) {
        this.logger.error({ err, change }, 'a metadata listener failed');
      }
    }
  }

  onChange(listener: (change: MetadataChange) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.closed = true;
    for (const s of this.subscriptions) s.close();
    for (const w of this.watches.values()) this.closeTopicWatch(w);
    this.watches.clear();
  }

  // ---------------------------------------------------------------- brokers

  private async readBrokers(ids: readonly string[]): Promise<void> {
    const out: LiveBroker[] = [];
    for (const raw of ids) {
      const id = Number(raw);
      if (!Number.isInteger(id)) continue;
      const node = await this.zk.getData(ZkPaths.brokerId(id));
      if (!node) continue;
      const info = decodeBrokerRegistration(id, node.data);
      out.push({ id, rack: info.rack, endpoints: info.endpoints.map((e) => ({ listenerName: e.listenerName, host: e.host, port: e.port })), session: node.ephemeralOwner });
    }
    out.sort((a, b) => a.id - b.id);
    this.brokers = out;
    this.emit({ kind: 'brokers' });
  }

  liveBrokers(): readonly LiveBroker[] {
    return this.brokers;
  }

  // ---------------------------------------------------------------- topics (watched)

  private onTopicList(names: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Set(names);
    for (const name of wanted) if (!this.watches.has(name)) this.watchTopic(name);
    for (const [name, w] of this.watches) {
      if (wanted.has(name)) continue;
      this.closeTopicWatch(w);
      this.watches.delete(name);
      this.forget(name);
    }
  }

  private forget(name: string): void {
    const t = this.topics.get(name);
    if (!t) return;
    this.topics.delete(name);
    this.byId.delete(t.topicId);
    for (const key of [...this.states.keys()]) if (key.startsWith(`${name}/`)) this.states.delete(key);
    this.emit({ kind: 'topicDeleted', name });
  }

  private closeTopicWatch(w: TopicWatch): void {
    w.assignment.close();
    w.config.close();
    for (const s of w.states.values()) s.close();
  }

  private watchTopic(name: string): void {
    const w: TopicWatch = {
      assignment: null as unknown as Subscription,
      config: null as unknown as Subscription,
      states: new Map(),
      assignmentValue: null,
      configs: {},
    };
    this.watches.set(name, w);
    (w as { config: Subscription }).config = this.zk.watchData(ZkPaths.topicConfig(name), (value) => {
      w.configs = value ? decodeTopicConfig(name, value.data) : {};
      this.rebuild(name, w);
    });
    (w as { assignment: Subscription }).assignment = this.zk.watchData(ZkPaths.topic(name), (value) => {
      if (value === null) return; // being deleted: the children watch removes it
      w.assignmentValue = decodeTopicAssignment(name, value.data);
      for (const p of w.assignmentValue.partitions.keys()) if (!w.states.has(p)) this.watchState(name, p, w);
      this.rebuild(name, w);
    });
    this.track(w.config.ready.then(() => w.assignment.ready));
  }

  private watchState(topic: string, partition: number, w: TopicWatch): void {
    const path = ZkPaths.partitionState(topic, partition);
    const sub = this.zk.watchData(path, (value) => {
      const key = `${topic}/${partition}`;
      if (value === null) this.states.delete(key);
      else this.states.set(key, { ...decodeLeaderAndIsr(path, value.data), zkVersion: value.version });
      if (this.topics.has(topic)) this.emit({ kind: 'partitionState', topic, partition });
    });
    w.states.set(partition, sub);
    this.track(sub.ready);
  }

  private rebuild(name: string, w: TopicWatch): void {
    if (!w.assignmentValue || this.watches.get(name) !== w) return;
    const { adding, removing } = w.assignmentValue;
    const partitions: PartitionAssignment[] = [...w.assignmentValue.partitions]
      .sort((a, b) => a[0] - b[0])
      .map(([partition, replicas]) => {
        const a = adding.get(partition) ?? [];
        const r = removing.get(partition) ?? [];
        if (a.length === 0 && r.length === 0) return { partition, replicas: [...replicas] };
        return { partition, replicas: [...replicas], addingReplicas: [...a], removingReplicas: [...r] };
      });
    this.put({ name, topicId: w.assignmentValue.topicId, partitions, configs: { ...w.configs } });
  }

  private put(t: TopicMetadata): void {
    const old = this.topics.get(t.name);
    if (old && old.topicId !== t.topicId) this.byId.delete(old.topicId);
    if (old && JSON.stringify(old) === JSON.stringify(t)) return;
    this.topics.set(t.name, t);
    this.byId.set(t.topicId, t);
    this.emit({ kind: 'topic', name: t.name });
  }

  listTopics(): readonly TopicMetadata[] {
    return [...this.topics.values()];
  }

  getTopic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  getTopicById(topicId: string): TopicMetadata | undefined {
    return this.byId.get(topicId);
  }

  partitionState(topic: string, partition: number): PartitionStateWithVersion | undefined {
    return this.states.get(`${topic}/${partition}`);
  }

  // ---------------------------------------------------------------- writes

  /**
   * Kafka's AdminZkClient.createTopicWithAssignment: the config and the assignment in one
   * multi; NODE_EXISTS (a ZkError) when the topic exists. The controller then elects leaders.
   */
  async createTopic(name: string, partitions: readonly PartitionAssignment[], configs: Readonly<Record<string, string>>): Promise<TopicMetadata> {
    const topicId = randomUUID();
    const assignment = new Map(partitions.map((a) => [a.partition, a.replicas]));
    const staleConfig = await this.zk.getData(ZkPaths.topicConfig(name));
    const configOp = staleConfig
      ? ({ op: 'setData', path: ZkPaths.topicConfig(name), data: encodeTopicConfig(configs), version: staleConfig.version } as const)
      : ({ op: 'create', path: ZkPaths.topicConfig(name), data: encodeTopicConfig(configs), mode: 'persistent' } as const);
    try {
      await this.zk.multi([configOp, { op: 'create', path: ZkPaths.topic(name), data: encodeTopicAssignment(topicId, assignment), mode: 'persistent' }]);
    } catch (err) {
      if (isZkError(err, 'BAD_VERSION') || (isZkError(err, 'NODE_EXISTS') && (err as { failedOp?: number }).failedOp === 0)) {
        // Someone wrote the config meanwhile: a concurrent creation of the same topic.
        throw new ZkError('NODE_EXISTS', ZkPaths.topic(name));
      }
      throw err;
    }
    const topic: TopicMetadata = { name, topicId, partitions: partitions.map((a) => ({ partition: a.partition, replicas: [...a.replicas] })), configs: { ...configs } };
    if (!this.watches.has(name)) this.watchTopic(name);
    const w = this.watches.get(name)!;
    w.assignmentValue = { topicId, partitions: assignment, adding: new Map(), removing: new Map() };
    w.configs = { ...configs };
    for (const p of assignment.keys()) if (!w.states.has(p)) this.watchState(name, p, w);
    this.put(topic);
    return this.topics.get(name)!;
  }

  /** Kafka's deletion: /admin/delete_topics/<t>, which the controller carries out; resolves when the topic is gone. */
  async deleteTopic(name: string): Promise<void> {
    try {
      await this.zk.create(ZkPaths.deleteTopic(name), Buffer.alloc(0));
    } catch (err) {
      if (!isZkError(err, 'NODE_EXISTS')) throw err;
    }
    const deadline = Date.now() + DELETE_WAIT_MS;
    while (this.topics.has(name)) {
      if (Date.now() > deadline) throw new Error(`The controller did not delete topic ${name} within ${DELETE_WAIT_MS} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Rewrites the assignment with the znode version as compare-and-set (BAD_VERSION when it changed meanwhile). */
  async addPartitions(name: string, added: readonly PartitionAssignment[]): Promise<TopicMetadata> {
    const node = await this.zk.getData(ZkPaths.topic(name));
    if (!node) throw new ZkError('NO_NODE', ZkPaths.topic(name), `Topic '${name}' does not exist.`);
    const current = decodeTopicAssignment(name, node.data);
    const next = new Map(current.partitions);
    for (const a of added) next.set(a.partition, a.replicas);
    await this.zk.setData(ZkPaths.topic(name), encodeTopicAssignment(current.topicId, next, current.adding, current.removing), node.version);
    const w = this.watches.get(name);
    if (w) {
      w.assignmentValue = { ...current, partitions: next };
      for (const p of next.keys()) if (!w.states.has(p)) this.watchState(name, p, w);
      this.rebuild(name, w);
    }
    return this.topics.get(name)!;
  }

  /**
   * The controller's change of a topic's assignment (a reassignment step, Kafka's
   * KafkaZkClient.setTopicAssignment): `change` decides on the znode as read from ZooKeeper
   * (null: nothing to write; `current` itself: already so), the write carries `fence` (the controller epoch check) and the
   * znode version as compare-and-set, and is decided again when the znode changed meanwhile
   * (partitions added). The in-memory copy is updated at once. Resolves with what was
   * written, or null when nothing was (no change, or the topic is gone).
   */
  async updateAssignment(name: string, change: (current: TopicAssignmentZNode) => TopicAssignmentZNode | null, fence: readonly ZkOp[]): Promise<TopicAssignmentZNode | null> {
    for (let attempt = 1; ; attempt++) {
      const node = await this.zk.getData(ZkPaths.topic(name));
      if (!node) return null;
      const current = decodeTopicAssignment(name, node.data);
      const next = change(current);
      if (!next) return null;
      if (next === current) return current; // decided: no change to write
      try {
        await this.zk.multi([...fence, { op: 'setData', path: ZkPaths.topic(name), data: encodeTopicAssignment(next.topicId, next.partitions, next.adding, next.removing), version: node.version }]);
      } catch (err) {
        const failedOp = (err as { failedOp?: number }).failedOp;
        if (failedOp === fence.length && isZkError(err, 'BAD_VERSION') && attempt < ASSIGNMENT_CAS_ATTEMPTS_MAX) continue;
        if (failedOp === fence.length && isZkError(err, 'NO_NODE')) return null;
        throw err;
      }
      const w = this.watches.get(name);
      if (w) {
        w.assignmentValue = next;
        for (const p of next.partitions.keys()) if (!w.states.has(p)) this.watchState(name, p, w);
        this.rebuild(name, w);
      }
      return next;
    }
  }

  async setTopicConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<TopicMetadata> {
    if (!this.topics.has(name)) throw new ZkError('NO_NODE', ZkPaths.topic(name), `Topic '${name}' does not exist.`);
    try {
      await this.zk.setData(ZkPaths.topicConfig(name), encodeTopicConfig(configs), -1);
    } catch (err) {
      if (!isZkError(err, 'NO_NODE')) throw err;
      await this.zk.create(ZkPaths.topicConfig(name), encodeTopicConfig(configs));
    }
    const w = this.watches.get(name);
    if (w) {
      w.configs = { ...configs };
      this.rebuild(name, w);
    }
    return this.topics.get(name)!;
  }

  // ---------------------------------------------------------------- producer ids

  /**
   * Hands out a block reserved ahead in /latest_producer_id_block (Kafka's
   * ZkProducerIdManager), and reserves the next in the background, so InitProducerId does
   * not wait for ZooKeeper. Throws when no block could be reserved (ZooKeeper unreachable for
   * as long as it took to use up the reserve).
   */
  allocateProducerIdBlock(size: number): number {
    if (size !== ZK_PRODUCER_ID_BLOCK_SIZE) throw new Error(`producer id blocks are ${ZK_PRODUCER_ID_BLOCK_SIZE} ids in a cluster, not ${size}`);
    const first = this.producerIdBlocks.shift();
    void this.refillProducerIds().catch((err: unknown) => this.logger.error({ err }, 'could not reserve a producer id block'));
    if (first === undefined) throw new Error('no producer id block is reserved: ZooKeeper is unreachable');
    return first;
  }

  private refillProducerIds(): Promise<void> {
    this.refillingProducerIds ??= (async () => {
      try {
        while (this.producerIdBlocks.length < PRODUCER_ID_BLOCKS_AHEAD && !this.closed) this.producerIdBlocks.push(await this.reserveProducerIdBlock());
      } finally {
        this.refillingProducerIds = null;
      }
    })();
    return this.refillingProducerIds;
  }

  private async reserveProducerIdBlock(): Promise<number> {
    for (;;) {
      const node = await this.zk.getData(ZkPaths.producerIdBlock);
      if (!node) {
        await this.zk.mkdirp(ZkPaths.producerIdBlock);
        continue;
      }
      const start = node.data.length === 0 ? 0 : decodeProducerIdBlock(node.data).blockEnd + 1;
      const block = { brokerId: this.brokerId, blockStart: start, blockEnd: start + ZK_PRODUCER_ID_BLOCK_SIZE - 1 };
      try {
        await this.zk.setData(ZkPaths.producerIdBlock, encodeProducerIdBlock(block), node.version);
        return start;
      } catch (err) {
        if (!isZkError(err, 'BAD_VERSION')) throw err;
      }
    }
  }
}
