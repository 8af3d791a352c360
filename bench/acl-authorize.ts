// Microbenchmark of one authorization check as the handlers make it (handlers/authorize.ts):
// without an authorizer (authorizer.class.name empty: the cost the produce and fetch paths pay
// per topic or partition) and with the ACL authorizer holding 1101 ACLs, 100 of them PREFIXED.
// Prints nanoseconds per check. Run: npm run build:ts && node dist/bench/acl-authorize.js
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authorize } from '../src/broker/handlers/authorize.js';
import type { RequestContext } from '../src/broker/handlers/handler.js';
import { silentLogger } from '../src/logger.js';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding } from '../src/protocol/acl.js';
import { AclAuthorizer } from '../src/security/acl/authorizer.js';
import { LocalAclStore } from '../src/security/acl/local-acl-store.js';

const WARMUP_CHECKS = 1_000_000;
const CHECKS = 5_000_000;

function contextWith(authorizer: AclAuthorizer | null): RequestContext {
  return { services: { authorizer }, connection: { principal: { principalType: 'User', name: 'alice' }, remoteAddress: '127.0.0.1' } } as unknown as RequestContext;
}

function measure(label: string, ctx: RequestContext): void {
  let allowed = 0;
  for (let i = 0; i < WARMUP_CHECKS; i++) if (authorize(ctx, AclOperation.WRITE, ResourceType.TOPIC, 'orders')) allowed++;
  const started = process.hrtime.bigint();
  for (let i = 0; i < CHECKS; i++) if (authorize(ctx, AclOperation.WRITE, ResourceType.TOPIC, 'orders')) allowed++;
  const ns = Number(process.hrtime.bigint() - started) / CHECKS;
  console.log(`${label.padEnd(44)} ${ns.toFixed(1)} ns per check (${allowed} allowed)`);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-acl-bench-'));
try {
  measure('no authorizer', contextWith(null));
  const authorizer = await AclAuthorizer.start(new LocalAclStore(dir), { superUsers: [], allowEveryoneIfNoAclFound: false }, silentLogger());
  const bindings: AclBinding[] = [];
  const allow = (name: string, patternType: PatternType, principal: string, operation: AclOperation): AclBinding => ({ pattern: { resourceType: ResourceType.TOPIC, name, patternType }, entry: { principal, host: '*', operation, permissionType: AclPermissionType.ALLOW } });
  for (let i = 0; i < 1000; i++) bindings.push(allow(`topic-${i}`, PatternType.LITERAL, `User:u${i % 50}`, AclOperation.READ));
  for (let i = 0; i < 100; i++) bindings.push(allow(`prefix-${i}-`, PatternType.PREFIXED, `User:u${i}`, AclOperation.WRITE));
  bindings.push(allow('orders', PatternType.LITERAL, 'User:alice', AclOperation.WRITE));
  await authorizer.createAcls(bindings);
  measure('ACL authorizer, 1101 ACLs (100 PREFIXED)', contextWith(authorizer));
  authorizer.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
