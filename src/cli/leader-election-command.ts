// `tidelog leader-election`: Kafka's kafka-leader-election.sh (org.apache.kafka.tools.LeaderElectionCommand)
// over ElectLeaders, sent to the controller. Owns choosing the partitions (--topic with
// --partition, --all-topic-partitions, or Kafka's JSON file
// {"partitions":[{"topic":"t","partition":0}]}) and Kafka's three kinds of output line:
// "Successfully completed leader election (PREFERRED) for partitions t-0, t-1",
// "Valid replica already elected for partitions t-2", and one "Error completing leader
// election (PREFERRED) for partition: t-3: ..." per failure, after which the status is 1.
import { readFileSync } from 'node:fs';
import { ErrorCode, errorMessage, errorName } from '../protocol/errors.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, intFlag, out, parseFlags } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog leader-election --bootstrap-server HOST:PORT --election-type PREFERRED|UNCLEAN PARTITIONS

Elect partition leaders (as kafka-leader-election.sh): the preferred replica, or (UNCLEAN) any
live replica when no in-sync one is left.

Partitions (exactly one):
  --topic NAME --partition N      One partition
  --all-topic-partitions          Every partition (those that need no election are not listed)
  --path-to-json-file FILE        {"partitions":[{"topic":"orders","partition":0}]}

Options:
  --election-type TYPE            PREFERRED or UNCLEAN (required; lower case accepted)
  --admin.config FILE             Same as --command-config
${CONNECTION_HELP}`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  'admin.config': { type: 'string' },
  'election-type': { type: 'string' },
  topic: { type: 'string' },
  partition: { type: 'string' },
  'all-topic-partitions': { type: 'boolean' },
  'path-to-json-file': { type: 'string' },
} as const;

const ELECTION_TYPES: Readonly<Record<string, number>> = { PREFERRED: 0, UNCLEAN: 1 };

export async function runLeaderElection(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (v['election-type'] === undefined) throw new UsageError('--election-type PREFERRED|UNCLEAN is required');
  const typeName = v['election-type'].toUpperCase();
  const electionType = ELECTION_TYPES[typeName];
  if (electionType === undefined) throw new UsageError(`--election-type expects PREFERRED or UNCLEAN, got '${v['election-type']}'`);
  const sources = [v.topic !== undefined, v['all-topic-partitions'] === true, v['path-to-json-file'] !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new UsageError('give exactly one of --topic (with --partition), --all-topic-partitions, --path-to-json-file');
  if (v.partition !== undefined && v.topic === undefined) throw new UsageError('--partition needs --topic');
  if (v.topic !== undefined && v.partition === undefined) throw new UsageError('--topic needs --partition');

  let partitions: { topic: string; partition: number }[] | null = null;
  if (v.topic !== undefined) partitions = [{ topic: v.topic, partition: intFlag(v.partition, '--partition', { min: 0 })! }];
  else if (v['path-to-json-file'] !== undefined) partitions = readPartitionsJson(v['path-to-json-file']);

  const client = await connectClient({ ...v, 'command-config': v['command-config'] ?? v['admin.config'] }, 'tidelog-leader-election');
  try {
    const answer = await client.electLeaders(electionType, partitions);
    if (answer.errorCode !== ErrorCode.NONE) throw new CliError(`leader election failed: ${errorName(answer.errorCode)}: ${errorMessage(answer.errorCode)}`);
    const sorted = [...answer.results].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    const name = (r: { topic: string; partition: number }) => `${r.topic}-${r.partition}`;
    const succeeded = sorted.filter((r) => r.errorCode === ErrorCode.NONE);
    const noop = sorted.filter((r) => r.errorCode === ErrorCode.ELECTION_NOT_NEEDED);
    const failed = sorted.filter((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
    const lines: string[] = [];
    if (succeeded.length > 0) lines.push(`Successfully completed leader election (${typeName}) for partitions ${succeeded.map(name).join(', ')}`);
    if (noop.length > 0) lines.push(`Valid replica already elected for partitions ${noop.map(name).join(', ')}`);
    for (const f of failed) lines.push(`Error completing leader election (${typeName}) for partition: ${name(f)}: ${errorName(f.errorCode)}: ${f.errorMessage ?? errorMessage(f.errorCode)}`);
    await out(lines.map((l) => `${l}\n`).join(''));
    if (failed.length > 0) throw new CliError(`${failed.length} replica(s) could not be elected`);
    return 0;
  } finally {
    client.close();
  }
}

/** Kafka's partitions JSON for --path-to-json-file; a partition listed twice is refused, as Kafka does. */
function readPartitionsJson(file: string): { topic: string; partition: number }[] {
  let doc: { partitions?: unknown };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as { partitions?: unknown };
  } catch (err) {
    throw new UsageError(`--path-to-json-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.partitions)) throw new UsageError(`--path-to-json-file ${file}: missing "partitions" array`);
  const seen = new Set<string>();
  return doc.partitions.map((p: unknown, i: number) => {
    const e = p as { topic?: unknown; partition?: unknown };
    if (typeof e?.topic !== 'string' || !Number.isInteger(e.partition)) throw new UsageError(`--path-to-json-file ${file}: partitions[${i}] needs "topic" (string) and "partition" (integer)`);
    const key = `${e.topic}-${e.partition as number}`;
    if (seen.has(key)) throw new UsageError(`--path-to-json-file ${file}: duplicate partition ${key}`);
    seen.add(key);
    return { topic: e.topic, partition: e.partition as number };
  });
}
