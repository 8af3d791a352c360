// LocalAclStore: a single node's ACLs in `<first log dir>/tidelog-acls.json`, one entry per
// resource pattern with Kafka's ACL JSON (acl-json.ts). Written to a temp file, fsynced and
// renamed, so a crash leaves the old or the new file, never a torn one. Only this broker
// writes it, so there are no change notifications.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from '../../atomic-file.js';
import { PatternType, parsePatternType, parseResourceType, patternKey, patternTypeName, resourceTypeCamel, type AccessControlEntry, type ResourcePattern } from '../../protocol/acl.js';
import { decodeAcls, encodeAcls } from './acl-json.js';
import type { AclStore } from './acl-store.js';

export const ACL_FILE = 'tidelog-acls.json';

interface StoredResource {
  resourceType: string;
  patternType: string;
  name: string;
  acls: unknown;
}

export class LocalAclStore implements AclStore {
  private readonly file: string;
  private readonly resources = new Map<string, { pattern: ResourcePattern; entries: AccessControlEntry[] }>();

  constructor(dataDir: string) {
    this.file = path.join(dataDir, ACL_FILE);
    if (!existsSync(this.file)) return;
    let parsed: { resources?: StoredResource[] };
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { resources?: StoredResource[] };
    } catch (err) {
      throw new Error(`${this.file}: not a readable ACL file (${(err as Error).message}); restore it or move it away`);
    }
    for (const r of parsed.resources ?? []) {
      const resourceType = parseResourceType(r.resourceType);
      const patternType = parsePatternType(r.patternType);
      if (resourceType === undefined || (patternType !== PatternType.LITERAL && patternType !== PatternType.PREFIXED)) continue;
      const pattern = { resourceType, name: r.name, patternType };
      const entries = decodeAcls(JSON.stringify({ version: 1, acls: r.acls }));
      if (entries.length > 0) this.resources.set(patternKey(pattern), { pattern, entries });
    }
  }

  loadAll(): Promise<Map<string, { pattern: ResourcePattern; entries: AccessControlEntry[] }>> {
    return Promise.resolve(new Map(this.resources));
  }

  load(pattern: ResourcePattern): Promise<AccessControlEntry[]> {
    return Promise.resolve([...(this.resources.get(patternKey(pattern))?.entries ?? [])]);
  }

  update(pattern: ResourcePattern, update: (current: readonly AccessControlEntry[]) => AccessControlEntry[]): Promise<AccessControlEntry[]> {
    const key = patternKey(pattern);
    const next = update(this.resources.get(key)?.entries ?? []);
    const before = this.resources.get(key);
    if (next.length === 0) this.resources.delete(key);
    else this.resources.set(key, { pattern, entries: next });
    try {
      this.write();
    } catch (err) {
      if (before) this.resources.set(key, before);
      else this.resources.delete(key);
      return Promise.reject(err as Error);
    }
    return Promise.resolve(next);
  }

  onChange(): void {}

  close(): void {}

  private write(): void {
    const resources = [...this.resources.values()].map(({ pattern, entries }) => ({
      resourceType: resourceTypeCamel(pattern.resourceType),
      patternType: patternTypeName(pattern.patternType),
      name: pattern.name,
      acls: (JSON.parse(encodeAcls(entries)) as { acls: unknown }).acls,
    }));
    writeFileAtomically(this.file, `${JSON.stringify({ version: 1, resources }, null, 1)}\n`);
  }
}
