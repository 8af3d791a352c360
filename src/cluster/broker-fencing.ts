// BrokerFencing: a broker whose process is gone leaves the cluster in milliseconds instead of
// after its ZooKeeper session timeout (zookeeper.session.timeout.ms, 18 s by default).
//
// Kafka's ZooKeeper mode only learnt of a dead broker when ZooKeeper expired its session; a
// SIGKILLed leader stalled its partitions that long. KRaft fences a broker that misses
// heartbeats (broker.session.timeout.ms, 9 s). Here every broker keeps one idle TCP connection
// to the inter-broker listener of every other registered broker (nothing is sent on it). When
// the process behind a listener dies, its kernel closes that connection at once; this broker
// then connects again: a refusal (ECONNREFUSED: nothing listens on the registered port any
// more), twice in a row REFUSAL_RETRY_MS apart, after this broker had reached that endpoint
// under the same registration, is the evidence. It then deletes the dead
// broker's /brokers/ids/<id> (only if the znode is still owned by the ZooKeeper session that
// registered the endpoint it probed, with the znode version as compare-and-set) and the
// /controller it may hold (same owner check). The controller, this broker or another, sees the
// registration go and elects new leaders from the ISR as for an expired session; the controller
// election runs at once when the dead broker was the controller.
//
// Why it is safe (see src/cluster/README.md, "Fencing a dead broker"): fencing only changes
// who is registered. Leaders are still elected by the controller, from the ISR in ZooKeeper,
// with the leader epoch bumped and a compare-and-set on the state znode fenced by the
// controller epoch; an old leader that is in fact alive cannot commit an acks=all write
// without every member of the ISR it knows (the new leader included), nor shrink that ISR,
// because its compare-and-set on the state znode fails once the controller wrote it. What is
// not evidence: a timeout, an unreachable host, a frozen process (SIGSTOP: the kernel still
// accepts connections): those wait for the session timeout as before. A broker fenced while
// alive (its listener refused connections while its session lived) registers again
// (BrokerRegistration) and rejoins the ISRs once caught up.
//
// Runs on the JS thread; one socket per other broker. Started by ZkCluster after the broker
// registered, stopped before it leaves.
import net from 'node:net';
import type { Logger } from 'pino';
import type { LiveBroker } from './metadata-store.js';
import { isZkError, type ZkClient } from './zk-client.js';
import type { ZkMetadataStore } from './zk-metadata-store.js';
import { decodeController, ZkPaths } from './zk-data.js';

/** Consecutive refused connects that prove nothing listens any more. */
export const REFUSALS_TO_FENCE = 2;
/** Between two connects after a refusal. */
const REFUSAL_RETRY_MS = 20;
/** A connect that neither succeeds nor is refused in this long is no evidence. */
const CONNECT_TIMEOUT_MS = 2_000;
/** After an inconclusive failure (timeout, unreachable), or an idle close, before connecting again. */
const RECONNECT_BACKOFF_MS = 1_000;

interface Peer {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  /** The session that owns the registration this endpoint came from. */
  readonly session: string;
  socket: net.Socket | null;
  timer: NodeJS.Timeout | null;
  refusals: number;
  /** A connection to this registration's endpoint succeeded once: the address is right and reachable from here. */
  reached: boolean;
  closed: boolean;
  fencing: boolean;
}

/** What a fencing did, for tests and logs. */
export interface FencingEvent {
  readonly brokerId: number;
  readonly atMs: number;
  readonly registrationDeleted: boolean;
  readonly controllerDeleted: boolean;
}

export class BrokerFencing {
  private readonly peers = new Map<number, Peer>();
  private stopped = false;
  readonly fenced: FencingEvent[] = [];

  constructor(
    private readonly zk: ZkClient,
    private readonly store: ZkMetadataStore,
    private readonly brokerId: number,
    private readonly listenerName: string,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.store.onChange((c) => {
      if (c.kind === 'brokers' && !this.stopped) this.sync();
    });
    this.sync();
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.peers.values()) this.closePeer(p);
    this.peers.clear();
  }

  /** One peer per other registered broker; a new registration (endpoint or session) replaces the old peer. */
  private sync(): void {
    const live = new Map<number, LiveBroker>();
    for (const b of this.store.liveBrokers()) if (b.id !== this.brokerId) live.set(b.id, b);
    for (const [id, p] of this.peers) {
      const b = live.get(id);
      const e = b && this.endpointOf(b);
      if (!b || !e || b.session !== p.session || e.host !== p.host || e.port !== p.port) {
        this.closePeer(p);
        this.peers.delete(id);
      }
    }
    for (const [id, b] of live) {
      if (this.peers.has(id) || b.session === undefined) continue;
      const e = this.endpointOf(b);
      if (!e) continue;
      const peer: Peer = { id, host: e.host, port: e.port, session: b.session, socket: null, timer: null, refusals: 0, reached: false, closed: false, fencing: false };
      this.peers.set(id, peer);
      this.connect(peer);
    }
  }

  private endpointOf(b: LiveBroker): { host: string; port: number } | undefined {
    return b.endpoints.find((x) => x.listenerName === this.listenerName) ?? b.endpoints.find((x) => x.listenerName === 'PLAINTEXT') ?? b.endpoints[0];
  }

  private closePeer(p: Peer): void {
    p.closed = true;
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    p.socket?.destroy();
    p.socket = null;
  }

  private later(p: Peer, ms: number): void {
    if (p.closed) return;
    p.timer = setTimeout(() => {
      p.timer = null;
      this.connect(p);
    }, ms);
    p.timer.unref();
  }

  private connect(p: Peer): void {
    if (p.closed || this.stopped) return;
    const socket = net.connect({ host: p.host, port: p.port });
    let established = false;
    let outcome: 'refused' | 'other' | null = null;
    socket.setTimeout(CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      established = true;
      p.reached = true;
      p.refusals = 0;
      socket.setTimeout(0);
      socket.setNoDelay(true);
    });
    socket.on('data', () => {}); // the broker never writes: no request was sent
    socket.once('timeout', () => {
      outcome = 'other';
      socket.destroy();
    });
    // `on`, not `once`: a second 'error' without a listener would throw.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      outcome ??= err.code === 'ECONNREFUSED' ? 'refused' : 'other';
    });
    socket.once('close', () => {
      if (p.socket === socket) p.socket = null;
      if (p.closed || this.stopped) return;
      if (established) {
        // The other side closed (its process died, or the idle timeout): look at once.
        this.connect(p);
        return;
      }
      // Refused by an endpoint never reached from here (a wrong advertised address, a
      // firewall that rejects) is no evidence that a process went away.
      if (outcome === 'refused' && p.reached) {
        p.refusals++;
        if (p.refusals >= REFUSALS_TO_FENCE) void this.fence(p);
        else this.later(p, REFUSAL_RETRY_MS);
        return;
      }
      p.refusals = 0;
      this.later(p, RECONNECT_BACKOFF_MS);
    });
    p.socket = socket;
  }

  /** Deletes the dead broker's registration and controller znode, if the session that registered the probed endpoint still owns them. */
  private async fence(p: Peer): Promise<void> {
    if (p.fencing) return;
    p.fencing = true;
    let registrationDeleted = false;
    let controllerDeleted = false;
    try {
      const path = ZkPaths.brokerId(p.id);
      const node = await this.zk.getData(path);
      if (node && node.ephemeralOwner === p.session) {
        try {
          await this.zk.delete(path, node.version);
          registrationDeleted = true;
        } catch (err) {
          if (!isZkError(err, 'NO_NODE') && !isZkError(err, 'BAD_VERSION')) throw err;
        }
      }
      const controller = await this.zk.getData(ZkPaths.controller);
      if (controller && controller.ephemeralOwner === p.session && decodeController(controller.data) === p.id) {
        try {
          await this.zk.delete(ZkPaths.controller, controller.version);
          controllerDeleted = true;
        } catch (err) {
          if (!isZkError(err, 'NO_NODE') && !isZkError(err, 'BAD_VERSION')) throw err;
        }
      }
      if (registrationDeleted || controllerDeleted) {
        this.fenced.push({ brokerId: p.id, atMs: Date.now(), registrationDeleted, controllerDeleted });
        this.logger.warn(
          { brokerId: p.id, endpoint: `${p.host}:${p.port}`, session: p.session, registrationDeleted, controllerDeleted },
          'broker fenced: its inter-broker listener refuses connections (the process is gone); removed its registration so that leaders move now, not after the ZooKeeper session timeout',
        );
      }
    } catch (err) {
      // ZooKeeper unreachable: the session timeout still applies; look again later.
      this.logger.warn({ err, brokerId: p.id }, 'could not fence a broker whose listener refuses connections');
      p.fencing = false;
      p.refusals = 0;
      this.later(p, RECONNECT_BACKOFF_MS);
      return;
    }
    // The registration is gone (by us or by anyone): sync() drops the peer. If another
    // session registered meanwhile, the watch brings it and sync() makes a new peer.
    p.fencing = false;
    if (!registrationDeleted && !p.closed) {
      p.refusals = 0;
      this.later(p, RECONNECT_BACKOFF_MS);
    }
  }
}
