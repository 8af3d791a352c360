// `tidelog reassign-partitions`: Kafka's kafka-reassign-partitions.sh
// (org.apache.kafka.tools.reassign.ReassignPartitionsCommand) over AlterPartitionReassignments
// and ListPartitionReassignments (KIP-455), sent to the controller. Five actions, exactly one:
//   --generate  --topics-to-move-json-file F --broker-list 1,2,3   current and proposed JSON
//   --execute   --reassignment-json-file F [--throttle B/s] [--additional]
//   --verify    --reassignment-json-file F [--preserve-throttles]
//   --cancel    --reassignment-json-file F [--preserve-throttles]
//   --list
// The JSON files and every output line are Kafka's, so scripts written for Kafka's tool work
// unchanged: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3],
// "log_dirs":["any","any"]}]} and {"version":1,"topics":[{"topic":"t"}]}. --throttle sets
// Kafka's throttle configs as Kafka's tool does: leader/follower.replication.throttled.rate on
// the brokers involved, leader/follower.replication.throttled.replicas on the topics; --verify
// and --cancel clear them once nothing is moving. Errors print as Kafka's tool prints them, on
// stdout, exit status 1. Not supported: log_dirs other than "any" (JBOD moves,
// AlterReplicaLogDirs) and --replica-alter-log-dirs-throttle.
import { readFileSync } from 'node:fs';
import { RESOURCE_BROKER, RESOURCE_TOPIC, type KafkaClient } from '../client/kafka-client.js';
import { assignReplicasToBrokers } from '../cluster/replica-assignment.js';
import { ErrorCode, errorMessage } from '../protocol/errors.js';
import { connectClient, out, parseFlags } from './common.js';
import { UsageError } from './usage-error.js';

const HELP = `Usage: tidelog reassign-partitions --bootstrap-server HOST:PORT ACTION [options]

This tool helps to move topic partitions between replicas (as kafka-reassign-partitions.sh).

Actions (exactly one):
  --generate                     Propose an assignment of the topics in --topics-to-move-json-file
                                 over the brokers in --broker-list (prints current and proposed JSON)
  --execute                      Start the reassignment in --reassignment-json-file
  --verify                       Report the reassignment's progress; once complete, clear throttles
  --cancel                       Cancel the reassignments in --reassignment-json-file (back to the original replicas)
  --list                         List the ongoing reassignments

Options:
  --reassignment-json-file FILE  {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[2,3]}]}
  --topics-to-move-json-file FILE  {"version":1,"topics":[{"topic":"t"}]}
  --broker-list 1,2,3            Brokers to place replicas on (--generate)
  --disable-rack-aware           Ignore racks when generating
  --throttle BYTES_PER_SEC       Limit replication of the moving replicas (--execute; -1: no limit)
  --additional                   Execute although other reassignments are in progress
  --preserve-throttles           Leave the throttles in place (--verify, --cancel)
  --timeout MS                   Accepted for compatibility (log directory moves are not supported)
  --bootstrap-server HOST:PORT   The broker(s) to connect to (required)
  --command-config FILE          Client properties (client.id, request.timeout.ms, bootstrap.servers)
  --help                         This help`;

const OPTIONS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  generate: { type: 'boolean' },
  execute: { type: 'boolean' },
  verify: { type: 'boolean' },
  cancel: { type: 'boolean' },
  list: { type: 'boolean' },
  'reassignment-json-file': { type: 'string' },
  'topics-to-move-json-file': { type: 'string' },
  'broker-list': { type: 'string' },
  'disable-rack-aware': { type: 'boolean' },
  throttle: { type: 'string' },
  'replica-alter-log-dirs-throttle': { type: 'string' },
  timeout: { type: 'string' },
  additional: { type: 'boolean' },
  'preserve-throttles': { type: 'boolean' },
} as const;

const ACTIONS = ['generate', 'execute', 'verify', 'cancel', 'list'] as const;
type Action = (typeof ACTIONS)[number];

/** What each action needs and allows besides the connection flags (Kafka's requiredArgs / permittedArgs). */
const REQUIRED: Record<Action, readonly string[]> = {
  generate: ['topics-to-move-json-file', 'broker-list'],
  execute: ['reassignment-json-file'],
  verify: ['reassignment-json-file'],
  cancel: ['reassignment-json-file'],
  list: [],
};
const PERMITTED: Record<Action, readonly string[]> = {
  generate: ['disable-rack-aware'],
  execute: ['additional', 'throttle', 'replica-alter-log-dirs-throttle', 'timeout'],
  verify: ['preserve-throttles'],
  cancel: ['preserve-throttles', 'timeout'],
  list: [],
};

const BROKER_LEVEL_THROTTLES = ['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second'];
const TOPIC_LEVEL_THROTTLES = ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas'];

const CANNOT_EXECUTE_BECAUSE_OF_EXISTING_MESSAGE =
  'Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.';
const YOU_MUST_RUN_VERIFY_PERIODICALLY_MESSAGE = 'Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.';

interface Target {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: number[];
  /** Per replica its log directory, "any" when not known or not asked for. */
  readonly logDirs?: string[];
}

/** A failure reported as Kafka's tool reports it: the message on stdout, exit status 1. */
class ToolFailure extends Error {}

const tp = (p: { topic: string; partition: number }) => `${p.topic}-${p.partition}`;
const byPartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);

export async function runReassignPartitions(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const actions = ACTIONS.filter((a) => v[a] === true);
  if (actions.length !== 1) throw new UsageError(`Command must include exactly one action: ${ACTIONS.map((a) => `--${a}`).join(', ')}`);
  const action = actions[0]!;
  if (v['bootstrap-server'] === undefined) throw new UsageError('Please specify either --bootstrap-server or --bootstrap-controller');
  for (const r of REQUIRED[action]) if (v[r] === undefined) throw new UsageError(`Missing required argument "[${r}]"`);
  for (const [name, value] of Object.entries(v)) {
    if (value === undefined || name === action || name === 'bootstrap-server' || name === 'command-config') continue;
    if (!REQUIRED[action].includes(name) && !PERMITTED[action].includes(name)) throw new UsageError(`Option "[${name}]" can't be used with action "[${action}]"`);
  }
  if (v['replica-alter-log-dirs-throttle'] !== undefined) throw new UsageError('--replica-alter-log-dirs-throttle: log directory moves are not supported');
  const throttle = v.throttle === undefined ? -1 : Number(v.throttle);
  if (!Number.isSafeInteger(throttle) || throttle < -1) throw new UsageError(`--throttle expects bytes per second (or -1), got '${String(v.throttle)}'`);

  // The files first: a mistake in a path is the user's, whatever the cluster says.
  const jsonText = action === 'list' ? '' : readText((action === 'generate' ? v['topics-to-move-json-file'] : v['reassignment-json-file']) as string);
  const client = await connectClient({ 'bootstrap-server': v['bootstrap-server'] as string, 'command-config': v['command-config'] as string | undefined }, 'reassign-partitions-tool');
  try {
    switch (action) {
      case 'generate':
        await generate(client, jsonText, v['broker-list'] as string, v['disable-rack-aware'] !== true);
        break;
      case 'execute':
        await execute(client, jsonText, v.additional === true, throttle);
        break;
      case 'verify':
        await verify(client, jsonText, v['preserve-throttles'] === true);
        break;
      case 'cancel':
        await cancel(client, jsonText, v['preserve-throttles'] === true);
        break;
      case 'list':
        await out(`${await currentReassignmentsText(client)}\n`);
        break;
    }
    return 0;
  } catch (err) {
    if (err instanceof ToolFailure) {
      await out(`${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) throw err;
    await out(`Error: ${(err as Error).message}\n`);
    return 1;
  } finally {
    client.close();
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function parseJson(text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`The input string is not a valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('The input string is not a JSON object');
  const version = (doc as { version?: unknown }).version ?? 1;
  if (version !== 1) throw new Error(`Not supported version field value ${String(version)}`);
  return doc as Record<string, unknown>;
}

/**
 * Partitions whose log_dirs named directories: Tidelog does not move replicas between log
 * directories (AlterReplicaLogDirs), so these are ignored, with a note on stderr. Kafka 4.4's
 * rollback JSON names the current directories, so a rollback file lands here.
 */
const ignoredLogDirs = new Set<string>();

/** Kafka's parsePartitionReassignmentData (version 1): partitions in file order, duplicates kept for the checks. */
function parseReassignmentJson(text: string): Target[] {
  const doc = parseJson(text);
  const list = doc.partitions ?? [];
  if (!Array.isArray(list)) throw new Error('"partitions" must be a list');
  return list.map((raw: unknown, i: number) => {
    const e = raw as { topic?: unknown; partition?: unknown; replicas?: unknown; log_dirs?: unknown };
    if (typeof e?.topic !== 'string' || !Number.isInteger(e.partition) || !Array.isArray(e.replicas) || !e.replicas.every((r) => Number.isInteger(r))) {
      throw new Error(`partitions[${i}] needs "topic" (string), "partition" (integer) and "replicas" (list of integers)`);
    }
    const replicas = e.replicas as number[];
    const target = { topic: e.topic, partition: e.partition as number, replicas };
    if (e.log_dirs !== undefined) {
      if (!Array.isArray(e.log_dirs) || e.log_dirs.length !== replicas.length) {
        throw new Error(`Size of replicas list [${replicas.join(', ')}] is different from size of log dirs list ${JSON.stringify(e.log_dirs)} for partition ${tp(target)}`);
      }
      if (!e.log_dirs.every((d) => typeof d === 'string')) throw new Error(`Partition ${tp(target)}: log_dirs must be a list of strings`);
      if (e.log_dirs.some((d) => d !== 'any')) ignoredLogDirs.add(tp(target));
    }
    return target;
  });
}

/** Kafka's formatAsReassignmentJson: sorted by topic and partition, every log dir "any". */
export function formatAsReassignmentJson(parts: readonly Target[]): string {
  const partitions = [...parts].sort(byPartition).map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, log_dirs: p.logDirs ?? p.replicas.map(() => 'any') }));
  return JSON.stringify({ version: 1, partitions });
}

function duplicates<T>(items: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const x of items) (seen.has(x) ? dup : seen).add(x);
  return [...dup];
}

/** The current replicas of the topics' partitions; a missing topic fails as Kafka's describeTopics does. */
async function currentAssignment(client: KafkaClient, topics: readonly string[]): Promise<Map<string, Target>> {
  const out = new Map<string, Target>();
  if (topics.length === 0) return out;
  const md = await client.metadata([...new Set(topics)]);
  for (const name of new Set(topics)) {
    const t = md.topics.find((x) => x.name === name);
    if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new Error(`org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic ${name} not found.`);
    for (const p of t.partitions) out.set(tp({ topic: name, partition: p.partition }), { topic: name, partition: p.partition, replicas: [...p.replicas] });
  }
  return out;
}

async function generate(client: KafkaClient, json: string, brokerList: string, rackAware: boolean): Promise<void> {
  const brokers = brokerList.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n)) throw new UsageError(`--broker-list: not a broker id: '${s}'`);
    return n;
  });
  const dupBrokers = duplicates(brokers);
  if (dupBrokers.length > 0) throw new Error(`Broker list contains duplicate entries: [${dupBrokers.join(', ')}]`);
  const doc = parseJson(json);
  const topicsRaw = doc.topics ?? [];
  if (!Array.isArray(topicsRaw)) throw new Error('"topics" must be a list');
  const topics = topicsRaw.map((t: unknown, i: number) => {
    const name = (t as { topic?: unknown })?.topic;
    if (typeof name !== 'string') throw new Error(`topics[${i}] needs "topic" (string)`);
    return name;
  });
  const dupTopics = duplicates(topics);
  if (dupTopics.length > 0) throw new Error(`List of topics to reassign contains duplicate entries: [${dupTopics.join(', ')}]`);
  const current = await currentAssignment(client, topics);
  const known = (await client.metadata([])).brokers;
  const placement = known.filter((b) => brokers.includes(b.nodeId)).map((b) => ({ id: b.nodeId, rack: rackAware ? b.rack : null }));
  const rackless = placement.filter((b) => b.rack === null).length;
  if (rackAware && rackless !== 0 && rackless !== placement.length) {
    throw new Error('Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.');
  }
  const proposed: Target[] = [];
  for (const topic of new Set(topics)) {
    const parts = [...current.values()].filter((p) => p.topic === topic);
    if (parts.length === 0) continue;
    const r = assignReplicasToBrokers(placement, parts.length, parts[0]!.replicas.length);
    if (!r.ok) throw new Error(r.message);
    for (const [partition, replicas] of r.assignment) proposed.push({ topic, partition, replicas: [...replicas] });
  }
  await out(`Current partition replica assignment\n${formatAsReassignmentJson(await withLogDirs(client, [...current.values()]))}\n\nProposed partition reassignment configuration\n${formatAsReassignmentJson(proposed)}\n`);
}

/** Kafka's parseExecuteAssignmentArgs checks. */
function checkExecuteTargets(targets: readonly Target[]): void {
  if (targets.length === 0) throw new Error('Partition reassignment list cannot be empty');
  if (targets.some((t) => t.replicas.length === 0)) throw new Error('Partition replica list cannot be empty');
  const dupParts = duplicates(targets.map(tp));
  if (dupParts.length > 0) throw new Error(`Partition reassignment contains duplicate topic partitions: ${dupParts.join(',')}`);
  const dupReplicas = targets.map((t) => ({ t, dup: duplicates(t.replicas) })).filter((x) => x.dup.length > 0);
  if (dupReplicas.length > 0) throw new Error(`Partition replica lists may not contain duplicate entries: ${dupReplicas.map((x) => `${tp(x.t)} contains multiple entries for ${x.dup.join(',')}`).join('. ')}`);
}

async function execute(client: KafkaClient, json: string, additional: boolean, throttle: number): Promise<void> {
  const targets = parseReassignmentJson(json);
  checkExecuteTargets(targets);
  const ongoing = await listOngoing(client, null);
  if (!additional && ongoing.length > 0) throw new ToolFailure(CANNOT_EXECUTE_BECAUSE_OF_EXISTING_MESSAGE);
  const nodes = new Set((await client.metadata([])).brokers.map((b) => b.nodeId));
  const unknown = targets.flatMap((t) => t.replicas).find((id) => !nodes.has(id));
  if (unknown !== undefined) throw new Error(`Unknown broker id ${unknown}`);
  const current = await currentAssignment(client, targets.map((t) => t.topic));
  const missing = targets.filter((t) => !current.has(tp(t)));
  if (missing.length > 0) throw new Error(`org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Unable to find partition: ${missing.map(tp).join(', ')}`);
  if (ignoredLogDirs.size > 0) process.stderr.write(`log_dirs ignored for ${[...ignoredLogDirs].sort().join(',')}: Tidelog does not move replicas between log directories\n`);
  const currentParts = await withLogDirs(client, targets.map((t) => current.get(tp(t))!));
  await out(`Current partition replica assignment\n\n${formatAsReassignmentJson(currentParts)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  if (throttle >= 0) {
    await out(`${YOU_MUST_RUN_VERIFY_PERIODICALLY_MESSAGE}\n`);
    await setThrottles(client, ongoing, targets, current, throttle);
    await out(`The inter-broker throttle limit was set to ${throttle} B/s\n`);
  }
  const answer = await client.alterPartitionReassignments(targets.map((t) => ({ topic: t.topic, partition: t.partition, replicas: t.replicas })));
  const errors = answer.errorCode !== ErrorCode.NONE ? targets.map((t) => ({ ...t, message: answer.errorMessage ?? errorMessage(answer.errorCode) })) : answer.results.filter((r) => r.errorCode !== ErrorCode.NONE).map((r) => ({ ...r, message: r.errorMessage ?? errorMessage(r.errorCode) }));
  if (errors.length > 0) throw new ToolFailure(`Error reassigning partition(s):\n${errors.sort(byPartition).map((e) => `${tp(e)}: ${e.message}`).join('\n')}`);
  const started = [...targets].sort(byPartition);
  await out(`Successfully started partition reassignment${started.length === 1 ? '' : 's'} for ${started.map(tp).join(',')}\n`);
}

/**
 * Kafka's calculateProposedMoveMap and the throttle configs from it: the leader throttle on
 * every source replica, the follower throttle on every destination that is not a source, and
 * the rate on every broker involved.
 */
async function setThrottles(client: KafkaClient, ongoing: readonly Ongoing[], targets: readonly Target[], current: ReadonlyMap<string, Target>, rate: number): Promise<void> {
  const moves = new Map<string, Map<number, { sources: Set<number>; destinations: Set<number> }>>();
  const movesOf = (topic: string) => moves.get(topic) ?? moves.set(topic, new Map()).get(topic)!;
  for (const r of ongoing) movesOf(r.topic).set(r.partition, { sources: new Set(r.replicas.filter((x) => !r.addingReplicas.includes(x))), destinations: new Set(r.addingReplicas) });
  for (const t of targets) {
    const m = movesOf(t.topic);
    const sources = m.get(t.partition)?.sources ?? new Set(current.get(tp(t))?.replicas ?? []);
    m.set(t.partition, { sources, destinations: new Set(t.replicas.filter((x) => !sources.has(x))) });
  }
  const brokers = new Set<number>();
  for (const [topic, m] of moves) {
    const leader = new Set<string>();
    const follower = new Set<string>();
    for (const [partition, move] of m) {
      for (const s of move.sources) leader.add(`${partition}:${s}`);
      for (const d of move.destinations) if (!move.sources.has(d)) follower.add(`${partition}:${d}`);
      for (const b of [...move.sources, ...move.destinations]) brokers.add(b);
    }
    const r = await client.alterConfigs(RESOURCE_TOPIC, topic, { 'leader.replication.throttled.replicas': [...leader].sort().join(','), 'follower.replication.throttled.replicas': [...follower].sort().join(',') }, []);
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`setting the throttled replicas of topic ${topic}: ${r.errorMessage ?? errorMessage(r.errorCode)}`);
  }
  for (const b of [...brokers].sort((x, y) => x - y)) {
    const r = await client.alterConfigs(RESOURCE_BROKER, String(b), { 'leader.replication.throttled.rate': String(rate), 'follower.replication.throttled.rate': String(rate) }, []);
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`setting the replication throttle of broker ${b}: ${r.errorMessage ?? errorMessage(r.errorCode)}`);
  }
}

/**
 * The current log directory of each replica (DescribeLogDirs of each broker), for the rollback
 * JSON as Kafka 4.4's tool prints it; "any" where a broker does not say.
 */
async function withLogDirs(client: KafkaClient, parts: readonly Target[]): Promise<Target[]> {
  const dirs = new Map<string, string>();
  const brokers = [...new Set(parts.flatMap((p) => p.replicas))];
  const topics = [...new Set(parts.map((p) => p.topic))].map((topic) => ({ topic, partitions: parts.filter((p) => p.topic === topic).map((p) => p.partition) }));
  await Promise.all(brokers.map(async (b) => {
    try {
      const r = await client.describeLogDirs(b, topics);
      for (const d of r.results) for (const t of d.topics) for (const p of t.partitions) if (!p.isFutureKey) dirs.set(`${b}/${t.name}-${p.partitionIndex}`, d.logDir);
    } catch {
      // An unreachable broker: "any" for its replicas.
    }
  }));
  return parts.map((p) => ({ ...p, logDirs: p.replicas.map((b) => dirs.get(`${b}/${tp(p)}`) ?? 'any') }));
}

interface Ongoing {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: number[];
  readonly addingReplicas: number[];
  readonly removingReplicas: number[];
}

async function listOngoing(client: KafkaClient, partitions: readonly { topic: string; partition: number }[] | null): Promise<Ongoing[]> {
  const answer = await client.listPartitionReassignments(partitions);
  if (answer.errorCode !== ErrorCode.NONE) throw new Error(answer.errorMessage ?? errorMessage(answer.errorCode));
  return answer.reassignments;
}

/** Kafka's curReassignmentsToString. */
async function currentReassignmentsText(client: KafkaClient): Promise<string> {
  const list = (await listOngoing(client, null)).sort(byPartition);
  if (list.length === 0) return 'No partition reassignments found.';
  const line = (r: Ongoing) => `${tp(r)}: replicas: ${r.replicas.join(',')}.${r.addingReplicas.length === 0 ? '' : ` adding: ${r.addingReplicas.join(',')}.`}${r.removingReplicas.length === 0 ? '' : ` removing: ${r.removingReplicas.join(',')}.`}`;
  return `Current partition reassignments:\n${list.map(line).join('\n')}`;
}

async function verify(client: KafkaClient, json: string, preserveThrottles: boolean): Promise<void> {
  const targets = parseReassignmentJson(json);
  const ongoing = await listOngoing(client, null);
  const ongoingByTp = new Map(ongoing.map((r) => [tp(r), r]));
  const notFound = targets.filter((t) => !ongoingByTp.has(tp(t)));
  const current = await currentAssignmentLenient(client, notFound.map((t) => t.topic));
  const lines = ['Status of partition reassignment:'];
  const seen = new Set<string>();
  for (const t of [...targets].sort(byPartition)) {
    if (seen.has(tp(t))) continue;
    seen.add(tp(t));
    if (ongoingByTp.has(tp(t))) {
      lines.push(`Reassignment of partition ${tp(t)} is still in progress.`);
      continue;
    }
    const replicas = current.get(tp(t))?.replicas ?? [];
    if (replicas.join(',') === t.replicas.join(',')) lines.push(`Reassignment of partition ${tp(t)} is completed.`);
    else lines.push(`There is no active reassignment of partition ${tp(t)}, but replica set is ${replicas.join(',')} rather than ${t.replicas.join(',')}.`);
  }
  // Kafka's tool prints the (here always empty) log directory move states on a line of their own.
  await out(`${lines.join('\n')}\n\n`);
  if (ongoing.length === 0 && !preserveThrottles) await clearAllThrottles(client, targets);
}

/** The current replicas; a topic that does not exist has none (Kafka's topicDescriptionFutureToState). */
async function currentAssignmentLenient(client: KafkaClient, topics: readonly string[]): Promise<Map<string, Target>> {
  const out = new Map<string, Target>();
  if (topics.length === 0) return out;
  const md = await client.metadata([...new Set(topics)]);
  for (const t of md.topics) for (const p of t.partitions) out.set(tp({ topic: t.name, partition: p.partition }), { topic: t.name, partition: p.partition, replicas: [...p.replicas] });
  return out;
}

/** Kafka's clearAllThrottles: the broker throttles of every broker (and any named in the file), the topic throttles of the file's topics. */
async function clearAllThrottles(client: KafkaClient, targets: readonly Target[]): Promise<void> {
  const brokers = new Set((await client.metadata([])).brokers.map((b) => b.nodeId));
  for (const t of targets) for (const r of t.replicas) brokers.add(r);
  const sortedBrokers = [...brokers].sort((a, b) => a - b);
  await out(`Clearing broker-level throttles on broker${sortedBrokers.length === 1 ? '' : 's'} ${sortedBrokers.join(',')}\n`);
  for (const b of sortedBrokers) {
    const r = await client.alterConfigs(RESOURCE_BROKER, String(b), {}, BROKER_LEVEL_THROTTLES);
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`clearing the throttles of broker ${b}: ${r.errorMessage ?? errorMessage(r.errorCode)}`);
  }
  const topics = [...new Set(targets.map((t) => t.topic))];
  await out(`Clearing topic-level throttles on topic${topics.length === 1 ? '' : 's'} ${topics.join(',')}\n`);
  for (const t of topics) {
    const r = await client.alterConfigs(RESOURCE_TOPIC, t, {}, TOPIC_LEVEL_THROTTLES);
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`clearing the throttles of topic ${t}: ${r.errorMessage ?? errorMessage(r.errorCode)}`);
  }
}

async function cancel(client: KafkaClient, json: string, preserveThrottles: boolean): Promise<void> {
  const targets = parseReassignmentJson(json);
  const wanted = targets.map((t) => ({ topic: t.topic, partition: t.partition }));
  // Kafka's tool cancels those listed with nothing being added, or something being removed.
  const cancelling = (await listOngoing(client, wanted)).filter((r) => r.addingReplicas.length === 0 || r.removingReplicas.length > 0).sort(byPartition);
  if (cancelling.length > 0) {
    const answer = await client.alterPartitionReassignments(cancelling.map((r) => ({ topic: r.topic, partition: r.partition, replicas: null })));
    const errors = answer.errorCode !== ErrorCode.NONE ? cancelling.map((r) => ({ ...r, message: answer.errorMessage ?? errorMessage(answer.errorCode) })) : answer.results.filter((r) => r.errorCode !== ErrorCode.NONE).map((r) => ({ ...r, message: r.errorMessage ?? errorMessage(r.errorCode) }));
    if (errors.length > 0) throw new ToolFailure(`Error cancelling partition reassignment${errors.length === 1 ? '' : 's'} for:\n${errors.sort(byPartition).map((e) => `${tp(e)}: ${e.message}`).join('\n')}`);
    await out(`Successfully cancelled partition reassignment${cancelling.length === 1 ? '' : 's'} for: ${cancelling.map(tp).join(',')}\n`);
  } else {
    await out('None of the specified partition reassignments are active.\n');
  }
  // Kafka's tool ends this line without a newline; the throttle lines follow on it.
  await out('None of the specified partition moves are active.');
  if (!preserveThrottles) await clearAllThrottles(client, targets);
}
