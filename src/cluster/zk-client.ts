// ZkClient: a small promise wrapper over node-zookeeper-client, after Kafka's ZooKeeperClient.
// - connect() takes Kafka's zookeeper.connect (`host:port,host:port/chroot`), creates the
//   chroot when missing (Kafka does the same), and fails naming zookeeper.connect when no
//   server answers within zookeeper.connection.timeout.ms.
// - Errors are ZkError with ZooKeeper's code name (NODE_EXISTS, NO_NODE, BAD_VERSION, ...).
// - Watches are persistent subscriptions (watchData, watchChildren): ZooKeeper's one-shot
//   watches are re-armed after every event and again on a new session, and every delivery
//   carries the current value, so a subscriber never acts on an event without the state.
// - Session expiry: the library's client is dead after it; a new one is made (retried until it
//   connects, as Kafka's reinitialize) and 'newSession' listeners run, so that owners of
//   ephemerals (registration, controller election) create them again.
// Everything runs on the JS thread; callbacks come back through the event loop.
import { EventEmitter } from 'node:events';
import zookeeper from 'node-zookeeper-client';
import type { Client, Event, Stat } from 'node-zookeeper-client';
import type { Logger } from 'pino';
import { isZkError, ZkError } from './zk-error.js';

export { isZkError, ZkError } from './zk-error.js';

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent_sequential' | 'ephemeral_sequential';

const CREATE_MODES: Record<CreateMode, number> = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  persistent_sequential: zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
  ephemeral_sequential: zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
};

/** ZooKeeper's error names by code (KeeperException.Code). */
const CODE_NAMES = new Map<number, string>(
  Object.entries(zookeeper.Exception)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([name, code]) => [code, name]),
);

function toZkError(err: unknown, path: string): ZkError {
  if (err instanceof ZkError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return new ZkError(CODE_NAMES.get(code) ?? `ERROR_${code}`, path);
  return new ZkError('SYSTEM_ERROR', path, `ZooKeeper error at ${path}: ${(err as Error).message ?? String(err)}`);
}

export interface ZnodeData {
  readonly data: Buffer;
  /** The znode's data version: the compare-and-set token of setData. */
  readonly version: number;
  /** Session id (hex) of an ephemeral's owner; '0000000000000000' for a persistent znode. */
  readonly ephemeralOwner: string;
  /** When the znode was created (ZooKeeper's ctime, ms since the epoch). */
  readonly ctimeMs: number;
}

/** One operation of a multi (ZooKeeper transaction): all succeed or none does. */
export type ZkOp =
  | { readonly op: 'create'; readonly path: string; readonly data: Buffer; readonly mode: CreateMode }
  | { readonly op: 'setData'; readonly path: string; readonly data: Buffer; readonly version: number }
  | { readonly op: 'check'; readonly path: string; readonly version: number }
  | { readonly op: 'delete'; readonly path: string; readonly version: number };

export interface ZkClientOptions {
  /** Kafka's zookeeper.connect: host:port[,host:port...][/chroot]. */
  readonly connect: string;
  readonly sessionTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly logger: Logger;
}

export interface Subscription {
  /** Resolves after the first delivery (the current state). */
  readonly ready: Promise<void>;
  close(): void;
}

/** Retry delay after a connection loss while re-arming a watch. */
const REARM_RETRY_MS = 200;
/** Retry delay between attempts to open a new session after expiry. */
const RECONNECT_RETRY_MS = 1000;

/** Splits zookeeper.connect into the server list and the chroot ('' when none). */
export function parseConnectString(connect: string): { servers: string; chroot: string } {
  const slash = connect.indexOf('/');
  if (slash === -1) return { servers: connect, chroot: '' };
  const chroot = connect.slice(slash).replace(/\/+$/, '');
  return { servers: connect.slice(0, slash), chroot };
}

function openClient(connect: string, sessionTimeoutMs: number, timeoutMs: number, extra: Record<string, unknown> = {}): Promise<Client> {
  const client = zookeeper.createClient(connect, { sessionTimeout: sessionTimeoutMs, spinDelay: 200, retries: 0, ...extra });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener('connected', onConnected);
      client.close();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onConnected = () => {
      clearTimeout(timer);
      resolve(client);
    };
    client.once('connected', onConnected);
    client.connect();
  });
}

export class ZkClient {
  private client: Client;
  private closed = false;
  private readonly events = new EventEmitter();
  private readonly subscriptions = new Set<() => void>();

  private constructor(
    client: Client,
    private readonly options: ZkClientOptions,
  ) {
    this.client = client;
    this.attach(client);
  }

  /** Connects (creating the chroot if it is missing); throws naming zookeeper.connect on timeout. */
  static async connect(options: ZkClientOptions): Promise<ZkClient> {
    const { servers, chroot } = parseConnectString(options.connect);
    const fail = (reason: string) =>
      new Error(`Could not connect to ZooKeeper at zookeeper.connect=${options.connect}: ${reason} (zookeeper.connection.timeout.ms=${options.connectionTimeoutMs})`);
    if (chroot !== '') {
      let root: Client;
      try {
        root = await openClient(servers, options.sessionTimeoutMs, options.connectionTimeoutMs);
      } catch (err) {
        throw fail((err as Error).message);
      }
      try {
        await new Promise<void>((resolve, reject) => root.mkdirp(chroot, (e) => (e ? reject(toZkError(e, chroot)) : resolve())));
      } finally {
        root.close();
      }
    }
    try {
      return new ZkClient(await openClient(options.connect, options.sessionTimeoutMs, options.connectionTimeoutMs), options);
    } catch (err) {
      throw fail((err as Error).message);
    }
  }

  /** The session id in hex, as ZooKeeper's logs and ephemeralOwner show it. */
  get sessionId(): string {
    return this.client.getSessionId().toString('hex');
  }

  /** For tests: the session's id and password, to close it from another connection. */
  sessionCredentials(): { sessionId: Buffer; sessionPassword: Buffer } {
    return { sessionId: Buffer.from(this.client.getSessionId()), sessionPassword: Buffer.from(this.client.getSessionPassword()) };
  }

  /** 'newSession' runs after a session expired and a new one is established. */
  on(event: 'newSession' | 'expired' | 'disconnected' | 'connected', listener: () => void): void {
    this.events.on(event, listener);
  }

  off(event: 'newSession' | 'expired' | 'disconnected' | 'connected', listener: () => void): void {
    this.events.off(event, listener);
  }

  private attach(client: Client): void {
    client.on('disconnected', () => {
      if (this.client !== client || this.closed) return;
      this.options.logger.warn({ zookeeper: this.options.connect }, 'disconnected from ZooKeeper');
      this.events.emit('disconnected');
    });
    client.on('connected', () => {
      if (this.client !== client || this.closed) return;
      this.events.emit('connected');
    });
    client.on('expired', () => {
      if (this.client !== client || this.closed) return;
      this.options.logger.warn({ zookeeper: this.options.connect, sessionId: client.getSessionId().toString('hex') }, 'ZooKeeper session expired');
      client.close();
      this.events.emit('expired');
      void this.reconnect();
    });
  }

  private async reconnect(): Promise<void> {
    while (!this.closed) {
      try {
        const next = await openClient(this.options.connect, this.options.sessionTimeoutMs, this.options.connectionTimeoutMs);
        if (this.closed) {
          next.close();
          return;
        }
        this.client = next;
        this.attach(next);
        this.options.logger.info({ sessionId: this.sessionId }, 'new ZooKeeper session');
        for (const rearm of this.subscriptions) rearm();
        this.events.emit('newSession');
        return;
      } catch (err) {
        this.options.logger.warn({ err: (err as Error).message }, 'could not open a new ZooKeeper session; retrying');
        await new Promise((r) => setTimeout(r, RECONNECT_RETRY_MS));
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscriptions.clear();
    this.client.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ------------------------------------------------------------------ operations

  create(path: string, data: Buffer | string, mode: CreateMode = 'persistent'): Promise<string> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return new Promise((resolve, reject) => this.client.create(path, bytes, CREATE_MODES[mode], (e, created) => (e ? reject(toZkError(e, path)) : resolve(created))));
  }

  /** Creates path and its missing parents (persistent, empty); no error when it exists. */
  mkdirp(path: string): Promise<void> {
    return new Promise((resolve, reject) => this.client.mkdirp(path, (e) => (e ? reject(toZkError(e, path)) : resolve())));
  }

  /** The znode's data and version, or null when it does not exist. */
  getData(path: string, watcher?: (event: Event) => void): Promise<ZnodeData | null> {
    return new Promise((resolve, reject) => {
      const cb = (e: unknown, data: Buffer, stat: Stat) => {
        if (e) {
          const err = toZkError(e, path);
          if (err.code === 'NO_NODE') resolve(null);
          else reject(err);
          return;
        }
        resolve({ data: data ?? Buffer.alloc(0), version: stat.version, ephemeralOwner: stat.ephemeralOwner.toString('hex'), ctimeMs: Buffer.isBuffer(stat.ctime) ? Number(stat.ctime.readBigInt64BE(0)) : 0 });
      };
      if (watcher) this.client.getData(path, watcher, cb);
      else this.client.getData(path, cb);
    });
  }

  /** Writes data if the znode's version is still `version` (-1: any); resolves with the new version. BAD_VERSION otherwise. */
  setData(path: string, data: Buffer | string, version: number): Promise<number> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    return new Promise((resolve, reject) => this.client.setData(path, bytes, version, (e, stat) => (e ? reject(toZkError(e, path)) : resolve(stat.version))));
  }

  /** The children's names, or null when the znode does not exist. */
  getChildren(path: string, watcher?: (event: Event) => void): Promise<string[] | null> {
    return new Promise((resolve, reject) => {
      const cb = (e: unknown, children: string[]) => {
        if (e) {
          const err = toZkError(e, path);
          if (err.code === 'NO_NODE') resolve(null);
          else reject(err);
          return;
        }
        resolve(children);
      };
      if (watcher) this.client.getChildren(path, watcher, cb);
      else this.client.getChildren(path, cb);
    });
  }

  /** Whether the znode exists; a watcher fires on its creation, deletion or data change. */
  exists(path: string, watcher?: (event: Event) => void): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const cb = (e: unknown, stat: Stat | null) => (e ? reject(toZkError(e, path)) : resolve(stat !== null && stat !== undefined));
      if (watcher) this.client.exists(path, watcher, cb);
      else this.client.exists(path, cb);
    });
  }

  delete(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => this.client.remove(path, version, (e) => (e ? reject(toZkError(e, path)) : resolve())));
  }

  /** Deletes a znode and everything under it; no error when it is already gone. */
  async deleteRecursive(path: string): Promise<void> {
    const children = await this.getChildren(path);
    if (children === null) return;
    for (const child of children) await this.deleteRecursive(`${path === '/' ? '' : path}/${child}`);
    try {
      await this.delete(path);
    } catch (err) {
      if (!isZkError(err, 'NO_NODE')) throw err;
    }
  }

  /**
   * Runs the operations as one ZooKeeper multi. On failure the ZkError's code is the failing
   * operation's, and `failedOp` its index.
   */
  multi(ops: readonly ZkOp[]): Promise<void> {
    const tx = this.client.transaction();
    // node-zookeeper-client 1.1.3's Transaction turns version 0 into -1 (`version || -1`), which
    // would make a compare-and-set at version 0 unconditional: the queued op is corrected.
    const queued = (tx as unknown as { ops: { version?: number }[] }).ops;
    for (const o of ops) {
      if (o.op === 'create') tx.create(o.path, o.data, CREATE_MODES[o.mode]);
      else if (o.op === 'setData') tx.setData(o.path, o.data, o.version);
      else if (o.op === 'check') tx.check(o.path, o.version);
      else tx.remove(o.path, o.version);
      if (o.op !== 'create') queued[queued.length - 1]!.version = o.version;
    }
    return new Promise((resolve, reject) =>
      tx.commit((e, results: { err?: number }[] | undefined) => {
        if (!e) return resolve();
        const index = results?.findIndex((r) => r.err !== undefined && r.err !== 0 && r.err !== zookeeper.Exception.RUNTIME_INCONSISTENCY) ?? -1;
        const err = toZkError(e, index >= 0 ? ops[index]!.path : (ops[0]?.path ?? '/'));
        reject(Object.assign(err, { failedOp: index }));
      }),
    );
  }

  /**
   * Kafka's checkedEphemeralCreate: creates an ephemeral znode; NODE_EXISTS owned by this very
   * session (a retried create after a connection loss) counts as created.
   */
  async createEphemeral(path: string, data: Buffer | string): Promise<void> {
    try {
      await this.create(path, data, 'ephemeral');
    } catch (err) {
      if (!isZkError(err, 'NODE_EXISTS')) throw err;
      const existing = await this.getData(path);
      if (existing && existing.ephemeralOwner === this.sessionId) return;
      throw new ZkError(
        'NODE_EXISTS',
        path,
        `Error while creating ephemeral at ${path}, node already exists and owner '${existing ? BigInt(`0x${existing.ephemeralOwner}`).toString() : 'none'}' does not match current session '${BigInt(`0x${this.sessionId}`).toString()}'`,
      );
    }
  }

  // ------------------------------------------------------------------ persistent watches

  /**
   * Calls onData with the znode's current data (null while it does not exist) now and after
   * every change, until closed. Re-armed on a new session.
   */
  watchData(path: string, onData: (value: ZnodeData | null) => void): Subscription {
    return this.subscribe(path, async (rearm) => {
      const value = await this.getData(path, rearm);
      if (value === null) {
        // Watch for its creation; if it appeared in between, read again.
        if (await this.exists(path, rearm)) return 'again';
      }
      onData(value);
      return 'done';
    });
  }

  /** Calls onChildren with the children's names (null while the znode does not exist), now and after every change. */
  watchChildren(path: string, onChildren: (children: string[] | null) => void): Subscription {
    return this.subscribe(path, async (rearm) => {
      const children = await this.getChildren(path, rearm);
      if (children === null) {
        if (await this.exists(path, rearm)) return 'again';
      }
      onChildren(children);
      return 'done';
    });
  }

  private subscribe(path: string, read: (rearm: () => void) => Promise<'done' | 'again'>): Subscription {
    let open = true;
    let resolveReady!: () => void;
    const ready = new Promise<void>((r) => (resolveReady = r));
    // A generation per arm: an event from a superseded watch (an old session's) is ignored.
    let generation = 0;
    const arm = () => {
      if (!open || this.closed) return;
      const mine = ++generation;
      const rearm = () => {
        if (mine === generation) arm();
      };
      read(rearm).then(
        (outcome) => {
          if (outcome === 'again') arm();
          else resolveReady();
        },
        (err: unknown) => {
          // Connection loss or expiry: try again (a new session re-arms through `subscriptions` too).
          if (!open || this.closed) return;
          if (!isZkError(err, 'CONNECTION_LOSS') && !isZkError(err, 'SESSION_EXPIRED')) this.options.logger.warn({ err, path }, 'ZooKeeper watch read failed; retrying');
          setTimeout(() => {
            if (mine === generation) arm();
          }, REARM_RETRY_MS);
        },
      );
    };
    this.subscriptions.add(arm);
    arm();
    return {
      ready,
      close: () => {
        open = false;
        this.subscriptions.delete(arm);
      },
    };
  }
}
