// `tidelog configs --entity-type users`: SCRAM users as kafka-configs.sh manages them.
//   --bootstrap-server: AlterUserScramCredentials / DescribeUserScramCredentials (KIP-554, what
//     Kafka's tool does since 2.7 and in KRaft mode); with --command-config for a secured listener.
//   --zookeeper: writes /config/users/<user> and the change notification directly, as Kafka's
//     tool did in ZooKeeper mode. This is how the first SCRAM user of a ZooKeeper cluster is
//     made before any broker (or listener) accepts it.
// The password is turned into salt, StoredKey and ServerKey on this side: it is never sent in
// clear nor stored (the broker receives the salted password only).
import { ErrorCode } from '../protocol/errors.js';
import type { KafkaClient } from '../client/kafka-client.js';
import { alterUserScramCredentials, describeUserScramCredentials, type ScramDeletion, type ScramMechanismName, type ScramUpsert } from '../client/scram-admin.js';
import { ZkClient } from '../cluster/zk-client.js';
import { silentLogger } from '../logger.js';
import { credentialFromString, credentialToString, newScramCredential, scramMechanism, SCRAM_DEFAULT_ITERATIONS, SCRAM_MAX_ITERATIONS } from '../security/sasl/scram.js';
import { desanitize } from '../cluster/sanitizer.js';
import { readUserConfigFromZk, USERS_PATH, writeUserConfigToZk } from '../security/sasl/zk-user-configs.js';
import { kafkaError, out, parseKeyValues } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const MECHANISMS: readonly ScramMechanismName[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface UsersFlags {
  readonly describe: boolean;
  readonly entityName: string | undefined;
  readonly addConfig: readonly string[] | undefined;
  readonly deleteConfig: readonly string[] | undefined;
}

interface Changes {
  readonly upserts: ScramUpsert[];
  readonly deletions: ScramDeletion[];
}

/** Parses --add-config 'SCRAM-SHA-256=[iterations=8192,password=secret]' and --delete-config SCRAM-SHA-512. */
function parseChanges(user: string, flags: UsersFlags): Changes {
  const set = parseKeyValues(flags.addConfig, '--add-config', true);
  const del = (flags.deleteConfig ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
  if (Object.keys(set).length === 0 && del.length === 0) throw new UsageError('--alter needs --add-config and/or --delete-config');
  const upserts: ScramUpsert[] = [];
  for (const [key, value] of Object.entries(set)) {
    if (!(MECHANISMS as readonly string[]).includes(key)) throw new UsageError(`--add-config ${key}: only SCRAM credentials (${MECHANISMS.join(', ')}) can be set on users here`);
    const props = new Map<string, string>();
    for (const part of value.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new UsageError(`--add-config ${key}: expected [iterations=N,password=SECRET], got a part without '='`);
      props.set(part.slice(0, eq).trim(), part.slice(eq + 1));
    }
    const password = props.get('password');
    if (password === undefined || password.length === 0) throw new UsageError(`--add-config ${key}: password=... is required`);
    for (const k of props.keys()) if (k !== 'password' && k !== 'iterations') throw new UsageError(`--add-config ${key}: unknown credential property ${k} (iterations, password)`);
    const iterationsText = props.get('iterations');
    const iterations = iterationsText === undefined ? SCRAM_DEFAULT_ITERATIONS : Number(iterationsText);
    if (!Number.isInteger(iterations)) throw new UsageError(`--add-config ${key}: iterations must be an integer`);
    upserts.push({ user, mechanism: key as ScramMechanismName, iterations, password });
  }
  const deletions: ScramDeletion[] = [];
  for (const key of del) {
    if (!(MECHANISMS as readonly string[]).includes(key)) throw new UsageError(`--delete-config ${key}: only SCRAM credentials (${MECHANISMS.join(', ')}) can be deleted on users here`);
    if (key in set) throw new UsageError(`config ${key} is both added and deleted`);
    deletions.push({ user, mechanism: key as ScramMechanismName });
  }
  return { upserts, deletions };
}

function describeLine(user: string, credentials: readonly { mechanism: string; iterations: number }[]): string {
  return `SCRAM credential configs for user-principal '${user}' are ${credentials.map((c) => `${c.mechanism}=iterations=${c.iterations}`).join(', ')}\n`;
}

/** Over the Kafka protocol (--bootstrap-server). */
export async function runUsersOverKafka(client: KafkaClient, flags: UsersFlags): Promise<number> {
  if (flags.describe) {
    const r = await describeUserScramCredentials(client, flags.entityName === undefined ? null : [flags.entityName]);
    if (r.errorCode !== ErrorCode.NONE) throw kafkaError('cannot describe users', r.errorCode, r.errorMessage);
    let text = '';
    for (const u of r.users) {
      if (u.errorCode === ErrorCode.RESOURCE_NOT_FOUND && flags.entityName !== undefined) continue;
      if (u.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot describe user ${u.user}`, u.errorCode, u.errorMessage);
      text += describeLine(u.user, u.credentials);
    }
    await out(text);
    return 0;
  }
  const user = requireUser(flags);
  const changes = parseChanges(user, flags);
  const results = await alterUserScramCredentials(client, changes.upserts, changes.deletions);
  for (const r of results) if (r.errorCode !== ErrorCode.NONE) throw kafkaError(`cannot alter user ${r.user}`, r.errorCode, r.errorMessage);
  await out(`Completed updating config for user ${user}.\n`);
  return 0;
}

function requireUser(flags: UsersFlags): string {
  if (flags.entityName === undefined || flags.entityName.length === 0) throw new UsageError('--entity-name is required with --alter');
  return flags.entityName;
}

/** Straight into ZooKeeper (--zookeeper), with the broker's own checks done here. */
export async function runUsersOverZooKeeper(connect: string, flags: UsersFlags): Promise<number> {
  let zk: ZkClient;
  try {
    zk = await ZkClient.connect({ connect, sessionTimeoutMs: 10_000, connectionTimeoutMs: 10_000, logger: silentLogger() });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  try {
    if (flags.describe) {
      const names = flags.entityName !== undefined ? [flags.entityName] : ((await zk.getChildren(USERS_PATH)) ?? []).map(desanitize).sort();
      let text = '';
      for (const user of names) {
        const configs = await readUserConfigFromZk(zk, user);
        const credentials = MECHANISMS.flatMap((m) => (configs[m] === undefined ? [] : [{ mechanism: m, iterations: credentialFromString(configs[m]).iterations }]));
        if (credentials.length > 0) text += describeLine(user, credentials);
      }
      await out(text);
      return 0;
    }
    const user = requireUser(flags);
    const changes = parseChanges(user, flags);
    const configs = await readUserConfigFromZk(zk, user);
    for (const d of changes.deletions) {
      if (configs[d.mechanism] === undefined) throw new CliError(`cannot alter user ${user}: Attempt to delete a user credential that does not exist`);
      delete configs[d.mechanism];
    }
    for (const u of changes.upserts) {
      const m = scramMechanism(u.mechanism)!;
      if (u.iterations < m.minIterations) throw new CliError(`cannot alter user ${user}: Too few iterations`);
      if (u.iterations > SCRAM_MAX_ITERATIONS) throw new CliError(`cannot alter user ${user}: Too many iterations`);
      configs[u.mechanism] = credentialToString(newScramCredential(m, u.password, u.iterations));
    }
    await writeUserConfigToZk(zk, user, configs);
    await out(`Completed updating config for user ${user}.\n`);
    return 0;
  } finally {
    zk.close();
  }
}
