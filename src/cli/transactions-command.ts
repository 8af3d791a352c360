// `tidelog transactions`: Kafka's kafka-transactions.sh (org.apache.kafka.tools.TransactionsCommand)
// over the Kafka protocol (client/transaction-admin.ts): list, describe, describe-producers,
// abort and find-hanging, with Kafka's flags and Kafka's tables (each cell padded to its
// column's width and followed by a tab, as Kafka's ToolsUtils.prettyPrintTable prints them).
// Owns the flags of each subcommand and the table layout; the requests live in the client.
import { compileRe2jPattern } from '../protocol/re2j-pattern.js';
import { ErrorCode } from '../protocol/errors.js';
import { abortTransaction, describeProducers, describeTransaction, findHangingTransactions, listTransactions, type AbortTarget } from '../client/transaction-admin.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, intFlag, out, parseFlags } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog transactions --bootstrap-server HOST:PORT COMMAND [options]

Analyze the transactional state of producers in the cluster and recover from hanging
transactions (as kafka-transactions.sh).

Commands:
  list                 List transactions (every coordinator)
      [--duration-filter MS]              only those open longer than MS
      [--transactional-id-pattern REGEX]  only ids matching REGEX
  describe             Describe the state of a transactional id
      --transactional-id ID
  describe-producers   Describe the states of the active producers of a partition
      --topic T --partition P [--broker-id N]   (default: the partition's leader)
  abort                Abort a hanging transaction on a partition
      --topic T --partition P --start-offset O
      or --topic T --partition P --producer-id ID --producer-epoch E --coordinator-epoch C
  find-hanging         Find transactions open on a partition that no coordinator knows of
      --broker-id N | --topic T [--partition P]   [--max-transaction-timeout MINUTES] (15)

Options:
${CONNECTION_HELP}`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  'duration-filter': { type: 'string' },
  'transactional-id-pattern': { type: 'string' },
  'transactional-id': { type: 'string' },
  topic: { type: 'string' },
  partition: { type: 'string' },
  'broker-id': { type: 'string' },
  'start-offset': { type: 'string' },
  'producer-id': { type: 'string' },
  'producer-epoch': { type: 'string' },
  'coordinator-epoch': { type: 'string' },
  'max-transaction-timeout': { type: 'string' },
} as const;

/** The flags each command takes besides the connection flags. */
const COMMAND_FLAGS: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  list: ['duration-filter', 'transactional-id-pattern'],
  describe: ['transactional-id'],
  'describe-producers': ['topic', 'partition', 'broker-id'],
  abort: ['topic', 'partition', 'start-offset', 'producer-id', 'producer-epoch', 'coordinator-epoch'],
  'find-hanging': ['broker-id', 'topic', 'partition', 'max-transaction-timeout'],
};

/** Kafka's default for find-hanging: transaction.max.timeout.ms's default, in minutes. */
const DEFAULT_MAX_TRANSACTION_TIMEOUT_MINUTES = 15;

/** Kafka's ToolsUtils.prettyPrintTable: every cell left-aligned to its column's width, then a tab. */
export function kafkaTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => `${r.map((c, i) => `${c.padEnd(widths[i]!)}\t`).join('')}\n`).join('');
}

const noneIfNegative = (n: number): string => (n < 0 ? 'None' : String(n));

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`Missing required argument ${flag}`);
  return value;
}

export async function runTransactions(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP, true);
  if (!parsed) return 0;
  const v = parsed.values;
  const [command, ...extra] = parsed.positionals;
  if (command === undefined) throw new UsageError(`a command is required: ${Object.keys(COMMAND_FLAGS).join(', ')}`);
  const allowed = COMMAND_FLAGS[command];
  if (!allowed) throw new UsageError(`unknown command '${command}': expected one of ${Object.keys(COMMAND_FLAGS).join(', ')}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  for (const flag of Object.keys(v)) {
    if (flag in CONNECTION_OPTIONS || (allowed as readonly string[]).includes(flag)) continue;
    throw new UsageError(`--${flag} is not an option of '${command}'`);
  }

  const client = await connectClient(v, 'tidelog-transactions');
  try {
    switch (command) {
      case 'list': {
        const durationFilterMs = intFlag(v['duration-filter'], '--duration-filter');
        const transactionalIdPattern = v['transactional-id-pattern'];
        if (transactionalIdPattern !== undefined) {
          try {
            compileRe2jPattern(transactionalIdPattern);
          } catch (err) {
            throw new UsageError(`--transactional-id-pattern: ${(err as Error).message}`);
          }
        }
        const rows = await listTransactions(client, { ...(durationFilterMs !== undefined ? { durationFilterMs } : {}), ...(transactionalIdPattern ? { transactionalIdPattern } : {}) });
        await out(kafkaTable(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], rows.map((t) => [t.transactionalId, t.coordinatorId, t.producerId, t.state])));
        return 0;
      }
      case 'describe': {
        const d = await describeTransaction(client, required(v['transactional-id'], '--transactional-id'));
        const durationMs = d.transactionStartTimeMs < 0 ? -1 : Math.max(0, Date.now() - d.transactionStartTimeMs);
        const header = ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'];
        const row = [d.coordinatorId, d.transactionalId, d.producerId, d.producerEpoch, d.state, d.transactionTimeoutMs, noneIfNegative(d.transactionStartTimeMs), noneIfNegative(durationMs), d.partitions.map((p) => `${p.topic}-${p.partition}`).join(',')];
        await out(kafkaTable(header, [row]));
        return 0;
      }
      case 'describe-producers': {
        const topic = required(v.topic, '--topic');
        const partition = intFlag(required(v.partition, '--partition'), '--partition', { min: 0 })!;
        const brokerId = intFlag(v['broker-id'], '--broker-id', { min: 0 });
        const rows = await describeProducers(client, topic, partition, brokerId);
        const header = ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'];
        await out(kafkaTable(header, rows.map((p) => [p.producerId, p.producerEpoch, p.coordinatorEpoch, p.lastSequence, p.lastTimestamp, noneIfNegative(p.currentTxnStartOffset)])));
        return 0;
      }
      case 'abort': {
        const topic = required(v.topic, '--topic');
        const partition = intFlag(required(v.partition, '--partition'), '--partition', { min: 0 })!;
        let target: AbortTarget;
        if (v['start-offset'] !== undefined) {
          target = { startOffset: intFlag(v['start-offset'], '--start-offset', { min: 0 })! };
        } else if (v['producer-id'] !== undefined) {
          target = {
            producerId: intFlag(v['producer-id'], '--producer-id', { min: 0 })!,
            producerEpoch: intFlag(required(v['producer-epoch'], '--producer-epoch'), '--producer-epoch', { min: 0 })!,
            coordinatorEpoch: intFlag(required(v['coordinator-epoch'], '--coordinator-epoch'), '--coordinator-epoch', { min: 0 })!,
          };
        } else {
          throw new UsageError('The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)');
        }
        await abortTransaction(client, topic, partition, target);
        return 0;
      }
      case 'find-hanging': {
        const brokerId = intFlag(v['broker-id'], '--broker-id', { min: 0 });
        const partitionFlag = intFlag(v.partition, '--partition', { min: 0 });
        if (brokerId === undefined && v.topic === undefined) throw new UsageError('The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search');
        if (partitionFlag !== undefined && v.topic === undefined) throw new UsageError('The --partition argument requires --topic to be provided');
        const maxMinutes = intFlag(v['max-transaction-timeout'], '--max-transaction-timeout', { min: 0 }) ?? DEFAULT_MAX_TRANSACTION_TIMEOUT_MINUTES;
        const md = await client.metadata(v.topic !== undefined ? [v.topic] : null);
        const partitions: { topic: string; partition: number; brokerId?: number }[] = [];
        for (const t of md.topics) {
          if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && v.topic !== undefined) throw new CliError(`Topic '${v.topic}' does not exist`);
          for (const p of t.partitions) {
            if (partitionFlag !== undefined && p.partition !== partitionFlag) continue;
            if (brokerId !== undefined && !p.replicas.includes(brokerId)) continue;
            partitions.push({ topic: t.name, partition: p.partition, ...(brokerId !== undefined ? { brokerId } : {}) });
          }
        }
        const hanging = await findHangingTransactions(client, partitions, maxMinutes * 60_000);
        const header = ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)'];
        await out(kafkaTable(header, hanging.map((h) => [h.topic, h.partition, h.producerId, h.producerEpoch, h.coordinatorEpoch, h.startOffset, h.lastTimestamp, h.durationMinutes])));
        return 0;
      }
    }
    return 1;
  } finally {
    client.close();
  }
}
