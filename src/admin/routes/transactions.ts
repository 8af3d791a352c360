// Transaction routes: what `tidelog transactions` (kafka-transactions.sh) does, over HTTP:
// list the transactions of every coordinator, describe one transactional id, the producers
// of a partition, hanging transactions, and the abort of one producer's open transaction on
// one partition. Each goes over the Kafka protocol to the coordinator or leader concerned
// (client/transaction-admin.ts, shared with the CLI), from any broker of the cluster.
import { z } from 'zod';
import { KafkaClientError, type KafkaClient } from '../../client/kafka-client.js';
import { abortTransaction, describeProducers, describeTransaction, findHangingTransactions, listTransactions, NoOpenTransactionError } from '../../client/transaction-admin.js';
import { AdminError, fromKafkaError } from '../errors.js';
import type { AdminContext } from '../context.js';
import { defineRoute, type AdminRoute } from '../route.js';

const TransactionListSchema = z.object({
  transactions: z.array(
    z.object({
      transactionalId: z.string(),
      coordinatorId: z.number().int().describe('The broker coordinating it'),
      producerId: z.number().int(),
      state: z.string().describe('Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence, Dead'),
    }),
  ),
});

const TransactionSchema = z.object({
  coordinatorId: z.number().int(),
  transactionalId: z.string(),
  producerId: z.number().int(),
  producerEpoch: z.number().int(),
  state: z.string(),
  transactionTimeoutMs: z.number().int(),
  transactionStartTimeMs: z.number().int().describe('-1 when no transaction is open'),
  partitions: z.array(z.object({ topic: z.string(), partition: z.number().int() })).describe('The partitions of the open transaction'),
});

const ProducerSchema = z.object({
  producerId: z.number().int(),
  producerEpoch: z.number().int(),
  coordinatorEpoch: z.number().int().describe('-1 before the first marker'),
  lastSequence: z.number().int(),
  lastTimestamp: z.number().int(),
  currentTxnStartOffset: z.number().int().describe('First offset of the open transaction; -1 for none'),
});

const HangingSchema = z.object({
  transactions: z.array(
    z.object({
      topic: z.string(),
      partition: z.number().int(),
      producerId: z.number().int(),
      producerEpoch: z.number().int(),
      coordinatorEpoch: z.number().int(),
      startOffset: z.number().int(),
      lastTimestamp: z.number().int(),
      durationMinutes: z.number().int(),
    }),
  ),
});

const PartitionParams = z.object({ name: z.string().describe('Topic name'), partition: z.coerce.number().int().min(0).describe('Partition') });

const AbortBody = z.union([
  z.object({ startOffset: z.number().int().min(0).describe('The first offset of the transaction to abort') }).strict(),
  z.object({ producerId: z.number().int().min(0), producerEpoch: z.number().int().min(0), coordinatorEpoch: z.number().int().min(0) }).strict(),
]);

/** Runs a cluster call: Kafka errors become admin errors, an unreachable broker a 503. */
async function overKafka<T>(ctx: AdminContext, subject: string, call: (client: KafkaClient) => Promise<T>): Promise<T> {
  try {
    return await call(await ctx.kafkaClient());
  } catch (err) {
    if (err instanceof AdminError) throw err;
    if (err instanceof NoOpenTransactionError) throw new AdminError('TIDELOG_ERR_NO_OPEN_TRANSACTION', err.message);
    if (err instanceof KafkaClientError && err.errorCode !== undefined) throw fromKafkaError(err.errorCode, null, subject);
    throw new AdminError('TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE', `${subject}: ${(err as Error).message}`);
  }
}

export function transactionRoutes(ctx: AdminContext): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/transactions',
      operationId: 'listTransactions',
      tag: 'transactions',
      summary: 'The transactions every coordinator of the cluster knows, by transactional id',
      query: z.object({ durationFilterMs: z.coerce.number().int().optional().describe('Only transactions open longer than this') }).strict(),
      response: { status: 200, description: 'The transactions', schema: TransactionListSchema },
      errors: ['TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: ({ query }) => overKafka(ctx, 'ListTransactions', async (client) => ({ transactions: await listTransactions(client, query.durationFilterMs !== undefined ? { durationFilterMs: query.durationFilterMs } : {}) })),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/transactions/hanging',
      operationId: 'findHangingTransactions',
      tag: 'transactions',
      summary: 'Transactions open on a partition longer than the longest timeout that no coordinator knows of',
      query: z
        .object({
          topic: z.string().optional().describe('Only this topic'),
          brokerId: z.coerce.number().int().min(0).optional().describe('Only the partitions this broker holds'),
          maxTransactionTimeoutMinutes: z.coerce.number().int().min(0).optional().describe('Default 15 (transaction.max.timeout.ms)'),
        })
        .strict(),
      response: { status: 200, description: 'The hanging transactions', schema: HangingSchema },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: ({ query }) =>
        overKafka(ctx, query.topic ?? 'find-hanging', async (client) => {
          const md = await client.metadata(query.topic !== undefined ? [query.topic] : null);
          const partitions = md.topics
            .filter((t) => t.errorCode === 0)
            .flatMap((t) => t.partitions.filter((p) => query.brokerId === undefined || p.replicas.includes(query.brokerId)).map((p) => ({ topic: t.name, partition: p.partition, ...(query.brokerId !== undefined ? { brokerId: query.brokerId } : {}) })));
          if (query.topic !== undefined && partitions.length === 0 && query.brokerId === undefined) throw new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', `Topic ${query.topic} does not exist.`);
          return { transactions: await findHangingTransactions(client, partitions, (query.maxTransactionTimeoutMinutes ?? 15) * 60_000) };
        }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/transactions/:id',
      operationId: 'describeTransaction',
      tag: 'transactions',
      summary: "A transactional id's state at its coordinator",
      params: z.object({ id: z.string().describe('Transactional id') }),
      response: { status: 200, description: 'The transactional id', schema: TransactionSchema },
      errors: ['TIDELOG_ERR_TRANSACTION_NOT_FOUND', 'TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: ({ params }) => overKafka(ctx, params.id, async (client) => describeTransaction(client, params.id).then((d) => ({ ...d, partitions: [...d.partitions] }))),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/topics/:name/partitions/:partition/producers',
      operationId: 'describeProducers',
      tag: 'transactions',
      summary: "The active producers of a partition, at its leader: epochs, sequences, open transactions",
      params: PartitionParams,
      response: { status: 200, description: 'The producers', schema: z.object({ producers: z.array(ProducerSchema) }) },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: ({ params }) => overKafka(ctx, params.name, async (client) => ({ producers: await describeProducers(client, params.name, params.partition) })),
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/topics/:name/partitions/:partition/transactions/abort',
      operationId: 'abortTransaction',
      tag: 'transactions',
      summary: "Abort one producer's open transaction on a partition (a hanging transaction)",
      description: 'Name the transaction by its start offset (see the producers route), or by producer id, epoch and coordinator epoch. The partition leader writes an ABORT marker, as the coordinator would have.',
      params: PartitionParams,
      body: AbortBody,
      response: { status: 200, description: 'The producer whose transaction was aborted', schema: z.object({ producerId: z.number().int(), producerEpoch: z.number().int(), coordinatorEpoch: z.number().int() }) },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_NO_OPEN_TRANSACTION', 'TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE'],
      handle: ({ params, body }) => overKafka(ctx, params.name, async (client) => abortTransaction(client, params.name, params.partition, body)),
    }),
  ];
}
