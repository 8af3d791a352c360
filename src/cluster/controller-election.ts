// ControllerElection: which broker is the controller, after Kafka's KafkaController.elect and
// KafkaZkClient.registerControllerAndIncrementControllerEpoch. Every broker watches the
// ephemeral /controller; when it is absent each tries, in one ZooKeeper multi, to create it
// ({"version":1,"brokerid":N,"timestamp":"..."}) and to bump /controller_epoch with its znode
// version as compare-and-set. Exactly one multi succeeds; the winner's epoch and the epoch
// znode's version fence its later writes (a deposed controller's multi fails its check).
// When the controller's session ends (it died or lost ZooKeeper) the znode goes and the
// others elect again. After this broker's own session expires it resigns and runs again.
import type { Logger } from 'pino';
import { isZkError, type Subscription, type ZkClient } from './zk-client.js';
import { decodeController, decodeControllerEpoch, encodeController, ZkPaths } from './zk-data.js';

export interface ControllerContext {
  /** The epoch this broker was elected with. */
  readonly epoch: number;
  /** /controller_epoch's znode version after the election: controller writes check it. */
  readonly epochZkVersion: number;
}

export interface ControllerListener {
  onBecomeController(ctx: ControllerContext): void | Promise<void>;
  onResign(): void;
}

export class ControllerElection {
  /** The current controller's broker id, -1 while there is none. */
  private currentId = -1;
  private context: ControllerContext | null = null;
  private subscription: Subscription | null = null;
  private stopped = false;
  private electing: Promise<void> | null = null;
  private electAgain = false;
  private readonly onNewSession = () => {
    this.resign();
    void this.elect();
  };

  constructor(
    private readonly zk: ZkClient,
    private readonly brokerId: number,
    private readonly listener: ControllerListener,
    private readonly logger: Logger,
  ) {}

  get controllerId(): number {
    return this.currentId;
  }

  get isController(): boolean {
    return this.context !== null;
  }

  get controllerContext(): ControllerContext | null {
    return this.context;
  }

  /** Starts watching /controller; resolves once the first election round is over. */
  async start(): Promise<void> {
    this.zk.on('newSession', this.onNewSession);
    this.subscription = this.zk.watchData(ZkPaths.controller, (value) => {
      if (this.stopped) return;
      if (value === null) {
        this.currentId = -1;
        this.resign();
        void this.elect();
        return;
      }
      const id = decodeController(value.data);
      this.currentId = id;
      // Someone else's controller znode while we think we lead (our session expired unnoticed): step down.
      if (id !== this.brokerId || value.ephemeralOwner !== this.zk.sessionId) this.resign();
    });
    await this.subscription.ready;
    await this.electing;
  }

  private elect(): Promise<void> {
    if (this.electing) {
      // A round is running on what may be a stale read: run one more after it.
      this.electAgain = true;
      return this.electing;
    }
    this.electing = (async () => {
      do {
        this.electAgain = false;
        await this.runElection();
      } while (this.electAgain && !this.stopped);
    })().finally(() => {
      this.electing = null;
    });
    return this.electing;
  }

  private async runElection(): Promise<void> {
    while (!this.stopped && !this.zk.isClosed) {
      try {
        const existing = await this.zk.getData(ZkPaths.controller);
        if (existing) {
          this.currentId = decodeController(existing.data);
          return;
        }
        let epochNode = await this.zk.getData(ZkPaths.controllerEpoch);
        if (!epochNode) {
          try {
            await this.zk.create(ZkPaths.controllerEpoch, '0');
          } catch (err) {
            if (!isZkError(err, 'NODE_EXISTS')) throw err;
          }
          epochNode = await this.zk.getData(ZkPaths.controllerEpoch);
          if (!epochNode) continue;
        }
        const epoch = decodeControllerEpoch(epochNode.data) + 1;
        try {
          await this.zk.multi([
            { op: 'create', path: ZkPaths.controller, data: encodeController(this.brokerId, Date.now()), mode: 'ephemeral' },
            { op: 'setData', path: ZkPaths.controllerEpoch, data: Buffer.from(String(epoch)), version: epochNode.version },
          ]);
        } catch (err) {
          // NODE_EXISTS: another broker won. BAD_VERSION: another broker bumped the epoch (and may have died): look again.
          if (isZkError(err, 'NODE_EXISTS') || isZkError(err, 'BAD_VERSION')) continue;
          throw err;
        }
        this.currentId = this.brokerId;
        this.context = { epoch, epochZkVersion: epochNode.version + 1 };
        this.logger.info({ brokerId: this.brokerId, controllerEpoch: epoch }, 'elected controller');
        try {
          await this.listener.onBecomeController(this.context);
        } catch (err) {
          // Kafka resigns (deletes /controller) when it cannot take over, so another broker tries.
          this.logger.error({ err }, 'controller failover failed; resigning');
          await this.resignAndDelete();
        }
        return;
      } catch (err) {
        if (this.stopped) return;
        this.logger.warn({ err }, 'controller election failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private resign(): void {
    if (!this.context) return;
    this.context = null;
    this.logger.info({ brokerId: this.brokerId }, 'resigned as controller');
    this.listener.onResign();
  }

  private async resignAndDelete(): Promise<void> {
    this.resign();
    try {
      const node = await this.zk.getData(ZkPaths.controller);
      if (node && node.ephemeralOwner === this.zk.sessionId) await this.zk.delete(ZkPaths.controller, node.version);
    } catch (err) {
      this.logger.warn({ err }, 'could not delete /controller');
    }
  }

  /** Stops taking part; a controller deletes /controller so another broker takes over at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.zk.off('newSession', this.onNewSession);
    this.subscription?.close();
    await this.electing?.catch(() => undefined);
    if (this.context) await this.resignAndDelete();
  }
}
