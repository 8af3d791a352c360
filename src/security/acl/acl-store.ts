// AclStore: where the ACLs live, behind one interface the authorizer writes through and
// listens to. ZooKeeper (ZkAclStore, Kafka's /kafka-acl layout with change notifications) in a
// cluster; a file in the data dir (LocalAclStore) on a single node. The authorizer keeps the
// in-memory copy it decides from; a store reports every resource whose ACLs changed, also
// when another broker changed them.
import type { AccessControlEntry, ResourcePattern } from '../../protocol/acl.js';

export interface AclStore {
  /** Every resource pattern with its ACLs, as stored now. */
  loadAll(): Promise<Map<string, { pattern: ResourcePattern; entries: AccessControlEntry[] }>>;
  /**
   * Changes one resource's ACLs atomically: `update` gets the stored entries and returns the new
   * ones (an empty list removes the resource). Resolves with the entries written.
   */
  update(pattern: ResourcePattern, update: (current: readonly AccessControlEntry[]) => AccessControlEntry[]): Promise<AccessControlEntry[]>;
  /** Called with a resource whose ACLs someone (possibly another broker) changed, or null: reload all. */
  onChange(listener: (pattern: ResourcePattern | null) => void): void;
  /** The stored entries of one resource (after a change notification). */
  load(pattern: ResourcePattern): Promise<AccessControlEntry[]>;
  close(): void;
}
