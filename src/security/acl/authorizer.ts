// AclAuthorizer: Kafka's ACL decisions (kafka.security.authorizer.AclAuthorizer and
// org.apache.kafka.metadata.authorizer.StandardAuthorizer agree on them) over an in-memory
// cache of every ACL, kept current from an AclStore (ZooKeeper or the single-node file).
// - A super user (super.users) may do anything.
// - The ACLs that apply to a resource: LITERAL ones of its name, the LITERAL wildcard "*" of
//   its type, and PREFIXED ones whose name starts its name.
// - None apply: allow.everyone.if.no.acl.found decides.
// - A matching DENY wins over any ALLOW. An entry matches when its principal is the caller's
//   or User:*, its host the caller's address or "*", and its operation the one asked or ALL.
// - ALLOW implications (AclAuthorizer.authorizeAction): DESCRIBE is allowed by READ, WRITE,
//   DELETE or ALTER; DESCRIBE_CONFIGS by ALTER_CONFIGS. DENY has no implications.
// Denials are counted per operation and resource type (for /metrics) and logged as Kafka's
// kafka.authorizer.logger does ("Principal = User:alice is Denied Operation = READ from host =
// ... on resource = ..."), at most DENIAL_LOG_LINES_PER_SECOND_MAX lines a second: the lines
// over it are counted and reported with the next one. Checks that only filter what a client
// is shown (Metadata of all topics, ListGroups) do not log, as Kafka passes logIfDenied=false.
// authorize() is synchronous, from the cache, on the JS thread; writes go to the store and
// update the cache once stored. authorizeByResourceType() is Kafka's Authorizer default
// method (KIP-679: an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on
// any topic).
import type { Logger } from 'pino';
import { principalText, type KafkaPrincipal } from '../principal.js';
import { operationName, patternText, resourceTypeName } from '../../protocol/acl.js';
import {
  AclOperation,
  AclPermissionType,
  PatternType,
  ResourceType,
  WILDCARD_HOST,
  WILDCARD_PRINCIPAL,
  WILDCARD_RESOURCE,
  bindingFilterMatches,
  invalidBindingReason,
  patternKey,
  sameEntry,
  type AccessControlEntry,
  type AclBinding,
  type AclBindingFilter,
  type ResourcePattern,
} from '../../protocol/acl.js';
import type { AclStore } from './acl-store.js';

/** The outcome of one creation, in CreateAcls' terms. */
export interface AclCreateResult {
  /** null: created (or already there); otherwise Kafka's error for this binding. */
  readonly error: { readonly code: 'INVALID_REQUEST' | 'UNKNOWN_SERVER_ERROR'; readonly message: string } | null;
}

export interface AclDeleteResult {
  readonly error: { readonly code: 'UNKNOWN_SERVER_ERROR'; readonly message: string } | null;
  readonly deleted: AclBinding[];
}

interface TypeCache {
  /** LITERAL patterns by name ("*" included). */
  readonly literal: Map<string, AccessControlEntry[]>;
  /** PREFIXED patterns by prefix. */
  readonly prefixed: Map<string, AccessControlEntry[]>;
  /**
   * The distinct lengths of the prefixes, so that a decision looks up the name's own prefixes
   * of those lengths instead of testing every prefix (Kafka's authorizers use a sorted map).
   */
  prefixLengths: number[];
}

export interface AuthorizerOptions {
  /** super.users, as principal texts ("User:admin"). */
  readonly superUsers: readonly string[];
  readonly allowEveryoneIfNoAclFound: boolean;
}

/** Distinct IPv6 addresses whose Java form is remembered (a bound on memory, not on correctness). */
const IPV6_HOSTS_CACHED_MAX = 1024;
const javaHosts = new Map<string, string>();

/**
 * Kafka's host text for a client address, as Java's InetAddress.getHostAddress() prints it (ACL
 * hosts are compared with it as text): IPv4 as is (an IPv4-mapped IPv6 address is its IPv4
 * one), IPv6 in full without zero compression ("0:0:0:0:0:0:0:1" for "::1").
 */
export function hostOf(remoteAddress: string): string {
  if (!remoteAddress.includes(':')) return remoteAddress;
  if (remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.')) return remoteAddress.slice(7);
  let java = javaHosts.get(remoteAddress);
  if (java === undefined) {
    java = javaIpv6(remoteAddress);
    if (javaHosts.size >= IPV6_HOSTS_CACHED_MAX) javaHosts.clear();
    javaHosts.set(remoteAddress, java);
  }
  return java;
}

function javaIpv6(address: string): string {
  const percent = address.indexOf('%');
  const ip = percent >= 0 ? address.slice(0, percent) : address;
  const scope = percent >= 0 ? address.slice(percent) : '';
  const groups = (text: string): string[] => {
    if (text === '') return [];
    const parts = text.split(':');
    const last = parts[parts.length - 1]!;
    if (last.includes('.')) {
      const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
      parts.splice(parts.length - 1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
    }
    return parts;
  };
  const gap = ip.indexOf('::');
  const head = groups(gap >= 0 ? ip.slice(0, gap) : ip);
  const tail = gap >= 0 ? groups(ip.slice(gap + 2)) : [];
  const zeros = gap >= 0 ? Array.from({ length: Math.max(0, 8 - head.length - tail.length) }, () => '0') : [];
  return [...head, ...zeros, ...tail].map((g) => parseInt(g, 16).toString(16)).join(':') + scope;
}

/** Denial log lines per second at most; the rest are counted and reported with the next line. */
export const DENIAL_LOG_LINES_PER_SECOND_MAX = 10;
/** Slots of the denial counters: operation codes (0-15) by resource type codes (0-7). */
const OPERATION_SLOTS = 16;
const RESOURCE_TYPE_SLOTS = 8;

export class AclAuthorizer {
  private readonly byType = new Map<ResourceType, TypeCache>();
  /** Denials by operation * RESOURCE_TYPE_SLOTS + resource type. */
  private readonly denialCounts = new Float64Array(OPERATION_SLOTS * RESOURCE_TYPE_SLOTS);
  private denialLogSecond = 0;
  private denialLogLines = 0;
  private denialsNotLogged = 0;
  private readonly superUsers: ReadonlySet<string>;
  private readonly allowIfNoAcl: boolean;
  /** Writes one after another (each resource's update is a compare-and-set in ZooKeeper anyway). */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: AclStore,
    options: AuthorizerOptions,
    private readonly logger: Logger,
  ) {
    this.superUsers = new Set(options.superUsers);
    this.allowIfNoAcl = options.allowEveryoneIfNoAclFound;
  }

  /** Loads every ACL into the cache and follows the store's changes. */
  static async start(store: AclStore, options: AuthorizerOptions, logger: Logger): Promise<AclAuthorizer> {
    const a = new AclAuthorizer(store, options, logger);
    // Changes announced while everything loads are applied after it, so that none is lost
    // and none is overwritten by the older copy being loaded.
    let pending: (ResourcePattern | null)[] | null = [];
    store.onChange((pattern) => (pending ? pending.push(pattern) : a.reload(pattern)));
    for (const { pattern, entries } of (await store.loadAll()).values()) a.put(pattern, entries);
    const missed = pending;
    pending = null;
    for (const pattern of missed) a.reload(pattern);
    return a;
  }

  close(): void {
    this.store.close();
  }

  // ------------------------------------------------------------------ decisions

  /**
   * Whether `principal` connecting from `host` may perform `operation` on the resource `name`
   * of `resourceType`. A denial is counted, and logged unless `logIfDenied` is false (checks
   * that only filter what is shown).
   */
  authorize(principal: KafkaPrincipal, host: string, operation: AclOperation, resourceType: ResourceType, name: string, logIfDenied = true): boolean {
    if (this.decide(principal, host, operation, resourceType, name)) return true;
    this.denialCounts[(operation % OPERATION_SLOTS) * RESOURCE_TYPE_SLOTS + (resourceType % RESOURCE_TYPE_SLOTS)]! += 1;
    if (logIfDenied) this.logDenial(principal, host, operation, resourceType, name);
    return false;
  }

  /** Denials so far, by operation and resource type names (READ, TOPIC), for /metrics. */
  denials(): { operation: string; resourceType: string; count: number }[] {
    const out: { operation: string; resourceType: string; count: number }[] = [];
    this.denialCounts.forEach((count, slot) => {
      if (count > 0) out.push({ operation: operationName(Math.floor(slot / RESOURCE_TYPE_SLOTS)), resourceType: resourceTypeName(slot % RESOURCE_TYPE_SLOTS), count });
    });
    return out;
  }

  /** ACL entries in the cache (Kafka's acls-total-count). */
  get aclCount(): number {
    let n = 0;
    for (const cache of this.byType.values()) {
      for (const entries of cache.literal.values()) n += entries.length;
      for (const entries of cache.prefixed.values()) n += entries.length;
    }
    return n;
  }

  private logDenial(principal: KafkaPrincipal, host: string, operation: AclOperation, resourceType: ResourceType, name: string): void {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.denialLogSecond) {
      this.denialLogSecond = second;
      this.denialLogLines = 0;
    }
    if (this.denialLogLines >= DENIAL_LOG_LINES_PER_SECOND_MAX) {
      this.denialsNotLogged++;
      return;
    }
    this.denialLogLines++;
    const resource = patternText({ resourceType, name, patternType: PatternType.LITERAL });
    const notLogged = this.denialsNotLogged;
    this.denialsNotLogged = 0;
    this.logger.info(
      { principal: principalText(principal), host: hostOf(host), operation: operationName(operation), resource, ...(notLogged > 0 ? { denialsNotLogged: notLogged } : {}) },
      `Principal = ${principalText(principal)} is Denied Operation = ${operationName(operation)} from host = ${hostOf(host)} on resource = ${resource}`,
    );
  }

  private decide(principal: KafkaPrincipal, host: string, operation: AclOperation, resourceType: ResourceType, name: string): boolean {
    const who = principalText(principal);
    if (this.superUsers.has(who)) return true;
    const acls = this.matchingAcls(resourceType, name);
    if (acls === null) return this.allowIfNoAcl;
    const from = hostOf(host);
    if (matches(acls, who, from, operation, AclPermissionType.DENY)) return false;
    if (matches(acls, who, from, operation, AclPermissionType.ALLOW)) return true;
    if (operation === AclOperation.DESCRIBE) {
      for (const implied of DESCRIBE_IMPLIED_BY) if (matches(acls, who, from, implied, AclPermissionType.ALLOW)) return true;
    } else if (operation === AclOperation.DESCRIBE_CONFIGS) {
      if (matches(acls, who, from, AclOperation.ALTER_CONFIGS, AclPermissionType.ALLOW)) return true;
    }
    return false;
  }

  /**
   * Kafka's Authorizer.authorizeByResourceType: whether some resource of the type may be acted
   * on: an ALLOW on a LITERAL or PREFIXED pattern not taken back by a DENY on the same name, a
   * DENY prefix of it, or a DENY on the wildcard.
   */
  authorizeByResourceType(principal: KafkaPrincipal, host: string, operation: AclOperation, resourceType: ResourceType): boolean {
    const who = principalText(principal);
    if (this.superUsers.has(who)) return true;
    const cache = this.byType.get(resourceType);
    if (!cache) return false;
    const from = hostOf(host);
    const applies = (e: AccessControlEntry, permission: AclPermissionType) =>
      e.permissionType === permission && (e.principal === who || e.principal === WILDCARD_PRINCIPAL) && (e.host === from || e.host === WILDCARD_HOST) && (e.operation === operation || e.operation === AclOperation.ALL);
    const deniedLiterals = new Set<string>();
    const deniedPrefixes: string[] = [];
    for (const [name, entries] of cache.literal) if (entries.some((e) => applies(e, AclPermissionType.DENY))) deniedLiterals.add(name);
    for (const [name, entries] of cache.prefixed) if (entries.some((e) => applies(e, AclPermissionType.DENY))) deniedPrefixes.push(name);
    if (deniedLiterals.has(WILDCARD_RESOURCE) || deniedPrefixes.includes('')) return false;
    const deniedByPrefix = (name: string) => deniedPrefixes.some((p) => name.startsWith(p));
    for (const [name, entries] of cache.literal) {
      if (!entries.some((e) => applies(e, AclPermissionType.ALLOW))) continue;
      if (name === WILDCARD_RESOURCE) return true;
      if (!deniedLiterals.has(name) && !deniedByPrefix(name)) return true;
    }
    for (const [name, entries] of cache.prefixed) {
      if (entries.some((e) => applies(e, AclPermissionType.ALLOW)) && !deniedByPrefix(name)) return true;
    }
    return false;
  }

  /**
   * The ACLs that apply to one resource, as the lists they are kept in (no copy): its LITERAL
   * name, the wildcard, and the prefixes it starts with. null when none applies.
   */
  private matchingAcls(resourceType: ResourceType, name: string): AccessControlEntry[][] | null {
    const cache = this.byType.get(resourceType);
    if (!cache) return null;
    let out: AccessControlEntry[][] | null = null;
    const literal = cache.literal.get(name);
    if (literal) (out ??= []).push(literal);
    if (name !== WILDCARD_RESOURCE) {
      const wildcard = cache.literal.get(WILDCARD_RESOURCE);
      if (wildcard) (out ??= []).push(wildcard);
    }
    for (const length of cache.prefixLengths) {
      if (length > name.length) break;
      const entries = cache.prefixed.get(name.slice(0, length));
      if (entries) (out ??= []).push(entries);
    }
    return out;
  }

  // ------------------------------------------------------------------ administration

  /** Every binding the filter matches (DescribeAcls). */
  describe(filter: AclBindingFilter): AclBinding[] {
    const out: AclBinding[] = [];
    for (const binding of this.bindings()) if (bindingFilterMatches(filter, binding)) out.push(binding);
    return out;
  }

  /** Creates bindings (CreateAcls); one result per binding, in order. An existing binding counts as created. */
  createAcls(bindings: readonly AclBinding[]): Promise<AclCreateResult[]> {
    return this.serialize(async () => {
      const results: AclCreateResult[] = bindings.map((b) => {
        const reason = invalidBindingReason(b);
        return { error: reason ? { code: 'INVALID_REQUEST' as const, message: reason } : null };
      });
      // One store update per resource.
      const byPattern = new Map<string, { pattern: ResourcePattern; indexes: number[] }>();
      bindings.forEach((b, i) => {
        if (results[i]!.error) return;
        const key = patternKey(b.pattern);
        const group = byPattern.get(key) ?? { pattern: b.pattern, indexes: [] };
        group.indexes.push(i);
        byPattern.set(key, group);
      });
      for (const { pattern, indexes } of byPattern.values()) {
        try {
          const written = await this.store.update(pattern, (current) => {
            const next = [...current];
            for (const i of indexes) if (!next.some((e) => sameEntry(e, bindings[i]!.entry))) next.push(bindings[i]!.entry);
            return next;
          });
          this.put(pattern, written);
        } catch (err) {
          this.logger.warn({ err, resource: pattern }, 'failed to store ACLs');
          for (const i of indexes) results[i] = { error: { code: 'UNKNOWN_SERVER_ERROR', message: `Failed to create ACLs: ${(err as Error).message}` } };
        }
      }
      return results;
    });
  }

  /** Deletes the bindings each filter matches (DeleteAcls); one result per filter. */
  deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclDeleteResult[]> {
    return this.serialize(async () => {
      const results: AclDeleteResult[] = filters.map(() => ({ error: null, deleted: [] }));
      const patterns = new Map<string, ResourcePattern>();
      for (const b of this.bindings()) if (filters.some((f) => bindingFilterMatches(f, b))) patterns.set(patternKey(b.pattern), b.pattern);
      for (const pattern of patterns.values()) {
        try {
          const removed: { entry: AccessControlEntry; filter: number }[] = [];
          const written = await this.store.update(pattern, (current) => {
            removed.length = 0;
            return current.filter((entry) => {
              const f = filters.findIndex((filter) => bindingFilterMatches(filter, { pattern, entry }));
              if (f >= 0) removed.push({ entry, filter: f });
              return f < 0;
            });
          });
          this.put(pattern, written);
          // Each deleted binding is reported under every filter that matches it, as Kafka does.
          for (const { entry } of removed) {
            filters.forEach((filter, i) => {
              if (bindingFilterMatches(filter, { pattern, entry })) results[i]!.deleted.push({ pattern, entry });
            });
          }
        } catch (err) {
          this.logger.warn({ err, resource: pattern }, 'failed to delete ACLs');
          filters.forEach((_, i) => {
            results[i] = { error: { code: 'UNKNOWN_SERVER_ERROR', message: `Failed to delete ACLs: ${(err as Error).message}` }, deleted: results[i]!.deleted };
          });
        }
      }
      return results;
    });
  }

  *bindings(): Generator<AclBinding> {
    for (const [resourceType, cache] of this.byType) {
      for (const [name, entries] of cache.literal) for (const entry of entries) yield { pattern: { resourceType, name, patternType: PatternType.LITERAL }, entry };
      for (const [name, entries] of cache.prefixed) for (const entry of entries) yield { pattern: { resourceType, name, patternType: PatternType.PREFIXED }, entry };
    }
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writes.then(work, work);
    this.writes = next.catch(() => {});
    return next;
  }

  // ------------------------------------------------------------------ cache

  private put(pattern: ResourcePattern, entries: readonly AccessControlEntry[]): void {
    let cache = this.byType.get(pattern.resourceType);
    if (!cache) {
      cache = { literal: new Map(), prefixed: new Map(), prefixLengths: [] };
      this.byType.set(pattern.resourceType, cache);
    }
    const map = pattern.patternType === PatternType.PREFIXED ? cache.prefixed : cache.literal;
    if (entries.length === 0) map.delete(pattern.name);
    else map.set(pattern.name, [...entries]);
    if (map === cache.prefixed) cache.prefixLengths = [...new Set([...cache.prefixed.keys()].map((p) => p.length))].sort((a, b) => a - b);
  }

  private reload(pattern: ResourcePattern | null): void {
    if (pattern === null) {
      this.store.loadAll().then(
        (all) => {
          this.byType.clear();
          for (const { pattern: p, entries } of all.values()) this.put(p, entries);
        },
        (err: unknown) => this.logger.warn({ err }, 'failed to reload ACLs'),
      );
      return;
    }
    this.store.load(pattern).then(
      (entries) => this.put(pattern, entries),
      (err: unknown) => this.logger.warn({ err, resource: pattern }, 'failed to reload ACLs of a resource'),
    );
  }
}

const DESCRIBE_IMPLIED_BY = [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER] as const;

function matches(lists: readonly (readonly AccessControlEntry[])[], who: string, host: string, operation: AclOperation, permission: AclPermissionType): boolean {
  for (const acls of lists) {
    for (const e of acls) {
      if (e.permissionType !== permission) continue;
      if (e.principal !== who && e.principal !== WILDCARD_PRINCIPAL) continue;
      if (e.operation !== operation && e.operation !== AclOperation.ALL) continue;
      if (e.host !== host && e.host !== WILDCARD_HOST) continue;
      return true;
    }
  }
  return false;
}
