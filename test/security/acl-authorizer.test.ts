// Tests for src/security/acl: Kafka's matching rules over the real AclAuthorizer and its
// single-node file store (a temp dir): no ACL means denied unless allow.everyone.if.no.acl.found,
// super.users, LITERAL / wildcard / PREFIXED patterns, DENY wins, User:* and hosts, the
// DESCRIBE and DESCRIBE_CONFIGS implications, ALL, authorizeByResourceType (KIP-679), the
// filters of DescribeAcls/DeleteAcls (ANY, MATCH), and ACLs surviving a restart. Also the
// authorizer.* config keys.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { ConfigError } from '../../src/config/config-def.js';
import { parseSuperUsers } from '../../src/config/authorizer-keys.js';
import { userPrincipal } from '../../src/security/principal.js';
import { AclAuthorizer, hostOf } from '../../src/security/acl/authorizer.js';
import { ACL_FILE, LocalAclStore } from '../../src/security/acl/local-acl-store.js';
import {
  AclOperation as Op,
  AclPermissionType as Perm,
  PatternType,
  ResourceType as RT,
  bindingFilterMatches,
  entryText,
  patternText,
  type AclBinding,
  type AclOperation,
  type AclPermissionType,
  type PatternType as PT,
  type ResourceType,
} from '../../src/protocol/acl.js';
import { decodeAcls, encodeAcls } from '../../src/security/acl/acl-json.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

async function authorizer(options: { superUsers?: string[]; allowEveryone?: boolean; dir?: string } = {}): Promise<{ a: AclAuthorizer; dir: string }> {
  const dir = options.dir ?? tempDir('tidelog-acl-');
  if (!options.dir) dirs.push(dir);
  const a = await AclAuthorizer.start(new LocalAclStore(dir), { superUsers: options.superUsers ?? [], allowEveryoneIfNoAclFound: options.allowEveryone ?? false }, silentLogger());
  return { a, dir };
}

function acl(resourceType: ResourceType, name: string, principal: string, operation: AclOperation, permissionType: AclPermissionType = Perm.ALLOW, patternType: PT = PatternType.LITERAL, host = '*'): AclBinding {
  return { pattern: { resourceType, name, patternType }, entry: { principal, host, operation, permissionType } };
}

async function add(a: AclAuthorizer, ...bindings: AclBinding[]): Promise<void> {
  const results = await a.createAcls(bindings);
  assert.deepEqual(results.map((r) => r.error), bindings.map(() => null));
}

const alice = userPrincipal('alice');
const bob = userPrincipal('bob');
const HOST = '127.0.0.1';

describe('AclAuthorizer decisions', () => {
  it('denies when no ACL applies, unless allow.everyone.if.no.acl.found', async () => {
    const { a } = await authorizer();
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.TOPIC, 't'), false);
    const open = (await authorizer({ allowEveryone: true })).a;
    assert.equal(open.authorize(alice, HOST, Op.READ, RT.TOPIC, 't'), true);
    // Once some ACL applies to the resource, the flag no longer decides.
    await add(open, acl(RT.TOPIC, 't', 'User:bob', Op.READ));
    assert.equal(open.authorize(alice, HOST, Op.READ, RT.TOPIC, 't'), false);
    assert.equal(open.authorize(bob, HOST, Op.READ, RT.TOPIC, 't'), true);
    assert.equal(open.authorize(alice, HOST, Op.READ, RT.TOPIC, 'other'), true);
  });

  it('lets super users do anything', async () => {
    const { a } = await authorizer({ superUsers: parseSuperUsers('User:admin; User:broker') });
    assert.equal(a.authorize(userPrincipal('admin'), HOST, Op.ALTER, RT.CLUSTER, 'kafka-cluster'), true);
    assert.equal(a.authorize(userPrincipal('broker'), HOST, Op.CLUSTER_ACTION, RT.CLUSTER, 'kafka-cluster'), true);
    assert.equal(a.authorize(alice, HOST, Op.DESCRIBE, RT.CLUSTER, 'kafka-cluster'), false);
  });

  it('matches LITERAL names exactly, the "*" wildcard for every name, and PREFIXED by prefix', async () => {
    const { a } = await authorizer();
    await add(a, acl(RT.TOPIC, 'orders', 'User:alice', Op.READ), acl(RT.GROUP, '*', 'User:alice', Op.READ), acl(RT.TOPIC, 'logs-', 'User:alice', Op.WRITE, Perm.ALLOW, PatternType.PREFIXED));
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.TOPIC, 'orders'), true);
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.TOPIC, 'orders2'), false);
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.GROUP, 'any-group'), true);
    assert.equal(a.authorize(alice, HOST, Op.WRITE, RT.TOPIC, 'logs-app'), true);
    assert.equal(a.authorize(alice, HOST, Op.WRITE, RT.TOPIC, 'logs-'), true);
    assert.equal(a.authorize(alice, HOST, Op.WRITE, RT.TOPIC, 'log'), false);
    // Patterns are per resource type: the GROUP wildcard says nothing about topics.
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.TOPIC, 'any-group'), false);
    assert.equal(a.authorize(bob, HOST, Op.WRITE, RT.TOPIC, 'logs-app'), false);
  });

  it('lets a DENY win over any ALLOW: literal, prefixed or wildcard, for the principal or User:*', async () => {
    const { a } = await authorizer();
    await add(a, acl(RT.TOPIC, 'p-', 'User:*', Op.ALL, Perm.ALLOW, PatternType.PREFIXED), acl(RT.TOPIC, 'p-secret', 'User:alice', Op.READ, Perm.DENY));
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.TOPIC, 'p-open'), true);
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.TOPIC, 'p-secret'), false);
    assert.equal(a.authorize(bob, HOST, Op.READ, RT.TOPIC, 'p-secret'), true);
    assert.equal(a.authorize(alice, HOST, Op.WRITE, RT.TOPIC, 'p-secret'), true);
    await add(a, acl(RT.TOPIC, '*', 'User:*', Op.ALL, Perm.DENY));
    assert.equal(a.authorize(bob, HOST, Op.READ, RT.TOPIC, 'p-open'), false);
  });

  it('prints client addresses as Java\'s InetAddress does, which is what ACL hosts are compared with', () => {
    assert.equal(hostOf('127.0.0.1'), '127.0.0.1');
    assert.equal(hostOf('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(hostOf('::1'), '0:0:0:0:0:0:0:1');
    assert.equal(hostOf('fe80::1%eth0'), 'fe80:0:0:0:0:0:0:1%eth0');
    assert.equal(hostOf('2001:db8:0:0:1::0a'), '2001:db8:0:0:1:0:0:a');
    assert.equal(hostOf('::'), '0:0:0:0:0:0:0:0');
  });

  it('matches hosts: "*" or the exact address (an IPv4-mapped IPv6 address is its IPv4 one)', async () => {
    const { a } = await authorizer();
    await add(a, acl(RT.TOPIC, 't', 'User:alice', Op.READ, Perm.ALLOW, PatternType.LITERAL, '10.0.0.1'));
    assert.equal(a.authorize(alice, '10.0.0.1', Op.READ, RT.TOPIC, 't'), true);
    assert.equal(a.authorize(alice, '::ffff:10.0.0.1', Op.READ, RT.TOPIC, 't'), true);
    assert.equal(a.authorize(alice, '10.0.0.2', Op.READ, RT.TOPIC, 't'), false);
    await add(a, acl(RT.TOPIC, 't', 'User:alice', Op.READ, Perm.DENY, PatternType.LITERAL, '10.0.0.1'));
    assert.equal(a.authorize(alice, '10.0.0.1', Op.READ, RT.TOPIC, 't'), false);
  });

  it('allows DESCRIBE through READ, WRITE, DELETE or ALTER, and DESCRIBE_CONFIGS through ALTER_CONFIGS; DENY has no implications', async () => {
    const { a } = await authorizer();
    for (const [i, op] of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER].entries()) {
      await add(a, acl(RT.TOPIC, `t${i}`, 'User:alice', op));
      assert.equal(a.authorize(alice, HOST, Op.DESCRIBE, RT.TOPIC, `t${i}`), true, `DESCRIBE through ${op}`);
    }
    await add(a, acl(RT.TOPIC, 'c', 'User:alice', Op.CREATE));
    assert.equal(a.authorize(alice, HOST, Op.DESCRIBE, RT.TOPIC, 'c'), false, 'CREATE does not imply DESCRIBE');
    await add(a, acl(RT.TOPIC, 'cfg', 'User:alice', Op.ALTER_CONFIGS));
    assert.equal(a.authorize(alice, HOST, Op.DESCRIBE_CONFIGS, RT.TOPIC, 'cfg'), true);
    assert.equal(a.authorize(alice, HOST, Op.DESCRIBE, RT.TOPIC, 'cfg'), false);
    // A DENY on READ does not take away the DESCRIBE that WRITE gives.
    await add(a, acl(RT.TOPIC, 'w', 'User:alice', Op.WRITE), acl(RT.TOPIC, 'w', 'User:alice', Op.READ, Perm.DENY));
    assert.equal(a.authorize(alice, HOST, Op.DESCRIBE, RT.TOPIC, 'w'), true);
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.TOPIC, 'w'), false);
    // ...but a DENY on DESCRIBE does.
    await add(a, acl(RT.TOPIC, 'w', 'User:alice', Op.DESCRIBE, Perm.DENY));
    assert.equal(a.authorize(alice, HOST, Op.DESCRIBE, RT.TOPIC, 'w'), false);
  });

  it('treats ALL as every operation, for ALLOW and DENY', async () => {
    const { a } = await authorizer();
    await add(a, acl(RT.GROUP, 'g', 'User:alice', Op.ALL));
    for (const op of [Op.READ, Op.DESCRIBE, Op.DELETE]) assert.equal(a.authorize(alice, HOST, op, RT.GROUP, 'g'), true);
    await add(a, acl(RT.GROUP, 'g', 'User:alice', Op.ALL, Perm.DENY));
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.GROUP, 'g'), false);
  });

  it('answers authorizeByResourceType as Kafka: an ALLOW somewhere not taken back by a DENY', async () => {
    const { a } = await authorizer();
    assert.equal(a.authorizeByResourceType(alice, HOST, Op.WRITE, RT.TOPIC), false);
    await add(a, acl(RT.TOPIC, 'only', 'User:alice', Op.WRITE));
    assert.equal(a.authorizeByResourceType(alice, HOST, Op.WRITE, RT.TOPIC), true);
    assert.equal(a.authorizeByResourceType(bob, HOST, Op.WRITE, RT.TOPIC), false);
    await add(a, acl(RT.TOPIC, 'on', 'User:alice', Op.WRITE, Perm.DENY, PatternType.PREFIXED));
    assert.equal(a.authorizeByResourceType(alice, HOST, Op.WRITE, RT.TOPIC), false, 'the prefix "on" denies "only"');
    await add(a, acl(RT.TOPIC, 'x-', 'User:alice', Op.ALL, Perm.ALLOW, PatternType.PREFIXED));
    assert.equal(a.authorizeByResourceType(alice, HOST, Op.WRITE, RT.TOPIC), true);
    await add(a, acl(RT.TOPIC, '*', 'User:alice', Op.WRITE, Perm.DENY));
    assert.equal(a.authorizeByResourceType(alice, HOST, Op.WRITE, RT.TOPIC), false);
  });
});

describe('ACL administration', () => {
  it('describes with Kafka filter semantics: ANY, exact pattern types, and MATCH', async () => {
    const { a } = await authorizer();
    await add(a, acl(RT.TOPIC, 'orders', 'User:alice', Op.READ), acl(RT.TOPIC, '*', 'User:bob', Op.READ), acl(RT.TOPIC, 'ord', 'User:bob', Op.WRITE, Perm.ALLOW, PatternType.PREFIXED), acl(RT.GROUP, 'orders', 'User:alice', Op.READ));
    const names = (bindings: AclBinding[]) => bindings.map((b) => `${b.pattern.resourceType}/${b.pattern.patternType}/${b.pattern.name}`).sort();
    const any = { principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY };
    assert.equal(a.describe({ pattern: { resourceType: RT.ANY, name: null, patternType: PatternType.ANY }, entry: any }).length, 4);
    assert.deepEqual(names(a.describe({ pattern: { resourceType: RT.TOPIC, name: 'orders', patternType: PatternType.LITERAL }, entry: any })), ['2/3/orders']);
    assert.deepEqual(names(a.describe({ pattern: { resourceType: RT.TOPIC, name: 'orders', patternType: PatternType.ANY }, entry: any })), ['2/3/orders']);
    assert.deepEqual(names(a.describe({ pattern: { resourceType: RT.TOPIC, name: 'orders', patternType: PatternType.MATCH }, entry: any })), ['2/3/*', '2/3/orders', '2/4/ord']);
    assert.deepEqual(names(a.describe({ pattern: { resourceType: RT.ANY, name: null, patternType: PatternType.ANY }, entry: { ...any, principal: 'User:bob', operation: Op.WRITE } })), ['2/4/ord']);
  });

  it('deletes what the filters match, reports each deletion under every filter that matched it, and keeps the rest', async () => {
    const { a } = await authorizer();
    await add(a, acl(RT.TOPIC, 't', 'User:alice', Op.READ), acl(RT.TOPIC, 't', 'User:bob', Op.READ), acl(RT.TOPIC, 'u', 'User:alice', Op.READ));
    const [byPrincipal, byTopic] = await a.deleteAcls([
      { pattern: { resourceType: RT.TOPIC, name: null, patternType: PatternType.ANY }, entry: { principal: 'User:alice', host: null, operation: Op.ANY, permissionType: Perm.ANY } },
      { pattern: { resourceType: RT.TOPIC, name: 't', patternType: PatternType.LITERAL }, entry: { principal: null, host: null, operation: Op.READ, permissionType: Perm.ALLOW } },
    ]);
    assert.equal(byPrincipal!.deleted.length, 2);
    assert.equal(byTopic!.deleted.length, 2);
    assert.equal([...a.bindings()].length, 0);
    assert.equal(a.authorize(alice, HOST, Op.READ, RT.TOPIC, 't'), false);
  });

  it('refuses invalid bindings with Kafka messages and creates the valid ones of the same request', async () => {
    const { a } = await authorizer();
    const results = await a.createAcls([
      acl(RT.CLUSTER, 'not-the-cluster', 'User:alice', Op.ALTER),
      acl(RT.TOPIC, 't', 'alice', Op.READ),
      acl(RT.TOPIC, 't', 'User:alice', Op.ANY),
      acl(RT.TOPIC, 't', 'User:alice', Op.READ, Perm.ALLOW, PatternType.MATCH),
      acl(RT.TOPIC, 't', 'User:alice', Op.READ),
    ]);
    assert.equal(results[0]!.error?.message, 'The only valid name for the CLUSTER resource is kafka-cluster');
    assert.match(results[1]!.error?.message ?? '', /Could not parse principal/);
    assert.equal(results[2]!.error?.code, 'INVALID_REQUEST');
    assert.equal(results[3]!.error?.code, 'INVALID_REQUEST');
    assert.equal(results[4]!.error, null);
    assert.equal([...a.bindings()].length, 1);
  });

  it('keeps ACLs across a restart in the data dir, in Kafka\'s ACL JSON', async () => {
    const { a, dir } = await authorizer();
    await add(a, acl(RT.TOPIC, 'kept', 'User:alice', Op.READ), acl(RT.TRANSACTIONAL_ID, 'tx-', 'User:alice', Op.WRITE, Perm.DENY, PatternType.PREFIXED));
    const text = readFileSync(path.join(dir, ACL_FILE), 'utf8');
    assert.match(text, /"operation": "Read"/);
    assert.match(text, /"permissionType": "Deny"/);
    const again = (await authorizer({ dir })).a;
    assert.equal(again.authorize(alice, HOST, Op.READ, RT.TOPIC, 'kept'), true);
    assert.equal([...again.bindings()].length, 2);
  });

  it('encodes a znode as Kafka does and reads it back', () => {
    const entries = [{ principal: 'User:alice', host: '*', operation: Op.IDEMPOTENT_WRITE, permissionType: Perm.ALLOW }] as const;
    assert.equal(encodeAcls(entries), '{"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"IdempotentWrite","host":"*"}]}');
    assert.deepEqual(decodeAcls(encodeAcls(entries)), entries);
  });

  it('prints patterns and entries as Kafka\'s toString', () => {
    const b = acl(RT.TOPIC, 't', 'User:alice', Op.READ);
    assert.equal(patternText(b.pattern), 'ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL)');
    assert.equal(entryText(b.entry), '(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)');
    assert.equal(bindingFilterMatches({ pattern: { resourceType: RT.ANY, name: null, patternType: PatternType.ANY }, entry: { principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY } }, b), true);
  });
});

describe('authorizer config keys', () => {
  const build = (entries: Record<string, string>) => buildBrokerConfig(new Map(Object.entries(entries)));
  it('takes Kafka\'s ACL authorizer class names, empty for none, and refuses others naming the key', () => {
    assert.equal(build({}).values['authorizer.class.name'], '');
    assert.equal(build({ 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer' }).values['authorizer.class.name'], 'kafka.security.authorizer.AclAuthorizer');
    assert.equal(build({ 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' }).values['authorizer.class.name'], 'org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    assert.throws(() => build({ 'authorizer.class.name': 'com.example.MyAuthorizer' }), (err: unknown) => err instanceof ConfigError && /authorizer\.class\.name/.test(err.message) && /com\.example\.MyAuthorizer/.test(err.message));
  });

  it('reads super.users separated by semicolons and allow.everyone.if.no.acl.found (default false)', () => {
    const c = build({ 'super.users': 'User:admin;User:broker' });
    assert.deepEqual(parseSuperUsers(c.values['super.users']), ['User:admin', 'User:broker']);
    assert.equal(c.values['allow.everyone.if.no.acl.found'], false);
    assert.throws(() => build({ 'super.users': 'admin' }), /super\.users/);
  });
});
