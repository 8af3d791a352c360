// `tidelog get-offsets`: Kafka's kafka-get-offsets.sh (org.apache.kafka.tools.GetOffsetShell)
// over Metadata and ListOffsets. Owns the topic/partition filters (--topic regex, --partitions,
// --topic-partitions patterns) and the `topic:partition:offset` output, sorted by topic then
// partition as Kafka prints it.
import { ErrorCode, errorName } from '../protocol/errors.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, out, parseFlags } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog get-offsets --bootstrap-server HOST:PORT [options]

Print the offsets of topic partitions (as kafka-get-offsets.sh), one 'topic:partition:offset' line each.

Options:
  --topic REGEX                   Topics to include (a regular expression matched against the whole name; default all)
  --partitions LIST               Comma-separated partition ids (default all); not with --topic-partitions
  --topic-partitions PATTERNS     Comma-separated 'topic_regex:partition_spec' patterns, where partition_spec is
                                  N, N-M (M exclusive), N- or -M; not with --topic or --partitions
  --time TIME                     earliest, latest (default), max-timestamp, or a timestamp in ms
                                  (the first offset with a timestamp at or after it); -1, -2, -3 as Kafka takes them
  --exclude-internal-topics       Leave out internal topics (__consumer_offsets)
${CONNECTION_HELP}

Examples:
  tidelog get-offsets --bootstrap-server 127.0.0.1:9092 --topic orders
  tidelog get-offsets --bootstrap-server 127.0.0.1:9092 --topic-partitions 'orders:0-2,audit.*' --time earliest`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  topic: { type: 'string' },
  partitions: { type: 'string' },
  'topic-partitions': { type: 'string' },
  time: { type: 'string' },
  'exclude-internal-topics': { type: 'boolean' },
} as const;

/** ListOffsets timestamps by the names Kafka 4's GetOffsetShell accepts. */
const TIME_NAMES: Readonly<Record<string, number>> = { latest: -1, earliest: -2, 'max-timestamp': -3, 'earliest-local': -4, 'latest-tiered': -5 };

/** One --topic-partitions pattern: partitions in [from, to) of topics whose whole name matches. */
interface TopicPartitionFilter {
  readonly topic: RegExp | null;
  readonly from: number;
  readonly to: number;
}

export async function runGetOffsets(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (v['topic-partitions'] !== undefined && (v.topic !== undefined || v.partitions !== undefined)) {
    throw new UsageError('--topic-partitions cannot be used with --topic or --partitions');
  }
  const filters = v['topic-partitions'] !== undefined ? parseTopicPartitions(v['topic-partitions']) : simpleFilters(v.topic, v.partitions);
  const timestamp = parseTime(v.time ?? 'latest');

  const client = await connectClient(v, 'tidelog-get-offsets');
  try {
    const md = await client.metadata(null);
    const selected: { topic: string; partitions: number[] }[] = [];
    for (const t of [...md.topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (t.errorCode !== ErrorCode.NONE) continue;
      if (v['exclude-internal-topics'] && t.isInternal) continue;
      const partitions = t.partitions.map((p) => p.partition).filter((p) => filters.some((f) => (f.topic === null || f.topic.test(t.name)) && p >= f.from && p < f.to));
      if (partitions.length > 0) selected.push({ topic: t.name, partitions });
    }
    if (selected.length === 0) throw new CliError('Could not match any topic-partitions with the specified filters');
    const lines: string[] = [];
    for (const { topic, partitions } of selected) {
      const offsets = await client.listOffsets(topic, partitions, timestamp);
      for (const p of partitions) {
        const r = offsets.get(p);
        if (!r || r.errorCode !== ErrorCode.NONE) {
          process.stderr.write(`Skip getting offsets for topic-partition ${topic}-${p} due to error: ${errorName(r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR)}\n`);
          continue;
        }
        // As Kafka's GetOffsetShell: a partition with no such offset (-1, e.g. max-timestamp of an empty partition) is left out.
        if (r.offset >= 0) lines.push(`${topic}:${p}:${r.offset}\n`);
      }
    }
    await out(lines.join(''));
    return 0;
  } finally {
    client.close();
  }
}

function wholeName(regex: string, flag: string): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`);
  } catch {
    throw new UsageError(`${flag}: '${regex}' is not a valid regular expression`);
  }
}

function simpleFilters(topic: string | undefined, partitions: string | undefined): TopicPartitionFilter[] {
  const re = topic === undefined ? null : wholeName(topic, '--topic');
  if (partitions === undefined) return [{ topic: re, from: 0, to: Number.MAX_SAFE_INTEGER }];
  return partitions.split(',').map((s) => {
    const p = s.trim();
    if (!/^\d+$/.test(p)) throw new UsageError(`--partitions expects a comma-separated list of partition ids, got '${partitions}'`);
    return { topic: re, from: Number(p), to: Number(p) + 1 };
  });
}

/** Kafka's --topic-partitions grammar: topic_regex[:N|N-M|N-|-M], comma separated. */
function parseTopicPartitions(spec: string): TopicPartitionFilter[] {
  return spec.split(',').map((item) => {
    const m = /^([^:]*)(?::(?:(\d+)|(\d+)-(\d+)?|-(\d+)))?$/.exec(item.trim());
    if (!m) throw new UsageError(`--topic-partitions: cannot read '${item}' (expected topic_regex:partition_spec, partition_spec N, N-M, N- or -M)`);
    const topic = m[1] === '' ? null : wholeName(m[1]!, '--topic-partitions');
    if (m[2] !== undefined) return { topic, from: Number(m[2]), to: Number(m[2]) + 1 };
    if (m[3] !== undefined) return { topic, from: Number(m[3]), to: m[4] !== undefined ? Number(m[4]) : Number.MAX_SAFE_INTEGER };
    if (m[5] !== undefined) return { topic, from: 0, to: Number(m[5]) };
    return { topic, from: 0, to: Number.MAX_SAFE_INTEGER };
  });
}

function parseTime(time: string): number {
  const named = TIME_NAMES[time.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^-?\d+$/.test(time)) throw new UsageError(`--time expects earliest, latest, max-timestamp or a timestamp in ms, got '${time}'`);
  const n = Number(time);
  if (n < -5) throw new UsageError(`--time expects earliest, latest, max-timestamp or a timestamp in ms, got '${time}'`);
  return n;
}
