// The broker's authorization keys (authorizer.class.name, super.users,
// allow.everyone.if.no.acl.found). Spread into brokerConfigKeys.
import type { ConfigKey } from './config-def.js';

export const authorizerConfigKeys = [] as const satisfies readonly ConfigKey[];
