// Message routes of the web console: read a window of one partition's records (from an
// offset or a timestamp, oldest or newest first) and produce one record. Both go over the
// Kafka protocol through the admin server's cluster client (cluster-client.ts) to the
// partition's leader, as any consumer or producer would, so every broker of a cluster
// answers for every partition. Keys, values and header values cross as base64, so binary
// data round-trips exactly; the console decides how to show them (text, JSON, hex).
//
// A read is bounded: at most MESSAGES_LIMIT_MAX records, READ_BYTES_MAX fetched bytes and
// READ_FETCHES_MAX fetches, none of which waits (maxWaitMs 0). Control batches (transaction
// markers) are not records and are left out; aborted records are shown (read_uncommitted),
// as kcat shows them.
import { z } from 'zod';
import { ErrorCode } from '../../protocol/errors.js';
import { KafkaClientError, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type KafkaClient } from '../../client/kafka-client.js';
import { decodeRecordBatches, encodeRecordBatch, type ConsumedRecord } from '../../client/record-batch.js';
import { Compression, COMPRESSION_NAMES, compressionName, type CompressionName } from '../../client/compression.js';
import { partitionForKey } from '../../client/partitioner.js';
import { AdminError, fromKafkaError } from '../errors.js';
import type { AdminContext } from '../context.js';
import { defineRoute, type AdminRoute } from '../route.js';

/** Most records one read answers. */
export const MESSAGES_LIMIT_MAX = 500;
const MESSAGES_LIMIT_DEFAULT = 50;
/** Most record-batch bytes one read fetches, whatever the limit (a console page, not a consumer). */
const READ_BYTES_MAX = 8 * 1024 * 1024;
const READ_FETCHES_MAX = 32;
const FETCH_PARTITION_BYTES = 1024 * 1024;

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64').refine((s) => s.length % 4 === 0, 'must be base64 (length a multiple of 4)');

const PartitionParams = z.object({
  name: z.string().describe('Topic name'),
  partition: z.coerce.number().int().min(0).describe('Partition index'),
}).strict();
const TopicParams = z.object({ name: z.string().describe('Topic name') }).strict();

export const ReadMessagesQuery = z.object({
  offset: z.coerce.number().int().min(0).optional().describe('Start here: the first record shown (oldest first) or the last (newest first). Clamped to the log.'),
  timestamp: z.coerce.number().int().min(0).optional().describe('Epoch ms: start at the first record with a timestamp at or after it (instead of offset)'),
  order: z.enum(['oldest', 'newest']).optional().describe('oldest: ascending from the start (default: the log start); newest (the default): descending from the start (default: the last record)'),
  limit: z.coerce.number().int().min(1).max(MESSAGES_LIMIT_MAX).optional().describe(`Records to answer, 1-${MESSAGES_LIMIT_MAX} (default ${MESSAGES_LIMIT_DEFAULT})`),
}).strict();

const HeaderSchema = z.object({ key: z.string(), value: z.string().nullable().describe('base64, or null') });

export const MessageSchema = z.object({
  offset: z.number().int(),
  timestamp: z.number().int().describe('Epoch ms'),
  timestampType: z.enum(['CreateTime', 'LogAppendTime']),
  key: z.string().nullable().describe('base64, or null'),
  value: z.string().nullable().describe('base64, or null (a tombstone)'),
  headers: z.array(HeaderSchema),
  compression: z.string().describe('The codec of the batch the record came in: none, gzip, snappy, lz4, zstd'),
  sizeBytes: z.number().int().describe('Key, value and headers, uncompressed'),
  transactional: z.boolean(),
});

export const MessagesSchema = z.object({
  topic: z.string(),
  partition: z.number().int(),
  logStartOffset: z.number().int(),
  highWatermark: z.number().int().describe('Consumers read up to here (exclusive)'),
  order: z.enum(['oldest', 'newest']),
  messages: z.array(MessageSchema),
  truncated: z.boolean().describe('The read stopped at its byte budget before it had `limit` records'),
});

export const ProduceBody = z.object({
  partition: z.number().int().min(0).optional().describe("Partition; with a key, the key's partition (murmur2, as Kafka's default partitioner); else partition 0"),
  key: z.string().nullable().optional().describe('The key (text, or base64 with encoding base64); null or omitted for none'),
  value: z.string().nullable().describe('The value (text, or base64 with encoding base64); null for a tombstone'),
  encoding: z.enum(['text', 'base64']).optional().describe('How key, value and header values are given (default text, sent as UTF-8)'),
  headers: z.array(z.object({ key: z.string().min(1), value: z.string().nullable() }).strict()).max(100).optional(),
  compression: z.enum(COMPRESSION_NAMES as [CompressionName, ...CompressionName[]]).optional().describe('Codec of the batch (default none)'),
  timestamp: z.number().int().min(0).optional().describe('CreateTime, epoch ms (default now)'),
}).strict();

export const ProducedSchema = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.number().int(),
  timestamp: z.number().int(),
});

const b64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'));

function toMessage(r: ConsumedRecord, compression: number, transactional: boolean): z.input<typeof MessageSchema> {
  return {
    offset: r.offset,
    timestamp: r.timestampMs,
    timestampType: r.timestampType,
    key: b64(r.key),
    value: b64(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: b64(h.value) })),
    compression: compressionName(compression),
    sizeBytes: (r.key?.length ?? 0) + (r.value?.length ?? 0) + r.headers.reduce((s, h) => s + Buffer.byteLength(h.key) + (h.value?.length ?? 0), 0),
    transactional,
  };
}

/** A Kafka client failure as an admin error: the partition's state is the broker's answer. */
function fromClient(err: unknown, subject: string): AdminError {
  if (err instanceof AdminError) return err;
  if (err instanceof KafkaClientError && err.errorCode !== undefined) return partitionError(err.errorCode, subject, err.message);
  return new AdminError('TIDELOG_ERR_LEADER_NOT_AVAILABLE', `${subject}: ${(err as Error).message}`);
}

function partitionError(errorCode: number, subject: string, message: string | null = null): AdminError {
  switch (errorCode) {
    case ErrorCode.LEADER_NOT_AVAILABLE:
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.REPLICA_NOT_AVAILABLE:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return new AdminError('TIDELOG_ERR_LEADER_NOT_AVAILABLE', `${subject}: ${message ?? 'the partition has no leader that answers'} (retry).`);
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return new AdminError('TIDELOG_ERR_MESSAGE_TOO_LARGE', `${subject}: the record is larger than the topic accepts (max.message.bytes).`);
    case ErrorCode.INVALID_RECORD:
    case ErrorCode.CORRUPT_MESSAGE:
      return new AdminError('TIDELOG_ERR_MESSAGE_INVALID', `${subject}: the broker refused the record${message ? `: ${message}` : ''} (a compacted topic needs a key).`);
    default:
      return fromKafkaError(errorCode, message, subject);
  }
}

export function messageRoutes(ctx: AdminContext): AdminRoute[] {
  /** The topic from this broker's metadata (cluster-wide), refusing unknown topics and partitions before any Kafka call. */
  const partitionsOf = (topic: string, partition?: number): number => {
    const t = ctx.services.topics.getTopic(topic);
    if (!t) throw new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', `Topic ${topic} does not exist.`);
    if (partition !== undefined && !t.partitions.some((p) => p.partition === partition)) {
      throw new AdminError('TIDELOG_ERR_PARTITION_NOT_FOUND', `Topic ${topic} has no partition ${partition}; it has ${t.partitions.length}.`);
    }
    return t.partitions.length;
  };

  const client = async (topic: string): Promise<KafkaClient> => {
    const c = await ctx.kafkaClient();
    // Fresh metadata: the topic may have been re-created or its leader moved since the last call.
    await c.topic(topic, { refresh: true });
    return c;
  };

  return [
    defineRoute({
      method: 'GET',
      url: '/v1/topics/:name/partitions/:partition/messages',
      operationId: 'readMessages',
      tag: 'messages',
      summary: "A window of a partition's records, oldest or newest first",
      description:
        `From offset (or the first record at or after timestamp) up to limit records: ascending with order=oldest, descending with order=newest (the default, from the last record). Keys, values and header values are base64. At most ${MESSAGES_LIMIT_MAX} records and ${READ_BYTES_MAX} fetched bytes per read.`,
      params: PartitionParams,
      query: ReadMessagesQuery,
      response: { status: 200, description: 'The records', schema: MessagesSchema },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_PARTITION_NOT_FOUND', 'TIDELOG_ERR_LEADER_NOT_AVAILABLE'],
      handle: async ({ params, query }) => {
        const { name: topic, partition } = params;
        const subject = `${topic}-${partition}`;
        partitionsOf(topic, partition);
        if (query.offset !== undefined && query.timestamp !== undefined) {
          throw new AdminError('TIDELOG_ERR_VALIDATION', 'Give offset or timestamp, not both.', [{ path: 'query.timestamp', message: 'not allowed with offset' }]);
        }
        const order = query.order ?? 'newest';
        const limit = query.limit ?? MESSAGES_LIMIT_DEFAULT;
        try {
          const c = await client(topic);
          const offsetAt = async (timestamp: number) => {
            const r = (await c.listOffsets(topic, [partition], timestamp)).get(partition);
            if (!r || r.errorCode !== ErrorCode.NONE) throw partitionError(r?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, subject);
            return r.offset;
          };
          const logStartOffset = await offsetAt(EARLIEST_TIMESTAMP);
          const highWatermark = await offsetAt(LATEST_TIMESTAMP);
          let start: number;
          if (query.timestamp !== undefined) {
            const at = await offsetAt(query.timestamp);
            start = at < 0 ? highWatermark : at;
          } else {
            start = query.offset ?? (order === 'oldest' ? logStartOffset : highWatermark - 1);
          }
          // oldest: [start, start+limit); newest: the limit records at or before start.
          let from: number;
          let until: number;
          if (order === 'oldest') {
            from = Math.max(start, logStartOffset);
            until = Math.min(highWatermark, from + limit);
          } else {
            until = Math.min(start + 1, highWatermark);
            from = Math.max(logStartOffset, until - limit);
          }
          const out: z.input<typeof MessageSchema>[] = [];
          let next = from;
          let bytes = 0;
          let truncated = false;
          for (let i = 0; next < until && out.length < limit; i++) {
            if (i >= READ_FETCHES_MAX || bytes >= READ_BYTES_MAX) {
              truncated = true;
              break;
            }
            const [r] = await c.fetch([{ topic, partition, offset: next, maxBytes: FETCH_PARTITION_BYTES }], { maxWaitMs: 0, minBytes: 0, maxBytes: FETCH_PARTITION_BYTES });
            if (!r) break;
            if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) break; // retention moved the log start meanwhile
            if (r.errorCode !== ErrorCode.NONE) throw partitionError(r.errorCode, subject);
            const records = r.records ?? Buffer.alloc(0);
            const { batches } = decodeRecordBatches(records);
            if (batches.length === 0) break;
            bytes += records.length;
            for (const b of batches) {
              if (!b.isControl) {
                for (const rec of b.records) if (rec.offset >= next && rec.offset < until) out.push(toMessage(rec, b.compression, b.isTransactional));
              }
              next = Math.max(next, b.lastOffset + 1);
            }
          }
          const window = order === 'oldest' ? out.slice(0, limit) : out.slice(-limit).reverse();
          return { topic, partition, logStartOffset, highWatermark, order, messages: window, truncated };
        } catch (err) {
          throw fromClient(err, subject);
        }
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/topics/:name/messages',
      operationId: 'produceMessage',
      tag: 'messages',
      summary: 'Produce one record (acks=all)',
      description: 'Key, value and header values as text (UTF-8) or base64. Answers the offset once the record is committed (acks=all).',
      params: TopicParams,
      body: ProduceBody,
      response: { status: 201, description: 'Where the record was written', schema: ProducedSchema },
      errors: ['TIDELOG_ERR_TOPIC_NOT_FOUND', 'TIDELOG_ERR_PARTITION_NOT_FOUND', 'TIDELOG_ERR_LEADER_NOT_AVAILABLE', 'TIDELOG_ERR_MESSAGE_TOO_LARGE', 'TIDELOG_ERR_MESSAGE_INVALID'],
      handle: async ({ params, body }) => {
        const topic = params.name;
        const base64 = body.encoding === 'base64';
        const bytes = (s: string | null | undefined, path: string): Buffer | null => {
          if (s === null || s === undefined) return null;
          if (!base64) return Buffer.from(s, 'utf8');
          if (!Base64.safeParse(s).success) throw new AdminError('TIDELOG_ERR_VALIDATION', `Invalid request: ${path}: must be base64`, [{ path, message: 'must be base64' }]);
          return Buffer.from(s, 'base64');
        };
        const key = bytes(body.key, 'body.key');
        const value = bytes(body.value, 'body.value');
        const headers = (body.headers ?? []).map((h, i) => ({ key: h.key, value: bytes(h.value, `body.headers.${i}.value`) }));
        const count = partitionsOf(topic, body.partition);
        const partition = body.partition ?? (key ? partitionForKey(key, count) : 0);
        const timestamp = body.timestamp ?? Date.now();
        const subject = `${topic}-${partition}`;
        const batch = encodeRecordBatch([{ key, value, headers, timestampMs: timestamp }], { compression: Compression[body.compression ?? 'none'], timestampMs: timestamp });
        try {
          const c = await client(topic);
          const r = await c.produce(topic, partition, batch, { acks: -1 });
          if (r.errorCode !== ErrorCode.NONE) throw partitionError(r.errorCode, subject, r.errorMessage);
          return { topic, partition, offset: r.baseOffset, timestamp };
        } catch (err) {
          throw fromClient(err, subject);
        }
      },
    }),
  ];
}
