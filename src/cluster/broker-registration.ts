// BrokerRegistration: this broker's membership, after Kafka's KafkaZkClient.registerBroker.
// The ephemeral /brokers/ids/<id> holds the broker's endpoints (BrokerIdZNode v5); it lives as
// long as the ZooKeeper session, so a broker that dies leaves the cluster when its session
// times out (zookeeper.session.timeout.ms). A second broker with the same id is refused with
// Kafka's message. After a session expiry the znode is created again on the new session.
// Another broker may delete it while this session lives (broker-fencing.ts: it found this
// broker's listener refusing connections): it is created again, at most once a second.
// The cluster id lives in /cluster/id: the first broker creates it, later ones read it.
import type { Logger } from 'pino';
import type { Listener } from '../config/listeners.js';
import { newClusterId } from './local-metadata-store.js';
import { isZkError, type Subscription, type ZkClient } from './zk-client.js';
import { decodeClusterId, encodeBrokerRegistration, encodeClusterId, PERSISTENT_PATHS, ZkPaths } from './zk-data.js';

/** Creates Kafka's top-level persistent znodes (KafkaZkClient.createTopLevelPaths). */
export async function createTopLevelPaths(zk: ZkClient): Promise<void> {
  for (const path of PERSISTENT_PATHS) await zk.mkdirp(path);
}

/**
 * The cluster id stored in /cluster/id, created from `configured` (or a new id) when absent;
 * a configured id that differs from the stored one is an error (Kafka's InconsistentClusterIdException).
 */
export async function getOrCreateClusterId(zk: ZkClient, configured: string | null): Promise<string> {
  for (;;) {
    const existing = await zk.getData(ZkPaths.clusterId);
    if (existing) {
      const id = decodeClusterId(existing.data);
      if (configured !== null && configured !== id) throw new Error(`cluster.id ${configured} does not match the cluster id ${id} stored in ZooKeeper at ${ZkPaths.clusterId}`);
      return id;
    }
    try {
      const id = configured ?? newClusterId();
      await zk.create(ZkPaths.clusterId, encodeClusterId(id));
      return id;
    } catch (err) {
      // Another broker created it first: read theirs.
      if (!isZkError(err, 'NODE_EXISTS')) throw err;
    }
  }
}

/** A registration deleted by another broker is created again no sooner than this after the last time. */
const REREGISTER_INTERVAL_MS = 1_000;

export class BrokerRegistration {
  /** Times another broker removed this broker's registration while its session lived (it was fenced and registered again). */
  fencedCount = 0;
  private registered = false;
  private own: Subscription | null = null;
  private lastRegisteredMs = 0;
  private reregisterTimer: NodeJS.Timeout | null = null;
  private readonly onNewSession = () => {
    if (!this.registered) return;
    this.register().catch((err: unknown) => this.logger.error({ err, brokerId: this.brokerId }, 'could not register again after a ZooKeeper session expiry'));
  };

  constructor(
    private readonly zk: ZkClient,
    private readonly brokerId: number,
    private readonly endpoints: () => Listener[],
    private readonly rack: string | null,
    private readonly logger: Logger,
  ) {}

  /** Creates /brokers/ids/<id>; throws Kafka's "node already exists" error for a duplicate id. */
  async register(): Promise<void> {
    const path = ZkPaths.brokerId(this.brokerId);
    await this.zk.createEphemeral(path, encodeBrokerRegistration(this.endpoints(), this.rack, Date.now()));
    this.lastRegisteredMs = Date.now();
    if (!this.registered) this.zk.on('newSession', this.onNewSession);
    this.registered = true;
    this.logger.info({ brokerId: this.brokerId, path, sessionId: this.zk.sessionId }, 'registered broker in ZooKeeper');
    this.own ??= this.zk.watchData(path, (value) => {
      if (value === null && this.registered && !this.reregisterTimer) this.reregisterSoon();
    });
  }

  /** Our znode went while our session lives: another broker fenced us. Register again. */
  private reregisterSoon(): void {
    this.fencedCount++;
    const delayMs = Math.max(0, this.lastRegisteredMs + REREGISTER_INTERVAL_MS - Date.now());
    this.reregisterTimer = setTimeout(() => {
      this.reregisterTimer = null;
      if (!this.registered || this.zk.isClosed) return;
      this.logger.warn({ brokerId: this.brokerId }, 'this broker\'s registration was removed by another broker (fenced) while its session lives; registering again');
      this.register().catch((err: unknown) => {
        if (isZkError(err, 'NODE_EXISTS')) return; // the new-session path registered first
        this.logger.error({ err, brokerId: this.brokerId }, 'could not register again after being fenced');
      });
    }, delayMs);
    this.reregisterTimer.unref();
  }

  /** Removes the registration (controlled shutdown: the cluster learns at once, not after the session timeout). */
  async deregister(): Promise<void> {
    if (!this.registered) return;
    this.registered = false;
    this.own?.close();
    this.own = null;
    if (this.reregisterTimer) clearTimeout(this.reregisterTimer);
    this.reregisterTimer = null;
    this.zk.off('newSession', this.onNewSession);
    try {
      await this.zk.delete(ZkPaths.brokerId(this.brokerId));
    } catch (err) {
      if (!isZkError(err, 'NO_NODE')) throw err;
    }
  }
}
