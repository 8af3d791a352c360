// `tidelog consumer-groups`: Kafka's kafka-consumer-groups.sh over the Kafka protocol:
// list groups, describe one with each partition's committed offset, log end offset and lag
// (and --members [--verbose] / --state views), reset offsets of an inactive group (plan by
// default, --execute to commit), delete groups, and delete a group's offsets of some topics
// (--delete-offsets, OffsetDelete).
import { ErrorCode, errorMessage, errorName } from '../protocol/errors.js';
import { KafkaClientError, type KafkaClient } from '../client/kafka-client.js';
import { GroupAdmin, type GroupDescription, type ResetTarget } from '../client/group-admin.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, intFlag, out, parseFlags } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog consumer-groups --bootstrap-server HOST:PORT ACTION [options]

List, describe, reset and delete consumer groups (as kafka-consumer-groups.sh).

Actions (exactly one):
  --list                        Group ids (with --state: and their states; with --type: and
                                their types, Classic or Consumer (KIP-848))
  --describe --group ID         Per partition: CURRENT-OFFSET, LOG-END-OFFSET, LAG and the member
                                (--members: one line per member, --verbose adds its ASSIGNMENT;
                                --state: the group's state)
  --reset-offsets --group ID    Reset committed offsets of an inactive group; prints the plan,
                                commits it only with --execute
  --delete --group ID           Delete groups without members (--group is repeatable)
  --delete-offsets --group ID --topic T[:P,P...]
                                Delete the group's committed offsets of topics it is not
                                subscribed to (--topic is repeatable)

Reset options:
  --topic T | T:P,P,...          The topic (or some of its partitions)
  --all-topics                   Every topic the group has committed offsets for
  --to-earliest | --to-latest | --to-offset N | --to-datetime YYYY-MM-DDTHH:mm:SS.sss[Z|+hh:mm]
  --shift-by N                   Move each committed offset by N (may be negative)
  --dry-run | --execute          Show the plan (default) or commit it
${CONNECTION_HELP}

Examples:
  tidelog consumer-groups --bootstrap-server 127.0.0.1:9092 --describe --group billing
  tidelog consumer-groups --bootstrap-server 127.0.0.1:9092 --reset-offsets --group billing --topic orders --to-earliest --execute`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  list: { type: 'boolean' },
  describe: { type: 'boolean' },
  'reset-offsets': { type: 'boolean' },
  delete: { type: 'boolean' },
  group: { type: 'string', multiple: true },
  'all-groups': { type: 'boolean' },
  members: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'delete-offsets': { type: 'boolean' },
  state: { type: 'boolean' },
  type: { type: 'boolean' },
  offsets: { type: 'boolean' },
  topic: { type: 'string', multiple: true },
  'all-topics': { type: 'boolean' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-current': { type: 'boolean' },
  'to-offset': { type: 'string' },
  'to-datetime': { type: 'string' },
  'shift-by': { type: 'string' },
  'dry-run': { type: 'boolean' },
  execute: { type: 'boolean' },
} as const;

export async function runConsumerGroups(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  const actions = (['list', 'describe', 'reset-offsets', 'delete', 'delete-offsets'] as const).filter((a) => v[a]);
  if (actions.length !== 1) throw new UsageError('give exactly one of --list, --describe, --reset-offsets, --delete, --delete-offsets');
  if (v.verbose && !(actions[0] === 'describe' && v.members)) throw new UsageError('--verbose goes with --describe --members');
  const action = actions[0]!;
  const groups = v.group ?? [];
  if (action !== 'list' && groups.length === 0 && !v['all-groups']) throw new UsageError(`--${action} needs --group ID`);
  const client = await connectClient(v, 'tidelog-consumer-groups');
  try {
    const all = v['all-groups'] ? (await client.listGroups()).map((g) => g.groupId) : groups;
    switch (action) {
      case 'list': {
        const listed = await client.listGroups();
        const typeName = (t: string) => (t === '' ? '' : t[0]!.toUpperCase() + t.slice(1));
        if (v.state && v.type) await out(`${kafkaTable([{ min: 25 }, { min: 20 }, { min: 20, padLast: true }], ['GROUP', 'TYPE', 'STATE'], listed.map((g) => [g.groupId, typeName(g.groupType), g.state]))}\n`);
        else if (v.type) await out(`${kafkaTable([{ min: 25 }, { min: 20, padLast: true }], ['GROUP', 'TYPE'], listed.map((g) => [g.groupId, typeName(g.groupType)]))}\n`);
        else if (v.state) await out(`${kafkaTable([{ min: 25 }, { min: 20, padLast: true }], ['GROUP', 'STATE'], listed.map((g) => [g.groupId, g.state]))}\n`);
        else await out(listed.map((g) => `${g.groupId}\n`).join(''));
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

async function describeOrFail(admin: GroupAdmin, groupId: string): Promise<GroupDescription> {
  let d: GroupDescription;
  try {
    d = await admin.describe(groupId);
  } catch (err) {
    if (err instanceof KafkaClientError && err.errorCode !== undefined) throw new CliError(`cannot describe group '${groupId}': ${errorName(err.errorCode)}`);
    throw err;
  }
  if (d.state === 'Dead') throw new CliError(`consumer group '${groupId}' does not exist`);
  return d;
}

async function describe(client: KafkaClient, groupId: string, view: 'offsets' | 'members' | 'state', verbose: boolean): Promise<void> {
  const admin = new GroupAdmin(client);
  const d = await describeOrFail(admin, groupId);
  const members = d.members;
  if (view === 'state') {
    const coordinator = await client.coordinator(groupId);
    const coordinatorText = `${coordinator.address}  (${coordinatorId(client, coordinator.address)})`;
    await out(`\n${kafkaTable([{ min: 15 }, { min: 25 }, { min: 20 }, { min: 20 }, {}], ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[groupId, coordinatorText, d.protocol || '-', d.state, members.length]])}\n`);
    return;
  }
  if (view === 'members') {
    if (members.length === 0) {
      await out(`\nConsumer group '${groupId}' has no active members.\n`);
      return;
    }
    const rows = members.map((m) => {
      const row: (string | number)[] = [groupId, m.memberId, m.clientHost, m.clientId, m.assignment.reduce((n, a) => n + a.partitions.length, 0)];
      // Kafka 4's --verbose: epochs and target assignment are the new consumer protocol's ('-' for a classic group).
      if (verbose) row.push(m.memberEpoch ?? '-', assignmentText(m.assignment), d.assignmentEpoch ?? '-', m.targetAssignment ? assignmentText(m.targetAssignment) : '-');
      return row;
    });
    const columns = [{ min: 15 }, { min: 15 }, { min: 15 }, { min: 15 }, { min: 15, padLast: true }];
    const header = ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'];
    if (verbose) {
      columns.push({ min: 15 }, { min: 20 }, { min: 15 }, { min: 20, padLast: true });
      header.push('CURRENT-EPOCH', 'CURRENT-ASSIGNMENT', 'TARGET-EPOCH', 'TARGET-ASSIGNMENT');
    }
    // Kafka's non-verbose format ends with "%-15s " (its verbose columns would follow the space).
    await out(`\n${kafkaTable(columns, header, rows, verbose ? '' : ' ')}\n`);
    return;
  }
  const offsets = await admin.offsets(d);
  let text = '\n';
  if (members.length === 0) text += `Consumer group '${groupId}' has no active members.\n\n`;
  const rows = offsets.map((o) => [
    groupId,
    o.topic,
    o.partition,
    o.committedOffset ?? '-',
    o.logEndOffset ?? '-',
    o.lag ?? '-',
    o.member?.memberId ?? '-',
    o.member?.clientHost ?? '-',
    o.member?.clientId ?? '-',
  ]);
  text += `${kafkaTable([{ min: 15 }, { min: 15 }, { min: 10 }, { min: 15 }, { min: 15 }, { min: 15 }, { min: 15 }, { min: 15 }, {}], ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows)}\n`;
  await out(text);
}

/**
 * Kafka's printf tables ("%-15s %-10s ..."): each column padded to the larger of its minimum
 * width and its widest cell, one space between columns; the last column is not padded unless
 * padLast (Kafka's formats that end in "%-20s"). `tail` is appended to every line.
 */
function kafkaTable(columns: readonly { min?: number; padLast?: boolean }[], header: readonly string[], rows: readonly (readonly (string | number)[])[], tail = ''): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = columns.map((c, i) => Math.max(c.min ?? 0, ...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((cell, i) => (i < r.length - 1 || columns[i]?.padLast ? cell.padEnd(widths[i]!) : cell)).join(' ') + tail)
    .join('\n');
}

/** Kafka 4's assignment text: topic:p,p per topic (partitions sorted as strings, as Kafka does), topics sorted, joined by ';'. */
function assignmentText(assignment: readonly { topic: string; partitions: readonly number[] }[]): string {
  const text = assignment.filter((a) => a.partitions.length > 0).map((a) => `${a.topic}:${a.partitions.map(String).sort().join(',')}`).sort().join(';');
  return text === '' ? '-' : text;
}

/** The node id of the coordinator at host:port, from the client's broker list ('-1' when unknown). */
function coordinatorId(client: KafkaClient, address: string): number {
  return client.knownBrokers().find((b) => `${b.host}:${b.port}` === address)?.nodeId ?? -1;
}

type Flags = NonNullable<ReturnType<typeof parseFlags<typeof OPTIONS>>>['values'];

/** --to-datetime as Kafka accepts it: YYYY-MM-DDTHH:mm:SS.sss, optionally with Z or an offset (local time without). */
export function parseDatetime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) throw new UsageError(`--to-datetime must look like 2024-01-31T23:59:59.000 (optionally with Z or +hh:mm), got '${s}'`);
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? '.000').padEnd(4, '0')}${m[8] ? m[8].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : ''}`);
  if (Number.isNaN(ms)) throw new UsageError(`--to-datetime '${s}' is not a valid date`);
  return ms;
}

async function resetOffsets(client: KafkaClient, groupId: string, v: Flags): Promise<number> {
  const targets = (['to-earliest', 'to-latest', 'to-current', 'to-offset', 'to-datetime', 'shift-by'] as const).filter((k) => v[k] !== undefined && v[k] !== false);
  if (targets.length !== 1) throw new UsageError('--reset-offsets needs exactly one of --to-earliest, --to-latest, --to-current, --to-offset, --to-datetime, --shift-by');
  if (v.execute && v['dry-run']) throw new UsageError('give --execute or --dry-run, not both');
  if (!v.topic && !v['all-topics']) throw new UsageError('--reset-offsets needs --topic or --all-topics');
  const toOffset = intFlag(v['to-offset'], '--to-offset', { min: 0 });
  const shiftBy = intFlag(v['shift-by'], '--shift-by');
  const datetime = v['to-datetime'] !== undefined ? parseDatetime(v['to-datetime']) : undefined;

  const admin = new GroupAdmin(client);
  const d = await admin.describe(groupId).catch((err: unknown) => {
    if (err instanceof KafkaClientError && err.errorCode !== undefined) throw new CliError(`cannot describe group '${groupId}': ${errorName(err.errorCode)}`);
    throw err;
  });
  if (d.state !== 'Empty' && d.state !== 'Dead') {
    throw new CliError(`assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${d.state}`);
  }
  const partitions: { topic: string; partition: number }[] = [];
  if (v['all-topics']) {
    for (const [topic, byPartition] of await admin.committed(groupId)) for (const p of byPartition.keys()) partitions.push({ topic, partition: p });
  }
  for (const spec of v.topic ?? []) {
    const [topic, list] = spec.split(':') as [string, string | undefined];
    const existing = await admin.partitionsOf(topic);
    const wanted = list ? list.split(',').map((x) => intFlag(x, `--topic ${spec}`, { min: 0 })!) : existing;
    for (const p of wanted) {
      if (!existing.includes(p)) throw new CliError(`topic '${topic}' has no partition ${p}`);
      partitions.push({ topic, partition: p });
    }
  }
  if (partitions.length === 0) throw new CliError(`group '${groupId}' has no committed offsets: name a --topic`);
  let target: ResetTarget;
  if (v['to-earliest']) target = { kind: 'earliest' };
  else if (v['to-latest']) target = { kind: 'latest' };
  else if (v['to-current']) target = { kind: 'current' };
  else if (toOffset !== undefined) target = { kind: 'offset', offset: toOffset };
  else if (shiftBy !== undefined) target = { kind: 'shift', by: shiftBy };
  else target = { kind: 'timestamp', timestampMs: datetime! };
  const plan = await admin.planReset(groupId, partitions, target);
  if (v.execute) {
    const results = await admin.commit(groupId, plan);
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed) {
      const why = failed.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ? 'the group got members meanwhile (it must be inactive)' : errorName(failed.errorCode);
      throw new CliError(`cannot reset offsets of group '${groupId}': ${why}`);
    }
  } else {
    process.stderr.write('WARN: No action will be performed as the --execute option is missing. Showing the plan only.\n');
  }
  await out(`\n${kafkaTable([{ min: 15 }, { min: 15 }, { min: 10 }, {}], ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((p) => [groupId, p.topic, p.partition, p.newOffset]))}\n`);
  return 0;
}

async function deleteGroups(client: KafkaClient, groups: readonly string[]): Promise<number> {
  for (const g of groups) {
    const code = await client.deleteGroup(g);
    if (code === ErrorCode.GROUP_ID_NOT_FOUND) throw new CliError(`consumer group '${g}' does not exist`);
    if (code === ErrorCode.NON_EMPTY_GROUP) throw new CliError(`consumer group '${g}' is not empty: stop its consumers first`);
    if (code !== ErrorCode.NONE) throw new CliError(`cannot delete group '${g}': ${errorName(code)}`);
  }
  await out(`Deletion of requested consumer groups (${groups.map((g) => `'${g}'`).join(', ')}) was successful.\n`);
  return 0;
}

/**
 * --delete-offsets: Kafka's output, a first line for the request and a TOPIC PARTITION STATUS
 * table ('-' as the partition of a topic that does not exist). A group-level error is one
 * line on stderr; a partition that failed makes the status 1.
 */
async function deleteOffsets(client: KafkaClient, groupId: string, topics: readonly string[]): Promise<number> {
  const admin = new GroupAdmin(client);
  const partitions: { topic: string; partition: number }[] = [];
  const rows: { topic: string; partition: number | '-'; status: string }[] = [];
  for (const spec of topics) {
    const [topic, list] = spec.split(':') as [string, string | undefined];
    if (list) {
      for (const x of list.split(',')) partitions.push({ topic, partition: intFlag(x, `--topic ${spec}`, { min: 0 })! });
      continue;
    }
    try {
      for (const p of await admin.partitionsOf(topic)) partitions.push({ topic, partition: p });
    } catch (err) {
      if (!(err instanceof KafkaClientError) || err.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw err;
      rows.push({ topic, partition: '-', status: `Error: ${errorName(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)}: ${errorMessage(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)}` });
    }
  }
  if (partitions.length > 0) {
    const answer = await client.deleteOffsets(groupId, partitions);
    if (answer.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) throw new CliError(`consumer group '${groupId}' does not exist`);
    if (answer.errorCode === ErrorCode.NON_EMPTY_GROUP) throw new CliError(`Deleting offsets of a consumer group '${groupId}' is forbidden if the group is not empty.`);
    if (answer.errorCode !== ErrorCode.NONE) throw new CliError(`cannot delete offsets of group '${groupId}': ${errorName(answer.errorCode)}`);
    for (const r of answer.results) rows.push({ topic: r.topic, partition: r.partition, status: r.errorCode === ErrorCode.NONE ? 'Successful' : `Error: ${errorName(r.errorCode)}: ${errorMessage(r.errorCode)}` });
  }
  rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : String(a.partition).localeCompare(String(b.partition), 'en', { numeric: true })));
  // Kafka's printf: %-15s %-10s %-15s, the topic column widened to the longest name.
  const topicWidth = Math.max(15, ...rows.map((r) => r.topic.length));
  const line = (t: string, p: string, s: string) => `${t.padEnd(topicWidth)} ${p.padEnd(10)} ${s.padEnd(15)}`;
  const text = [`Request succeeded for deleting offsets from group ${groupId}.`, '', line('TOPIC', 'PARTITION', 'STATUS'), ...rows.map((r) => line(r.topic, String(r.partition), r.status))];
  await out(`${text.join('\n')}\n`);
  return rows.every((r) => r.status === 'Successful') ? 0 : 1;
}
