// --zookeeper HOST:PORT[/chroot], as Kafka's older scripts took it: the brokers registered
// under /brokers/ids (their PLAINTEXT endpoints) become the bootstrap servers, and the tool
// then speaks the Kafka protocol as with --bootstrap-server.
import { ZkClient } from '../cluster/zk-client.js';
import { decodeBrokerRegistration, ZkPaths } from '../cluster/zk-data.js';
import { silentLogger } from '../logger.js';
import { UsageError } from './usage-error.js';

const CONNECTION_TIMEOUT_MS = 10_000;

export async function bootstrapFromZooKeeper(connect: string): Promise<string> {
  let zk: ZkClient;
  try {
    zk = await ZkClient.connect({ connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: CONNECTION_TIMEOUT_MS, logger: silentLogger() });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  try {
    const ids = (await zk.getChildren(ZkPaths.brokerIds)) ?? [];
    const endpoints: string[] = [];
    for (const id of ids) {
      const node = await zk.getData(ZkPaths.brokerId(Number(id)));
      if (!node) continue;
      const info = decodeBrokerRegistration(Number(id), node.data);
      const plain = info.endpoints.find((e) => e.securityProtocol === 'PLAINTEXT') ?? info.endpoints[0];
      if (plain) endpoints.push(`${plain.host}:${plain.port}`);
    }
    if (endpoints.length === 0) throw new UsageError(`no broker is registered in ZooKeeper at ${connect} (${ZkPaths.brokerIds} is empty)`);
    return endpoints.join(',');
  } finally {
    zk.close();
  }
}
