// The broker's authorization keys (authorizer.class.name, super.users,
// allow.everyone.if.no.acl.found), with Kafka's names and defaults. Spread into brokerConfigKeys.
// authorizer.class.name takes Kafka's class names for its ACL authorizer (the ZooKeeper-era
// AclAuthorizer and KRaft's StandardAuthorizer): both mean this broker's ACL authorizer, which
// stores ACLs in ZooKeeper with zookeeper.connect and in the data dir on a single node.
import { z } from 'zod/v3';
import { boolKey, type ConfigKey } from './config-def.js';

/** The authorizer class names this broker implements (Kafka's own ACL authorizers). */
export const ACL_AUTHORIZER_CLASSES = ['kafka.security.authorizer.AclAuthorizer', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'] as const;

const authorizerClassKey: ConfigKey<string, 'authorizer.class.name'> = {
  name: 'authorizer.class.name',
  type: 'string',
  defaultValue: '',
  schema: z.string().refine((v) => v === '' || (ACL_AUTHORIZER_CLASSES as readonly string[]).includes(v)),
  expected: `Value must be empty (no authorization) or one of ${ACL_AUTHORIZER_CLASSES.join(', ')}; other authorizer classes are not supported`,
  doc: 'The authorizer: empty for none (every request allowed), or Kafka\'s ACL authorizer class.',
};

/** super.users: Kafka splits it on semicolons ("User:admin;User:broker"). */
const superUsersKey: ConfigKey<string, 'super.users'> = {
  name: 'super.users',
  type: 'string',
  defaultValue: '',
  schema: z.string().refine((v) =>
    v
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .every((s) => s.indexOf(':') > 0),
  ),
  expected: 'Value must be a semicolon-separated list of principals such as User:admin;User:broker',
  doc: 'Principals allowed everything, separated by semicolons.',
};

export const authorizerConfigKeys = [
  authorizerClassKey,
  superUsersKey,
  boolKey('allow.everyone.if.no.acl.found', false, { doc: 'Allow a request on a resource no ACL applies to.' }),
] as const satisfies readonly ConfigKey[];

/** super.users as principal texts. */
export function parseSuperUsers(value: string): string[] {
  return value
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
