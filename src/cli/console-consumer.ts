// `tidelog console-consumer`: Kafka's kafka-console-consumer.sh. Without --group it reads the
// topic's partitions (or one, --partition) from --offset / the beginning / the end; with
// --group it joins the consumer group, starts from the committed offsets (else the beginning
// with --from-beginning, the end without) and commits what it printed. Fetched batches are
// decoded here: uncompressed, gzip, snappy, lz4 and zstd.
import { ErrorCode, errorName } from '../protocol/errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../client/kafka-client.js';
import { GroupMember } from '../client/group-member.js';
import { decodeRecordBatches, type ConsumedRecord } from '../client/record-batch.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, clientSettings, connectClient, mergedProperties, intFlag, out, parseFlags, parseKeyValues } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog console-consumer --bootstrap-server HOST:PORT --topic NAME [options]

Prints records of a topic to standard output (as kafka-console-consumer.sh).

Options:
  --topic NAME                   The topic
  --from-beginning               Start at the earliest offset (default: only new records); with
                                 --group: where the group has no committed offset
  --group ID                     Consume as a member of this consumer group and commit offsets
  --partition N                  Only this partition (not with --group)
  --offset OFFSET                With --partition: earliest, latest or an offset
  --max-messages N               Exit after N records
  --timeout-ms MS                Exit when no record arrived for MS milliseconds
  --property print.key=true      Also print the key (print.timestamp, print.offset,
                                 print.partition, print.headers, print.value=false likewise)
  --property key.separator=SEP   Between the printed fields (default: a tab)
  --property line.separator=SEP  After each record (default: a newline)
  --isolation-level LEVEL        read_uncommitted (default) or read_committed
  --consumer-property KEY=VALUE  client.id, auto.offset.reset (earliest/latest)
  --consumer.config FILE         Consumer properties file (client.id, group.id, auto.offset.reset,
                                 request.timeout.ms); --consumer-property wins over it
${CONNECTION_HELP}

Example:
  tidelog console-consumer --bootstrap-server 127.0.0.1:9092 --topic greetings --from-beginning --property print.key=true --max-messages 2`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  topic: { type: 'string' },
  'from-beginning': { type: 'boolean' },
  group: { type: 'string' },
  partition: { type: 'string' },
  offset: { type: 'string' },
  'max-messages': { type: 'string' },
  'timeout-ms': { type: 'string' },
  property: { type: 'string', multiple: true },
  'consumer-property': { type: 'string', multiple: true },
  'consumer.config': { type: 'string' },
  'isolation-level': { type: 'string' },
} as const;

const FETCH_MAX_WAIT_MS = 500;
const COMMIT_INTERVAL_MS = 1000;

interface Position {
  readonly topic: string;
  readonly partition: number;
  offset: number;
}

export interface FormatOptions {
  readonly printKey: boolean;
  readonly printValue: boolean;
  readonly printTimestamp: boolean;
  readonly printOffset: boolean;
  readonly printPartition: boolean;
  readonly printHeaders: boolean;
  readonly keySeparator: string;
  readonly lineSeparator: string;
}

/** Kafka's DefaultMessageFormatter: the enabled fields, separated by key.separator. */
export function formatRecord(record: ConsumedRecord, partition: number, f: FormatOptions): string {
  const fields: string[] = [];
  if (f.printTimestamp) fields.push(`${record.timestampType}:${record.timestampMs}`);
  if (f.printPartition) fields.push(`Partition:${partition}`);
  if (f.printOffset) fields.push(`Offset:${record.offset}`);
  if (f.printHeaders) fields.push(record.headers.length === 0 ? 'NO_HEADERS' : record.headers.map((h) => `${h.key}:${h.value === null ? 'null' : h.value.toString('utf8')}`).join(','));
  if (f.printKey) fields.push(record.key === null ? 'null' : record.key.toString('utf8'));
  if (f.printValue) fields.push(record.value === null ? 'null' : record.value.toString('utf8'));
  return fields.join(f.keySeparator) + f.lineSeparator;
}

export async function runConsoleConsumer(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.topic) throw new UsageError('--topic is required');
  const props = parseKeyValues(v.property, '--property');
  const consumerProps = mergedProperties(v['consumer.config'], '--consumer.config', parseKeyValues(v['consumer-property'], '--consumer-property'));
  const partitionFlag = intFlag(v.partition, '--partition', { min: 0 });
  const maxMessages = intFlag(v['max-messages'], '--max-messages', { min: 1 });
  const timeoutMs = intFlag(v['timeout-ms'], '--timeout-ms', { min: 1 });
  const groupId = v.group ?? consumerProps['group.id'];
  if (groupId !== undefined && partitionFlag !== undefined) throw new UsageError('--partition cannot be used with --group');
  if (v.offset !== undefined && partitionFlag === undefined) throw new UsageError('--offset needs --partition');
  if (v.offset !== undefined && !/^(earliest|latest|\d+)$/.test(v.offset)) throw new UsageError(`--offset must be earliest, latest or a non-negative offset, got '${v.offset}'`);
  const isolation = v['isolation-level'] ?? 'read_uncommitted';
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') throw new UsageError(`--isolation-level must be read_uncommitted or read_committed, got '${isolation}'`);
  const reset = v['from-beginning'] ? 'earliest' : (consumerProps['auto.offset.reset'] ?? 'latest');
  if (reset !== 'earliest' && reset !== 'latest') throw new UsageError(`auto.offset.reset must be earliest or latest, got '${reset}'`);
  const format: FormatOptions = {
    printKey: props['print.key'] === 'true',
    printValue: props['print.value'] !== 'false',
    printTimestamp: props['print.timestamp'] === 'true',
    printOffset: props['print.offset'] === 'true',
    printPartition: props['print.partition'] === 'true',
    printHeaders: props['print.headers'] === 'true',
    keySeparator: unescape(props['key.separator'] ?? '\t'),
    lineSeparator: unescape(props['line.separator'] ?? '\n'),
  };
  const topicName = v.topic;

  const client = await connectClient(v, consumerProps['client.id'] ?? 'tidelog-console-consumer', clientSettings(consumerProps, '--consumer.config').requestTimeoutMs, consumerProps);
  let consumed = 0;
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const member = groupId !== undefined ? new GroupMember(client, { groupId, topics: [topicName] }) : null;
  try {
    const topic = await client.topic(topicName);
    if (partitionFlag !== undefined && !topic.partitions.some((p) => p.partition === partitionFlag)) throw new CliError(`topic '${topicName}' has no partition ${partitionFlag}`);
    let positions: Position[] = [];

    const resetTo = async (partitions: number[], where: 'earliest' | 'latest'): Promise<Map<number, number>> => {
      const offsets = await client.listOffsets(topicName, partitions, where === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP);
      const outMap = new Map<number, number>();
      for (const p of partitions) {
        const o = offsets.get(p);
        if (!o || o.errorCode !== ErrorCode.NONE) throw new CliError(`cannot list offsets of ${topicName}-${p}: ${errorName(o?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR)}`);
        outMap.set(p, o.offset);
      }
      return outMap;
    };

    const assign = async (): Promise<void> => {
      if (member) {
        const assignment = await member.join();
        const mine = assignment.find((a) => a.topic === topicName)?.partitions ?? [];
        const committed = (await member.committed()).get(topicName) ?? new Map<number, number>();
        const missing = mine.filter((p) => (committed.get(p) ?? -1) < 0);
        const fallback = missing.length > 0 ? await resetTo(missing, reset) : new Map<number, number>();
        positions = mine.map((p) => ({ topic: topicName, partition: p, offset: (committed.get(p) ?? -1) >= 0 ? committed.get(p)! : fallback.get(p)! }));
        return;
      }
      const partitions = partitionFlag !== undefined ? [partitionFlag] : topic.partitions.map((p) => p.partition);
      if (v.offset !== undefined && /^\d+$/.test(v.offset)) {
        positions = partitions.map((p) => ({ topic: topicName, partition: p, offset: Number(v.offset) }));
        return;
      }
      const where = v.offset === 'earliest' || v.offset === 'latest' ? v.offset : reset;
      const offsets = await resetTo(partitions, where);
      positions = partitions.map((p) => ({ topic: topicName, partition: p, offset: offsets.get(p)! }));
    };

    let committedAt = Date.now();
    const commit = async () => {
      if (!member) return;
      await member.commit(positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
      committedAt = Date.now();
    };

    await assign();
    let lastRecordAt = Date.now();
    while (!stopping) {
      if (member && member.rebalanceNeeded) {
        await commit().catch(() => {});
        await assign();
      }
      if (positions.length === 0) {
        // A member without partitions waits for a rebalance (or the timeout).
        await new Promise((r) => setTimeout(r, FETCH_MAX_WAIT_MS));
      } else {
        const results = await client.fetch(
          positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })),
          { maxWaitMs: FETCH_MAX_WAIT_MS, isolationLevel: isolation === 'read_committed' ? 1 : 0 },
        );
        let text = '';
        for (const r of results) {
          const pos = positions.find((p) => p.topic === r.topic && p.partition === r.partition);
          if (!pos) continue;
          if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            pos.offset = (await resetTo([pos.partition], reset)).get(pos.partition)!;
            continue;
          }
          if (r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || r.errorCode === ErrorCode.LEADER_NOT_AVAILABLE) continue;
          if (r.errorCode !== ErrorCode.NONE) throw new CliError(`cannot fetch ${r.topic}-${r.partition}: ${errorName(r.errorCode)}`);
          if (!r.records || r.records.length === 0) continue;
          let batches;
          try {
            batches = decodeRecordBatches(r.records).batches;
          } catch (err) {
            throw new CliError(`cannot decode records of ${r.topic}-${r.partition} at offset ${pos.offset}: ${(err as Error).message}`);
          }
          for (const batch of batches) {
            if (!batch.isControl) {
              for (const record of batch.records) {
                if (record.offset < pos.offset) continue;
                text += formatRecord(record, r.partition, format);
                consumed++;
                pos.offset = record.offset + 1;
                if (maxMessages !== undefined && consumed >= maxMessages) break;
              }
            }
            if (maxMessages !== undefined && consumed >= maxMessages) break;
            pos.offset = Math.max(pos.offset, batch.lastOffset + 1);
          }
          if (maxMessages !== undefined && consumed >= maxMessages) break;
        }
        if (text.length > 0) {
          lastRecordAt = Date.now();
          await out(text);
        }
      }
      if (maxMessages !== undefined && consumed >= maxMessages) break;
      if (timeoutMs !== undefined && Date.now() - lastRecordAt >= timeoutMs) break;
      if (member && Date.now() - committedAt >= COMMIT_INTERVAL_MS) await commit().catch(() => {});
    }
    await commit().catch(() => {});
    process.stderr.write(`Processed a total of ${consumed} messages\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await member?.leave();
    client.close();
  }
}

/** key.separator and line.separator accept \t, \n, \r escapes as Kafka's properties do. */
function unescape(s: string): string {
  return s.replace(/\\([tnr\\])/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c]!);
}

