// ClusterView: the one answer to "who is in the cluster" for the Kafka protocol path and the
// HTTP admin API alike: the controller, the live brokers with their endpoints, the leadership
// of a partition as the cluster decided it, and leader elections. Two implementations: a
// single node (this broker is the whole cluster and its controller, as a KRaft combined node
// reports itself) and a ZooKeeper cluster (Kafka's znodes, through ZkCluster). Callers never
// branch on which one they have.
import type { Listener } from '../config/listeners.js';
import { ErrorCode } from '../protocol/errors.js';
import type { ElectionResult, OngoingReassignment, ReassignmentRequest, ReassignmentResult, TopicPartitionRef } from './controller.js';
import type { ZkCluster } from './zk-cluster.js';
import { ConfigThrottles, type BrokerThrottles } from './replication-throttle.js';
import type { BrokerConfig } from '../config/broker-config.js';

export interface ClusterEndpoint {
  readonly listenerName: string;
  readonly host: string;
  readonly port: number;
}

export interface ClusterBroker {
  readonly id: number;
  readonly rack: string | null;
  readonly endpoints: readonly ClusterEndpoint[];
}

/** A partition's leadership as the cluster decided it: leader (-1 when not live), epoch, ISR. */
export interface PartitionLeadership {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
}

/** The partitions a broker knows of. */
export interface KnownPartitions {
  all(): TopicPartitionRef[];
  exists(p: TopicPartitionRef): boolean;
}

/** What an ElectLeaders request came to: per partition results, or "ask the controller". */
export type ElectionOutcome = readonly ElectionResult[] | 'not-controller';

/** What AlterPartitionReassignments came to: per partition results, or "ask the controller". */
export type ReassignmentOutcome = readonly ReassignmentResult[] | 'not-controller';

export interface ClusterView {
  /** False on a single node: no other broker can exist (the offsets topic's rules differ). */
  readonly clustered: boolean;
  /** The dynamic replication throttle configs (replication-throttle.ts). */
  readonly throttles: BrokerThrottles;
  /** The controller's broker id; -1 while there is none. */
  controllerId(): number;
  /** Live brokers, ordered by id, with every advertised endpoint. */
  liveBrokers(): readonly ClusterBroker[];
  /**
   * The cluster's leadership of a partition, or null when the cluster has no state for it.
   * `local` answers for a single node, whose partitions are its own.
   */
  partitionLeadership(topic: string, partition: number, local: () => PartitionLeadership | null): PartitionLeadership | null;
  /**
   * ElectLeaders (KIP-183/460): `requested` null means every partition, and then partitions
   * that needed no election are left out, as Kafka does. `topics` answers for this broker's
   * own view of which partitions exist.
   */
  electLeaders(electionType: number, requested: readonly TopicPartitionRef[] | null, topics: KnownPartitions): Promise<ElectionOutcome>;
  /** AlterPartitionReassignments (KIP-455): start (replicas) or cancel (null) reassignments, on the controller. */
  alterPartitionReassignments(requests: readonly ReassignmentRequest[], topics: KnownPartitions): Promise<ReassignmentOutcome>;
  /** ListPartitionReassignments (KIP-455): the ongoing ones, of `requested` or all (null), on the controller. */
  listPartitionReassignments(requested: readonly TopicPartitionRef[] | null): Promise<readonly OngoingReassignment[] | 'not-controller'>;
}

/** The live brokers' endpoints on one listener (brokers without that listener are left out, as Kafka does). */
export function brokersOnListener(view: ClusterView, listenerName: string): { id: number; host: string; port: number; rack: string | null }[] {
  return view.liveBrokers().flatMap((b) => {
    const e = b.endpoints.find((x) => x.listenerName === listenerName);
    return e ? [{ id: b.id, host: e.host, port: e.port, rack: b.rack }] : [];
  });
}

/** One broker without ZooKeeper: the whole cluster, its own controller, the leader of every partition it has. */
export class SingleNodeClusterView implements ClusterView {
  readonly clustered = false;
  readonly throttles: BrokerThrottles;

  constructor(
    private readonly brokerId: number,
    private readonly rack: string | null,
    /** The advertised listeners with bound ports (known once the listeners are bound). */
    private readonly endpoints: () => readonly Listener[],
    config: BrokerConfig,
  ) {
    this.throttles = new ConfigThrottles(config);
  }

  controllerId(): number {
    return this.brokerId;
  }

  liveBrokers(): readonly ClusterBroker[] {
    return [{ id: this.brokerId, rack: this.rack, endpoints: this.endpoints().map((l) => ({ listenerName: l.name, host: l.host, port: l.port })) }];
  }

  partitionLeadership(_topic: string, _partition: number, local: () => PartitionLeadership | null): PartitionLeadership | null {
    return local();
  }

  /** This broker leads every partition of its own: nothing to elect. */
  async electLeaders(_electionType: number, requested: readonly TopicPartitionRef[] | null, topics: KnownPartitions): Promise<ElectionOutcome> {
    if (requested === null) return [];
    return requested.map((p) => ({ ...p, errorCode: topics.exists(p) ? ErrorCode.ELECTION_NOT_NEEDED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }));
  }

  /** Every replica is this broker: the only valid target is [this broker], already in place; nothing is ever in progress. */
  async alterPartitionReassignments(requests: readonly ReassignmentRequest[], topics: KnownPartitions): Promise<ReassignmentOutcome> {
    return requests.map((r): ReassignmentResult => {
      const p = { topic: r.topic, partition: r.partition };
      if (!topics.exists(p)) return { ...p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${r.topic}-${r.partition}` };
      if (r.replicas === null) return { ...p, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: `No reassignment in progress for partition ${r.topic}-${r.partition}` };
      if (r.replicas.length === 1 && r.replicas[0] === this.brokerId) return { ...p, errorCode: ErrorCode.NONE, errorMessage: null };
      return { ...p, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `Replica assignment has brokers that are not alive. Replica list: ${r.replicas.join(',')}, live broker list: ${this.brokerId}` };
    });
  }

  async listPartitionReassignments(): Promise<readonly OngoingReassignment[]> {
    return [];
  }
}

/** A broker of a ZooKeeper cluster: registrations, controller and partition state from the znodes. */
export class ZkClusterView implements ClusterView {
  readonly clustered = true;

  constructor(private readonly cluster: ZkCluster) {}

  get throttles(): BrokerThrottles {
    return this.cluster.throttles;
  }

  controllerId(): number {
    return this.cluster.controllerId;
  }

  liveBrokers(): readonly ClusterBroker[] {
    return this.cluster.metadata.liveBrokers();
  }

  partitionLeadership(topic: string, partition: number): PartitionLeadership | null {
    const state = this.cluster.metadata.partitionState(topic, partition);
    if (!state) return null;
    const live = this.cluster.metadata.liveBrokers().some((b) => b.id === state.leader);
    return { leader: live ? state.leader : -1, leaderEpoch: state.leaderEpoch, isr: state.isr };
  }

  /** Runs on the active controller only (Kafka's clients send ElectLeaders there). */
  async electLeaders(electionType: number, requested: readonly TopicPartitionRef[] | null): Promise<ElectionOutcome> {
    if (!this.cluster.controller.active) return 'not-controller';
    return (await this.cluster.controller.electLeaders(electionType, requested)) ?? 'not-controller';
  }

  /** On the active controller only, as Kafka's ZooKeeper-mode controller (clients send it there). */
  async alterPartitionReassignments(requests: readonly ReassignmentRequest[]): Promise<ReassignmentOutcome> {
    if (!this.cluster.controller.active) return 'not-controller';
    return (await this.cluster.controller.alterReassignments(requests)) ?? 'not-controller';
  }

  async listPartitionReassignments(requested: readonly TopicPartitionRef[] | null): Promise<readonly OngoingReassignment[] | 'not-controller'> {
    if (!this.cluster.controller.active) return 'not-controller';
    return (await this.cluster.controller.listReassignments(requested)) ?? 'not-controller';
  }
}
