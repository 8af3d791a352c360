// ZkData: the znodes of Kafka's ZooKeeper layout and their JSON, after kafka.zk.ZkData
// (BrokerIdZNode, TopicZNode, TopicPartitionStateZNode, ControllerZNode, ...), so that the
// tools that know Kafka's layout read Tidelog's. Decoders validate what they read: a znode
// written by something else fails with the path named, never half-parsed.
import { uuidToBytes, uuidToString } from '../protocol/primitives/index.js';
import type { Listener } from '../config/listeners.js';

export const ZkPaths = {
  brokerIds: '/brokers/ids',
  brokerId: (id: number) => `/brokers/ids/${id}`,
  topics: '/brokers/topics',
  topic: (name: string) => `/brokers/topics/${name}`,
  topicPartitions: (name: string) => `/brokers/topics/${name}/partitions`,
  topicPartition: (name: string, p: number) => `/brokers/topics/${name}/partitions/${p}`,
  partitionState: (name: string, p: number) => `/brokers/topics/${name}/partitions/${p}/state`,
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  clusterId: '/cluster/id',
  topicConfigs: '/config/topics',
  topicConfig: (name: string) => `/config/topics/${name}`,
  deleteTopics: '/admin/delete_topics',
  reassignPartitions: '/admin/reassign_partitions',
  deleteTopic: (name: string) => `/admin/delete_topics/${name}`,
  producerIdBlock: '/latest_producer_id_block',
} as const;

/** The persistent paths Kafka's brokers create at start-up (KafkaZkClient.createTopLevelPaths). */
export const PERSISTENT_PATHS = [
  '/consumers',
  '/admin/delete_topics',
  '/brokers/ids',
  '/brokers/topics',
  '/brokers/seqid',
  '/config/changes',
  '/config/clients',
  '/config/topics',
  '/config/users',
  '/config/brokers',
  '/config/ips',
  '/isr_change_notification',
  '/latest_producer_id_block',
  '/log_dir_event_notification',
  '/cluster',
] as const;

function parse(path: string, data: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new Error(`${path}: not JSON: ${data.toString('utf8').slice(0, 200)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${path}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function intField(path: string, o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${path}: "${key}" must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

function intList(path: string, v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) throw new Error(`${path}: ${what} must be a list of integers, got ${JSON.stringify(v)}`);
  return v as number[];
}

const encode = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));

// ---------------------------------------------------------------- /brokers/ids/<id>

export interface BrokerRegistrationInfo {
  readonly id: number;
  /** Listener name → endpoint. */
  readonly endpoints: readonly { readonly listenerName: string; readonly host: string; readonly port: number; readonly securityProtocol: string }[];
  readonly rack: string | null;
  readonly timestampMs: number;
}

/** BrokerIdZNode, version 5: endpoints by listener name, the PLAINTEXT one also as host/port. */
export function encodeBrokerRegistration(listeners: readonly Listener[], rack: string | null, timestampMs: number): Buffer {
  const plaintext = listeners.find((l) => l.name === 'PLAINTEXT');
  const json: Record<string, unknown> = {
    features: {},
    listener_security_protocol_map: Object.fromEntries(listeners.map((l) => [l.name, l.securityProtocol])),
    endpoints: listeners.map((l) => `${l.name}://${l.host}:${l.port}`),
    jmx_port: -1,
    host: plaintext ? plaintext.host : null,
    port: plaintext ? plaintext.port : -1,
    timestamp: String(timestampMs),
    version: 5,
  };
  if (rack !== null) json.rack = rack;
  return encode(json);
}

export function decodeBrokerRegistration(id: number, data: Buffer): BrokerRegistrationInfo {
  const path = ZkPaths.brokerId(id);
  const o = parse(path, data);
  const protocols = (o.listener_security_protocol_map ?? {}) as Record<string, string>;
  const endpoints = Array.isArray(o.endpoints) ? (o.endpoints as string[]) : [];
  return {
    id,
    endpoints: endpoints.map((e) => {
      const m = /^([^:]+):\/\/\[?([^\]]*)\]?:(\d+)$/.exec(e);
      if (!m) throw new Error(`${path}: bad endpoint ${e}`);
      return { listenerName: m[1]!, host: m[2]!, port: Number(m[3]), securityProtocol: protocols[m[1]!] ?? m[1]! };
    }),
    rack: typeof o.rack === 'string' ? o.rack : null,
    timestampMs: Number(o.timestamp ?? 0),
  };
}

// ---------------------------------------------------------------- /controller, /controller_epoch, /cluster/id

export function encodeController(brokerId: number, timestampMs: number): Buffer {
  return encode({ version: 1, brokerid: brokerId, timestamp: String(timestampMs) });
}

export function decodeController(data: Buffer): number {
  return intField(ZkPaths.controller, parse(ZkPaths.controller, data), 'brokerid');
}

/** /controller_epoch holds the epoch as a bare integer. */
export function decodeControllerEpoch(data: Buffer): number {
  const epoch = Number(data.toString('utf8'));
  if (!Number.isInteger(epoch)) throw new Error(`${ZkPaths.controllerEpoch}: not an integer: ${data.toString('utf8')}`);
  return epoch;
}

export function encodeClusterId(id: string): Buffer {
  return encode({ version: '1', id });
}

export function decodeClusterId(data: Buffer): string {
  const o = parse(ZkPaths.clusterId, data);
  if (typeof o.id !== 'string') throw new Error(`${ZkPaths.clusterId}: "id" must be a string`);
  return o.id;
}

// ---------------------------------------------------------------- /brokers/topics/<t>

/** Kafka keeps topic ids as base64url (22 characters); Tidelog as canonical UUID strings. */
export function topicIdToZk(uuid: string): string {
  const bytes = Buffer.alloc(16);
  if (!uuidToBytes(uuid, bytes, 0)) throw new Error(`not a UUID: ${uuid}`);
  return bytes.toString('base64url');
}

export function topicIdFromZk(id: string): string {
  const bytes = Buffer.from(id, 'base64url');
  if (bytes.length !== 16) throw new Error(`not a Kafka topic id: ${id}`);
  return uuidToString(bytes, 0);
}

export interface TopicAssignmentZNode {
  readonly topicId: string;
  /** Partition → replicas (the first is the preferred leader); during a reassignment RS = TRS + ORS. */
  readonly partitions: ReadonlyMap<number, readonly number[]>;
  /** KIP-455: partition → replicas being added by an ongoing reassignment (absent: none). */
  readonly adding: ReadonlyMap<number, readonly number[]>;
  /** KIP-455: partition → replicas being removed by an ongoing reassignment (absent: none). */
  readonly removing: ReadonlyMap<number, readonly number[]>;
}

const NONE: ReadonlyMap<number, readonly number[]> = new Map();

/** Only partitions with replicas moving are written, as Kafka does. */
function movingByPartition(m: ReadonlyMap<number, readonly number[]>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [p, replicas] of [...m].sort((a, b) => a[0] - b[0])) if (replicas.length > 0) out[String(p)] = [...replicas];
  return out;
}

/**
 * TopicZNode, version 3 (KIP-455 adding/removing replicas, KIP-516 topic ids). Kafka writes
 * only the partitions under reassignment into adding_replicas/removing_replicas.
 */
export function encodeTopicAssignment(topicId: string, partitions: ReadonlyMap<number, readonly number[]>, adding: ReadonlyMap<number, readonly number[]> = NONE, removing: ReadonlyMap<number, readonly number[]> = NONE): Buffer {
  const all: Record<string, number[]> = {};
  for (const [p, replicas] of [...partitions].sort((a, b) => a[0] - b[0])) all[String(p)] = [...replicas];
  return encode({ version: 3, topic_id: topicIdToZk(topicId), partitions: all, adding_replicas: movingByPartition(adding), removing_replicas: movingByPartition(removing) });
}

function partitionLists(path: string, raw: unknown, what: string): Map<number, number[]> {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${path}: "${what}" must be an object`);
  const out = new Map<number, number[]>();
  for (const [p, replicas] of Object.entries(raw)) {
    const index = Number(p);
    if (!Number.isInteger(index) || index < 0) throw new Error(`${path}: bad partition ${p} in "${what}"`);
    out.set(index, intList(path, replicas, `${what} of partition ${p}`));
  }
  return out;
}

export function decodeTopicAssignment(topic: string, data: Buffer): TopicAssignmentZNode {
  const path = ZkPaths.topic(topic);
  const o = parse(path, data);
  if (typeof o.topic_id !== 'string') throw new Error(`${path}: no topic_id`);
  const partitions = partitionLists(path, o.partitions, 'partitions');
  // Versions before 2 have no adding/removing replicas.
  const adding = o.adding_replicas === undefined ? new Map<number, number[]>() : partitionLists(path, o.adding_replicas, 'adding_replicas');
  const removing = o.removing_replicas === undefined ? new Map<number, number[]>() : partitionLists(path, o.removing_replicas, 'removing_replicas');
  for (const p of [...adding.keys(), ...removing.keys()]) if (!partitions.has(p)) throw new Error(`${path}: reassignment of partition ${p}, which is not in "partitions"`);
  return { topicId: topicIdFromZk(o.topic_id), partitions, adding, removing };
}

// ---------------------------------------------------------------- /admin/reassign_partitions

/** One partition of the legacy reassignment znode (Kafka's ReassignPartitionsZNode, version 1). */
export interface LegacyReassignment {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
}

export function encodeLegacyReassignments(list: readonly LegacyReassignment[]): Buffer {
  return encode({ version: 1, partitions: list.map((r) => ({ topic: r.topic, partition: r.partition, replicas: [...r.replicas] })) });
}

export function decodeLegacyReassignments(data: Buffer): LegacyReassignment[] {
  const path = ZkPaths.reassignPartitions;
  const o = parse(path, data);
  if (!Array.isArray(o.partitions)) throw new Error(`${path}: "partitions" must be a list`);
  return o.partitions.map((raw: unknown, i: number) => {
    if (typeof raw !== 'object' || raw === null) throw new Error(`${path}: partitions[${i}] must be an object`);
    const e = raw as Record<string, unknown>;
    if (typeof e.topic !== 'string') throw new Error(`${path}: partitions[${i}].topic must be a string`);
    return { topic: e.topic, partition: intField(path, e, 'partition'), replicas: intList(path, e.replicas, `partitions[${i}].replicas`) };
  });
}

// ---------------------------------------------------------------- /brokers/topics/<t>/partitions/<p>/state

export interface LeaderAndIsr {
  /** -1: no leader (offline). */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  /** Epoch of the controller that wrote it. */
  readonly controllerEpoch: number;
}

export function encodeLeaderAndIsr(s: LeaderAndIsr): Buffer {
  return encode({ controller_epoch: s.controllerEpoch, leader: s.leader, version: 1, leader_epoch: s.leaderEpoch, isr: [...s.isr] });
}

export function decodeLeaderAndIsr(path: string, data: Buffer): LeaderAndIsr {
  const o = parse(path, data);
  return { leader: intField(path, o, 'leader'), leaderEpoch: intField(path, o, 'leader_epoch'), isr: intList(path, o.isr, 'isr'), controllerEpoch: intField(path, o, 'controller_epoch') };
}

// ---------------------------------------------------------------- /config/topics/<t>

export function encodeTopicConfig(configs: Readonly<Record<string, string>>): Buffer {
  return encode({ version: 1, config: { ...configs } });
}

export function decodeTopicConfig(topic: string, data: Buffer): Record<string, string> {
  const path = ZkPaths.topicConfig(topic);
  const o = parse(path, data);
  const config = o.config ?? {};
  if (typeof config !== 'object' || config === null) throw new Error(`${path}: "config" must be an object`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) out[k] = String(v);
  return out;
}

// ---------------------------------------------------------------- /latest_producer_id_block

export interface ProducerIdBlock {
  readonly brokerId: number;
  readonly blockStart: number;
  /** Inclusive, as Kafka's ProducerIdBlock.lastProducerId. */
  readonly blockEnd: number;
}

export function encodeProducerIdBlock(b: ProducerIdBlock): Buffer {
  return encode({ version: 1, broker: b.brokerId, block_start: String(b.blockStart), block_end: String(b.blockEnd) });
}

export function decodeProducerIdBlock(data: Buffer): ProducerIdBlock {
  const o = parse(ZkPaths.producerIdBlock, data);
  const start = Number(o.block_start);
  const end = Number(o.block_end);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw new Error(`${ZkPaths.producerIdBlock}: bad block ${data.toString('utf8')}`);
  return { brokerId: intField(ZkPaths.producerIdBlock, o, 'broker'), blockStart: start, blockEnd: end };
}
