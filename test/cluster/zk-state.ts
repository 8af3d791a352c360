// Reads the cluster's state straight from ZooKeeper for the failover tests: the partition state
// znodes the controller and the leaders write (/brokers/topics/<t>/partitions/<p>/state) and
// the sessions owning the brokers' ephemeral registrations (/brokers/ids/<id>).
import { silentLogger } from '../../src/logger.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { decodeLeaderAndIsr, ZkPaths, type LeaderAndIsr } from '../../src/cluster/zk-data.js';

export interface ZkStateView {
  /** Per partition, its state znode (null when missing). */
  readonly partitions: (LeaderAndIsr | null)[];
  /** Broker id -> session id (hex) owning /brokers/ids/<id>; absent when not registered. */
  readonly brokerSessions: Map<number, string>;
}

/** One short-lived session (connect is host:port/chroot as zookeeper.connect takes it). */
export async function readZkState(connect: string, topic: string, partitions: number, brokerIds: readonly number[]): Promise<ZkStateView> {
  const zk = await ZkClient.connect({ connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
  try {
    const states: (LeaderAndIsr | null)[] = [];
    for (let p = 0; p < partitions; p++) {
      const path = ZkPaths.partitionState(topic, p);
      const node = await zk.getData(path);
      states.push(node === null ? null : decodeLeaderAndIsr(path, node.data));
    }
    const brokerSessions = new Map<number, string>();
    for (const id of brokerIds) {
      const node = await zk.getData(ZkPaths.brokerId(id));
      if (node !== null) brokerSessions.set(id, node.ephemeralOwner);
    }
    return { partitions: states, brokerSessions };
  } finally {
    zk.close();
  }
}

export function formatStates(view: ZkStateView): string {
  return view.partitions.map((s, p) => (s === null ? `p${p}: missing` : `p${p}@${s.leader} (epoch ${s.leaderEpoch}, isr [${[...s.isr].join(',')}])`)).join(', ');
}
