// `tidelog share-groups`: Kafka's kafka-share-groups.sh (ShareGroupCommand, Kafka 4.4) over
// the Kafka protocol: list share groups (ListGroups v5, type "share"), describe one
// (ShareGroupDescribe; DescribeShareGroupOffsets for START-OFFSET and LAG; --members, --state,
// --verbose), reset the start offsets of an empty group (AlterShareGroupOffsets; the plan
// unless --execute), delete groups (DeleteGroups) and a group's offsets of some topics
// (DeleteShareGroupOffsets). Output as Kafka's tool prints it.
import { ApiKey } from '../protocol/generated/index.js';
import { ErrorCode, errorName, isRetriable } from '../protocol/errors.js';
import { KafkaClientError, type KafkaClient } from '../client/kafka-client.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, intFlag, out, parseFlags } from './common.js';
import { CliError, UsageError } from './usage-error.js';
import { parseDatetime } from './consumer-groups-command.js';
import { describeShareGroup, listShareGroups, shareGroupOffsets } from '../client/share-group-admin.js';

const HELP = `Usage: tidelog share-groups --bootstrap-server HOST:PORT ACTION [options]

List, describe, reset and delete share groups (KIP-932), as kafka-share-groups.sh.

Actions (exactly one):
  --list                        Share group ids (with --state [S,S...]: and their states)
  --describe --group ID         Per share-partition: START-OFFSET and LAG (--verbose adds
                                LEADER-EPOCH); --members: one line per member; --state: the
                                group's coordinator, state and member count
  --reset-offsets --group ID    Set the start offsets of an empty group; prints the plan,
                                applies it only with --execute
  --delete --group ID           Delete share groups without members (--group is repeatable)
  --delete-offsets --group ID --topic T
                                Delete the group's offsets of topics (--topic is repeatable)

Reset options:
  --topic T | T:P,P,...          The topic (or some of its partitions)
  --all-topics                   Every topic the group has offsets for
  --to-earliest | --to-latest | --to-offset N | --to-datetime YYYY-MM-DDTHH:mm:SS.sss[Z|+hh:mm]
  --dry-run | --execute          Show the plan (default) or apply it
${CONNECTION_HELP}

Examples:
  tidelog share-groups --bootstrap-server 127.0.0.1:9092 --describe --group jobs --members
  tidelog share-groups --bootstrap-server 127.0.0.1:9092 --reset-offsets --group jobs --topic orders --to-earliest --execute`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  list: { type: 'boolean' },
  describe: { type: 'boolean' },
  'reset-offsets': { type: 'boolean' },
  delete: { type: 'boolean' },
  'delete-offsets': { type: 'boolean' },
  group: { type: 'string', multiple: true },
  'all-groups': { type: 'boolean' },
  members: { type: 'boolean' },
  offsets: { type: 'boolean' },
  state: { type: 'boolean' },
  verbose: { type: 'boolean' },
  topic: { type: 'string', multiple: true },
  'all-topics': { type: 'boolean' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-offset': { type: 'string' },
  'to-datetime': { type: 'string' },
  'dry-run': { type: 'boolean' },
  execute: { type: 'boolean' },
} as const;

export async function runShareGroups(args: string[]): Promise<number> {
  // `--list --state Stable,Empty`: Kafka's --state takes an optional value.
  const states: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    rest.push(args[i]!);
    if (args[i] === '--state' && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) states.push(...args[++i]!.split(',').map((s) => s.trim()));
  }
  const parsed = parseFlags(rest, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  const actions = (['list', 'describe', 'reset-offsets', 'delete', 'delete-offsets'] as const).filter((a) => v[a]);
  if (actions.length !== 1) throw new UsageError('Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets.');
  const action = actions[0]!;
  const groups = v.group ?? [];
  if (action !== 'list' && groups.length === 0 && !v['all-groups']) throw new UsageError(`--${action} needs --group ID`);
  const client = await connectClient(v, 'tidelog-share-groups');
  try {
    const all = v['all-groups'] ? (await listShareGroups(client)).map((g) => g.groupId) : groups;
    switch (action) {
      case 'list': {
        const listed = (await listShareGroups(client)).filter((g) => states.length === 0 || states.some((s) => s.toLowerCase() === g.state.toLowerCase()));
        if (v.state) {
          const w = Math.max(15, ...listed.map((g) => g.groupId.length));
          await out([`${'GROUP'.padEnd(w)} STATE`, ...listed.map((g) => `${g.groupId.padEnd(w)} ${g.state}`)].map((l) => `${l}\n`).join(''));
        } else {
          await out(listed.map((g) => `${g.groupId}\n`).join(''));
        }
        return 0;
      }
      case 'describe':
        for (const g of all) await describe(client, g, v.members ? 'members' : v.state ? 'state' : 'offsets', v.verbose ?? false);
        return 0;
      case 'reset-offsets':
        if (all.length !== 1) throw new UsageError('--reset-offsets takes one --group');
        return await resetOffsets(client, all[0]!, v);
      case 'delete':
        return await deleteGroups(client, all);
      case 'delete-offsets':
        if (all.length !== 1) throw new UsageError('--delete-offsets takes one --group');
        if (!v.topic) throw new UsageError('--delete-offsets needs --topic');
        return await deleteOffsets(client, all[0]!, v.topic);
    }
  } finally {
    client.close();
  }
}

async function describeGroup(client: KafkaClient, groupId: string) {
  try {
    const { conn, group } = await describeShareGroup(client, groupId);
    return { conn, g: group };
  } catch (err) {
    if (err instanceof KafkaClientError && err.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) throw new CliError(`Group ${groupId} not found.`);
    if (err instanceof KafkaClientError && err.errorCode !== undefined) throw new CliError(`cannot describe share group '${groupId}': ${errorName(err.errorCode)}`);
    throw err;
  }
}

const groupOffsets = shareGroupOffsets;

/** Kafka's printf rows: each column padded to max(min, widest cell); the last one not padded. */
function table(mins: readonly number[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = mins.map((m, i) => Math.max(m, ...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join(' ')).join('\n');
}

async function describe(client: KafkaClient, groupId: string, view: 'offsets' | 'members' | 'state', verbose: boolean): Promise<void> {
  const { conn, g } = await describeGroup(client, groupId);
  // Kafka's tool says so on standard error, for these two views only.
  if (view !== 'offsets' && g.members.length === 0) process.stderr.write(`\nShare group '${groupId}' has no active members.\n`);
  if (view === 'state') {
    const nodeId = client.knownBrokers().find((b) => `${b.host}:${b.port}` === conn.address)?.nodeId ?? -1;
    const header = ['GROUP', 'COORDINATOR (ID)', 'STATE', ...(verbose ? ['GROUP-EPOCH', 'ASSIGNMENT-EPOCH'] : []), '#MEMBERS'];
    const row = [groupId, `${conn.address}  (${nodeId})`, g.groupState, ...(verbose ? [g.groupEpoch, g.assignmentEpoch] : []), g.members.length];
    await out(`\n${table([15, 25, 15, ...(verbose ? [12, 17] : []), 0], [header, row])}\n`);
    return;
  }
  if (view === 'members') {
    if (g.members.length === 0) return;
    const header = ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', ...(verbose ? ['MEMBER-EPOCH'] : []), 'ASSIGNMENT'];
    const rows = g.members.map((m) => {
      const tps = m.assignment.topicPartitions;
      const assignment = tps.length === 0 ? '-' : tps.map((t) => `${t.topicName}:${[...t.partitions].sort((a, b) => a - b).join(',')}`).join(';');
      return [groupId, m.memberId, m.clientHost, m.clientId, tps.reduce((n, t) => n + t.partitions.length, 0), ...(verbose ? [m.memberEpoch] : []), assignment];
    });
    await out(`\n${table([15, 15, 15, 15, 12, ...(verbose ? [13] : []), 0], [header, ...rows])}\n`);
    return;
  }
  const offsets = await groupOffsets(client, groupId);
  if (offsets.length === 0) {
    await out(`\nShare group '${groupId}' has no offset information.\n`);
    return;
  }
  const header = ['GROUP', 'TOPIC', 'PARTITION', ...(verbose ? ['LEADER-EPOCH'] : []), 'START-OFFSET', 'LAG'];
  const dash = (n: number) => (n < 0 ? '-' : n);
  const rows = offsets.map((o) => [groupId, o.topic, o.partition, ...(verbose ? [dash(o.leaderEpoch)] : []), dash(o.startOffset), dash(o.lag)]);
  await out(`\n${table([15, 15, 10, 13, ...(verbose ? [13] : []), 0], [header, ...rows])}\n`);
}

type Flags = NonNullable<ReturnType<typeof parseFlags<typeof OPTIONS>>>['values'];

async function resetOffsets(client: KafkaClient, groupId: string, v: Flags): Promise<number> {
  const targets = (['to-earliest', 'to-latest', 'to-offset', 'to-datetime'] as const).filter((k) => v[k] !== undefined && v[k] !== false);
  if (targets.length !== 1) throw new UsageError('--reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime');
  if (v.execute && v['dry-run']) throw new UsageError('give --execute or --dry-run, not both');
  if (!v.topic && !v['all-topics']) throw new UsageError('--reset-offsets needs --topic or --all-topics');
  const toOffset = intFlag(v['to-offset'], '--to-offset', { min: 0 });
  const datetime = v['to-datetime'] !== undefined ? parseDatetime(v['to-datetime']) : undefined;
  const { g } = await describeGroup(client, groupId).catch((err: unknown) => {
    // A group that does not exist yet may be given offsets (Kafka creates it).
    if (err instanceof CliError && err.message.endsWith('not found.')) return { g: { groupState: 'Dead', members: [] } };
    throw err;
  });
  if (g.groupState !== 'Empty' && g.groupState !== 'Dead') throw new CliError(`Share group '${groupId}' is not empty.`);
  const partitions: { topic: string; partition: number }[] = [];
  if (v['all-topics']) for (const o of await groupOffsets(client, groupId)) partitions.push({ topic: o.topic, partition: o.partition });
  for (const spec of v.topic ?? []) {
    const [topic, list] = spec.split(':') as [string, string | undefined];
    const meta = await client.topic(topic).catch((err: unknown) => {
      if (err instanceof KafkaClientError) throw new CliError(`topic '${topic}' does not exist`);
      throw err;
    });
    const existing = meta.partitions.map((p) => p.partition);
    const wanted = list ? list.split(',').map((x) => intFlag(x, `--topic ${spec}`, { min: 0 })!) : existing;
    for (const p of wanted) {
      if (!existing.includes(p)) throw new CliError(`topic '${topic}' has no partition ${p}`);
      partitions.push({ topic, partition: p });
    }
  }
  const plan: { topic: string; partition: number; offset: number }[] = [];
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  for (const [topic, ps] of byTopic) {
    if (toOffset !== undefined) {
      for (const p of ps) plan.push({ topic, partition: p, offset: toOffset });
      continue;
    }
    const ts = v['to-earliest'] ? -2 : v['to-latest'] ? -1 : datetime!;
    const found = await client.listOffsets(topic, ps, ts);
    for (const p of ps) {
      const o = found.get(p);
      // A timestamp past the last record: the log end, as Kafka resets.
      const offset = o && o.offset >= 0 ? o.offset : (await client.listOffsets(topic, [p], -1)).get(p)?.offset ?? 0;
      plan.push({ topic, partition: p, offset });
    }
  }
  if (v.execute) {
    const conn = await client.coordinator(groupId);
    const topics = [...byTopic.keys()].map((topicName) => ({ topicName, partitions: plan.filter((p) => p.topic === topicName).map((p) => ({ partitionIndex: p.partition, startOffset: p.offset })) }));
    // Retriable errors (the state topic being created, a coordinator moving) are retried, as Kafka's Admin does.
    let res = await conn.send(ApiKey.AlterShareGroupOffsets, conn.version(ApiKey.AlterShareGroupOffsets, 0, 0, 'AlterShareGroupOffsets'), { groupId, topics });
    for (let attempt = 0; attempt < 20 && res.errorCode === ErrorCode.NONE && res.responses.some((t) => t.partitions.some((p) => isRetriable(p.errorCode))); attempt++) {
      await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
      res = await (await client.coordinator(groupId)).send(ApiKey.AlterShareGroupOffsets, 0, { groupId, topics });
    }
    if (res.errorCode === ErrorCode.NON_EMPTY_GROUP) throw new CliError(`Share group '${groupId}' is not empty.`);
    if (res.errorCode !== ErrorCode.NONE) throw new CliError(`cannot reset offsets of share group '${groupId}': ${errorName(res.errorCode)}`);
    const failed = res.responses.flatMap((t) => t.partitions.map((p) => ({ t: t.topicName, ...p }))).find((p) => p.errorCode !== ErrorCode.NONE);
    if (failed) throw new CliError(`cannot reset offsets of share group '${groupId}' for ${failed.t}-${failed.partitionIndex}: ${errorName(failed.errorCode)}`);
  }
  const rows = plan.map((p) => [groupId, p.topic, p.partition, p.offset]);
  await out(`\n${table([15, 15, 10, 0], [['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...rows])}\n`);
  return 0;
}

async function deleteGroups(client: KafkaClient, groups: readonly string[]): Promise<number> {
  const failures: string[] = [];
  for (const g of groups) {
    const code = await client.deleteGroup(g);
    if (code === ErrorCode.NON_EMPTY_GROUP) failures.push(`* Group '${g}' could not be deleted due to: Share group '${g}' is not EMPTY.`);
    else if (code === ErrorCode.GROUP_ID_NOT_FOUND) failures.push(`* Group '${g}' could not be deleted due to: Group '${g}' does not exist.`);
    else if (code !== ErrorCode.NONE) failures.push(`* Group '${g}' could not be deleted due to: ${errorName(code)}`);
  }
  if (failures.length > 0) throw new CliError(`Deletion of some share groups failed: ${failures.join(' ')}`);
  await out(`Deletion of requested share groups (${groups.map((g) => `'${g}'`).join(', ')}) was successful.\n`);
  return 0;
}

async function deleteOffsets(client: KafkaClient, groupId: string, topics: readonly string[]): Promise<number> {
  const conn = await client.coordinator(groupId);
  const res = await conn.send(ApiKey.DeleteShareGroupOffsets, conn.version(ApiKey.DeleteShareGroupOffsets, 0, 0, 'DeleteShareGroupOffsets'), { groupId, topics: topics.map((topicName) => ({ topicName })) });
  if (res.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) throw new CliError(`Group ${groupId} not found.`);
  if (res.errorCode === ErrorCode.NON_EMPTY_GROUP) throw new CliError(`Share group '${groupId}' is not empty.`);
  if (res.errorCode !== ErrorCode.NONE) throw new CliError(`cannot delete offsets of share group '${groupId}': ${errorName(res.errorCode)}`);
  const rows = res.responses.map((t) => [t.topicName, t.errorCode === ErrorCode.NONE ? 'Successful' : `Error: ${errorName(t.errorCode)}`]);
  await out(`\n${table([15, 0], [['TOPIC', 'STATUS'], ...rows])}\n`);
  return rows.every((r) => r[1] === 'Successful') ? 0 : 1;
}
