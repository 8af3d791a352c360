// ZkAclStore: ACLs in ZooKeeper in Kafka's layout (AclAuthorizer's ZkAclStore), so Kafka's
// tools and brokers read the same znodes:
//   /kafka-acl/<ResourceType>/<name>                     LITERAL patterns ("Topic", "Group", ...)
//   /kafka-acl-extended/prefixed/<ResourceType>/<name>   PREFIXED patterns
//   each holding {"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}
//   /kafka-acl-changes/acl_changes_<seq>                 "Topic:name" after a LITERAL change
//   /kafka-acl-extended-changes/acl_changes_<seq>        {"version":1,"resourceType":"Topic","name":"p","patternType":"PREFIXED"}
// A write is a compare-and-set on the resource's znode (retried on a concurrent change), then a
// persistent sequential change node. Every broker watches both change paths and reloads the
// named resource, so its authorizer's cache follows changes made through any broker.
// Change nodes are kept to the newest CHANGE_NODES_KEPT_MAX per path (Kafka purges those older
// than 15 minutes instead); a broker that finds a notification already gone reloads every ACL.
import type { Logger } from 'pino';
import { isZkError, type Subscription, type ZkClient } from '../../cluster/zk-client.js';
import { PatternType, ResourceType, parsePatternType, resourceTypeCamel, type AccessControlEntry, type ResourcePattern } from '../../protocol/acl.js';
import { decodeAcls, encodeAcls } from './acl-json.js';
import type { AclStore } from './acl-store.js';

export const ZkAclPaths = {
  literal: '/kafka-acl',
  prefixed: '/kafka-acl-extended/prefixed',
  literalChanges: '/kafka-acl-changes',
  extendedChanges: '/kafka-acl-extended-changes',
  changePrefix: 'acl_changes_',
} as const;

/** Change notifications kept per change path; the writer of a new one deletes older ones beyond it. */
export const CHANGE_NODES_KEPT_MAX = 1000;
/** Compare-and-set attempts of one resource update. */
const UPDATE_ATTEMPTS_MAX = 50;

const STORED_TYPES = [ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER, ResourceType.TRANSACTIONAL_ID, ResourceType.DELEGATION_TOKEN, ResourceType.USER] as const;
const typeByCamel = new Map<string, ResourceType>(STORED_TYPES.map((t) => [resourceTypeCamel(t), t]));

export function aclZnodePath(p: ResourcePattern): string {
  const root = p.patternType === PatternType.PREFIXED ? ZkAclPaths.prefixed : ZkAclPaths.literal;
  return `${root}/${resourceTypeCamel(p.resourceType)}/${p.name}`;
}

export class ZkAclStore implements AclStore {
  private readonly listeners: ((pattern: ResourcePattern | null) => void)[] = [];
  private readonly subscriptions: Subscription[] = [];

  private constructor(
    private readonly zk: ZkClient,
    private readonly logger: Logger,
  ) {}

  /** Creates the top-level paths (as Kafka's ZkAclStore does) and starts following changes. */
  static async start(zk: ZkClient, logger: Logger): Promise<ZkAclStore> {
    const store = new ZkAclStore(zk, logger);
    for (const p of [ZkAclPaths.literal, ZkAclPaths.prefixed, ZkAclPaths.literalChanges, ZkAclPaths.extendedChanges]) await zk.mkdirp(p);
    store.follow(ZkAclPaths.literalChanges, (data) => {
      // "Topic:name": the name may itself hold colons.
      const colon = data.indexOf(':');
      const resourceType = typeByCamel.get(data.slice(0, colon));
      return colon > 0 && resourceType !== undefined ? { resourceType, name: data.slice(colon + 1), patternType: PatternType.LITERAL } : null;
    });
    store.follow(ZkAclPaths.extendedChanges, (data) => {
      const event = JSON.parse(data) as { resourceType?: string; name?: string; patternType?: string };
      const resourceType = typeByCamel.get(event.resourceType ?? '');
      const patternType = parsePatternType(event.patternType ?? '');
      if (resourceType === undefined || typeof event.name !== 'string' || (patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED)) return null;
      return { resourceType, name: event.name, patternType };
    });
    await Promise.all(store.subscriptions.map((s) => s.ready));
    return store;
  }

  private follow(path: string, decode: (data: string) => ResourcePattern | null): void {
    let seen: Set<string> | null = null;
    this.subscriptions.push(
      this.zk.watchChildren(path, (children) => {
        const now = new Set(children ?? []);
        const before = seen;
        seen = now;
        // The first delivery is the state the authorizer is about to load.
        if (before === null) return;
        for (const child of now) {
          if (before.has(child)) continue;
          this.zk.getData(`${path}/${child}`).then(
            (node) => {
              if (node === null) {
                // Purged before this broker read it: which resource changed is unknown.
                for (const l of this.listeners) l(null);
                return;
              }
              let pattern: ResourcePattern | null = null;
              try {
                pattern = decode(node.data.toString('utf8'));
              } catch {
                pattern = null;
              }
              for (const l of this.listeners) l(pattern);
            },
            (err: unknown) => {
              this.logger.warn({ err, path: `${path}/${child}` }, 'failed to read an ACL change notification; reloading every ACL');
              for (const l of this.listeners) l(null);
            },
          );
        }
      }),
    );
  }

  onChange(listener: (pattern: ResourcePattern | null) => void): void {
    this.listeners.push(listener);
  }

  async loadAll(): Promise<Map<string, { pattern: ResourcePattern; entries: AccessControlEntry[] }>> {
    const out = new Map<string, { pattern: ResourcePattern; entries: AccessControlEntry[] }>();
    for (const patternType of [PatternType.LITERAL, PatternType.PREFIXED] as const) {
      const root = patternType === PatternType.PREFIXED ? ZkAclPaths.prefixed : ZkAclPaths.literal;
      const types = (await this.zk.getChildren(root)) ?? [];
      for (const typeName of types) {
        const resourceType = typeByCamel.get(typeName);
        if (resourceType === undefined) continue;
        for (const name of (await this.zk.getChildren(`${root}/${typeName}`)) ?? []) {
          const pattern = { resourceType, name, patternType };
          const entries = await this.load(pattern);
          if (entries.length > 0) out.set(`${resourceType}:${patternType}:${name}`, { pattern, entries });
        }
      }
    }
    return out;
  }

  async load(pattern: ResourcePattern): Promise<AccessControlEntry[]> {
    const node = await this.zk.getData(aclZnodePath(pattern));
    return node ? decodeAcls(node.data.toString('utf8')) : [];
  }

  async update(pattern: ResourcePattern, update: (current: readonly AccessControlEntry[]) => AccessControlEntry[]): Promise<AccessControlEntry[]> {
    const path = aclZnodePath(pattern);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS_MAX; attempt++) {
      const node = await this.zk.getData(path);
      const current = node ? decodeAcls(node.data.toString('utf8')) : [];
      const next = update(current);
      try {
        if (node === null) {
          if (next.length === 0) return [];
          await this.zk.mkdirp(path.slice(0, path.lastIndexOf('/')));
          await this.zk.create(path, encodeAcls(next));
        } else if (next.length === 0) {
          await this.zk.delete(path, node.version);
        } else {
          await this.zk.setData(path, encodeAcls(next), node.version);
        }
      } catch (err) {
        if (isZkError(err, 'BAD_VERSION') || isZkError(err, 'NODE_EXISTS') || isZkError(err, 'NO_NODE')) continue;
        throw err;
      }
      await this.notify(pattern);
      return next;
    }
    throw new Error(`Failed to update ACLs for ${path} after ${UPDATE_ATTEMPTS_MAX} attempts`);
  }

  private async notify(p: ResourcePattern): Promise<void> {
    const literal = p.patternType === PatternType.LITERAL;
    const dir = literal ? ZkAclPaths.literalChanges : ZkAclPaths.extendedChanges;
    const data = literal ? `${resourceTypeCamel(p.resourceType)}:${p.name}` : JSON.stringify({ version: 1, resourceType: resourceTypeCamel(p.resourceType), name: p.name, patternType: 'PREFIXED' });
    await this.zk.create(`${dir}/${ZkAclPaths.changePrefix}`, data, 'persistent_sequential');
    const children = ((await this.zk.getChildren(dir)) ?? []).filter((c) => c.startsWith(ZkAclPaths.changePrefix)).sort();
    for (const old of children.slice(0, Math.max(0, children.length - CHANGE_NODES_KEPT_MAX))) {
      try {
        await this.zk.delete(`${dir}/${old}`);
      } catch (err) {
        if (!isZkError(err, 'NO_NODE')) throw err;
      }
    }
  }

  close(): void {
    for (const s of this.subscriptions) s.close();
  }
}
