// `tidelog console-producer`: Kafka's kafka-console-producer.sh: one record per stdin line,
// optionally "key<separator>value" (--property parse.key=true), batched per partition
// (batch.size bytes or linger.ms, whichever first) into v2 record batches written here,
// uncompressed or compressed with gzip, snappy, lz4 or zstd. Keyed records go to murmur2(key) % partitions as Kafka's
// default partitioner; unkeyed ones stick to a partition per batch (KIP-480). Records of one
// partition are sent in order; the first failed batch stops the tool with its error.
import { createInterface } from 'node:readline';
import { ErrorCode } from '../protocol/errors.js';
import { Compression, COMPRESSION_NAMES, type CompressionName } from '../client/compression.js';
import { encodeRecordBatch, type ProducerRecord } from '../client/record-batch.js';
import { partitionForKey } from '../client/partitioner.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, clientSettings, connectClient, mergedProperties, intFlag, kafkaError, parseFlags, parseKeyValues } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog console-producer --bootstrap-server HOST:PORT --topic NAME [options] < lines

Sends each line of standard input as a record (as kafka-console-producer.sh).

Options:
  --topic NAME                    The topic (created if the broker auto-creates topics)
  --property parse.key=true       Read "key<TAB>value" lines (the separator is key.separator)
  --property key.separator=SEP    Separator of key and value (default: a tab)
  --producer-property KEY=VALUE   acks (all, -1, 1, 0; default all), linger.ms (default 5),
                                  batch.size (bytes, default 16384), compression.type
  --request-required-acks ACKS    Same as --producer-property acks=ACKS
  --compression-codec CODEC       none (default), gzip, snappy, lz4 or zstd
  --producer.config FILE          Producer properties file (the keys above, client.id,
                                  request.timeout.ms); --producer-property wins over it
${CONNECTION_HELP}

Example:
  printf 'k1\\thello\\nk2\\tworld\\n' | tidelog console-producer --bootstrap-server 127.0.0.1:9092 --topic greetings --property parse.key=true`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  topic: { type: 'string' },
  property: { type: 'string', multiple: true },
  'producer-property': { type: 'string', multiple: true },
  'request-required-acks': { type: 'string' },
  'compression-codec': { type: 'string' },
  'producer.config': { type: 'string' },
} as const;

/** Most batches in flight before reading more input. */
const IN_FLIGHT_MAX = 16;

export function parseAcks(value: string | undefined): number {
  if (value === undefined || value === 'all' || value === '-1') return -1;
  if (value === '0' || value === '1') return Number(value);
  throw new UsageError(`acks must be all, -1, 0 or 1, got '${value}'`);
}

export function parseCompression(value: string | undefined): number {
  const name = (value ?? 'none') as CompressionName;
  if (!COMPRESSION_NAMES.includes(name)) throw new UsageError(`unknown compression codec '${value}': use none, gzip, snappy, lz4 or zstd`);
  return Compression[name];
}

export async function runConsoleProducer(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.topic) throw new UsageError('--topic is required');
  const props = parseKeyValues(v.property, '--property');
  const producerProps = mergedProperties(v['producer.config'], '--producer.config', parseKeyValues(v['producer-property'], '--producer-property'));
  const parseKey = props['parse.key'] === 'true';
  const keySeparator = props['key.separator'] ?? '\t';
  const acks = parseAcks(v['request-required-acks'] ?? producerProps.acks);
  const compression = parseCompression(v['compression-codec'] ?? producerProps['compression.type']);
  const lingerMs = intFlag(producerProps['linger.ms'], 'linger.ms', { min: 0 }) ?? 5;
  const batchBytes = intFlag(producerProps['batch.size'], 'batch.size', { min: 1 }) ?? 16_384;
  const topicName = v.topic;

  const client = await connectClient(v, producerProps['client.id'] ?? 'tidelog-console-producer', clientSettings(producerProps, '--producer.config').requestTimeoutMs, producerProps);
  try {
    const topic = await client.topic(topicName, { autoCreate: true });
    const partitionCount = topic.partitions.length;
    const pending = new Map<number, { records: ProducerRecord[]; bytes: number; timer: NodeJS.Timeout | null }>();
    const chains = new Map<number, Promise<void>>();
    const inFlight = new Set<Promise<void>>();
    let failure: Error | null = null;
    let sticky = Math.floor(Math.random() * partitionCount);

    const flush = (partition: number) => {
      const batch = pending.get(partition);
      if (!batch) return;
      pending.delete(partition);
      if (batch.timer) clearTimeout(batch.timer);
      if (partition === sticky) sticky = (sticky + 1) % partitionCount;
      const bytes = encodeRecordBatch(batch.records, { compression });
      const send = (chains.get(partition) ?? Promise.resolve()).then(async () => {
        if (failure) return;
        const r = await client.produce(topicName, partition, bytes, { acks });
        if (r.errorCode !== ErrorCode.NONE) failure ??= kafkaError(`cannot produce to ${topicName}-${partition}`, r.errorCode, r.errorMessage);
      });
      const tracked = send.catch((err: unknown) => {
        failure ??= err as Error;
      });
      chains.set(partition, tracked);
      inFlight.add(tracked);
      void tracked.finally(() => inFlight.delete(tracked));
    };

    const add = (record: ProducerRecord) => {
      const partition = record.key ? partitionForKey(record.key, partitionCount) : sticky;
      let batch = pending.get(partition);
      if (!batch) {
        batch = { records: [], bytes: 0, timer: null };
        pending.set(partition, batch);
        batch.timer = setTimeout(() => flush(partition), lingerMs);
      }
      batch.records.push(record);
      batch.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0) + 16;
      if (batch.bytes >= batchBytes) flush(partition);
    };

    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
      if (failure) break;
      if (parseKey) {
        const at = line.indexOf(keySeparator);
        if (at < 0) throw new CliError(`no key separator ${JSON.stringify(keySeparator)} in line: ${line.length > 80 ? `${line.slice(0, 80)}...` : line}`);
        add({ key: Buffer.from(line.slice(0, at)), value: Buffer.from(line.slice(at + keySeparator.length)) });
      } else {
        add({ key: null, value: Buffer.from(line) });
      }
      while (inFlight.size >= IN_FLIGHT_MAX) await Promise.race(inFlight);
    }
    for (const partition of [...pending.keys()]) flush(partition);
    await Promise.all(inFlight);
    if (failure) throw failure;
    return 0;
  } finally {
    client.close();
  }
}
