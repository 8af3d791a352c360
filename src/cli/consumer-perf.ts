// `tidelog consumer-perf`: Kafka's ConsumerPerformance (kafka-consumer-perf-test.sh): reads
// --messages records of a topic as fast as it can (from the beginning, or the end with
// --from-latest), decoding every batch, and reports Kafka's columns: start.time, end.time,
// data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
// fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec; a progress line every 5 s on stderr; --json
// for machines. With --group it joins the group (rebalance.time.ms is the join) and commits
// at the end.
import { ErrorCode, errorName } from '../protocol/errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../client/kafka-client.js';
import { GroupMember } from '../client/group-member.js';
import { decodeRecordBatches } from '../client/record-batch.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, clientSettings, connectClient, mergedProperties, intFlag, out, parseFlags } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog consumer-perf --bootstrap-server HOST:PORT --topic NAME --messages N [options]

Measures consume throughput (as kafka-consumer-perf-test.sh).

Options:
  --topic NAME              The topic
  --messages N              Records to consume (--num-records N is the same)
  --from-latest             Start at the end of the log (default: the beginning)
  --group ID                Consume as a member of this group and commit at the end
  --fetch-size BYTES        Bytes per partition per fetch (default 1048576)
  --timeout MS              Give up when no record arrived for MS milliseconds (default 10000)
  --reporting-interval MS   How often to print a progress line on stderr (default 5000)
  --show-detailed-stats     Print Kafka's per-interval stats lines on stdout instead of the summary
  --consumer.config FILE    Consumer properties file: client.id, request.timeout.ms
  --hide-header             Print the values line only
  --json                    Print the result as one JSON object
${CONNECTION_HELP}

Example:
  tidelog consumer-perf --bootstrap-server 127.0.0.1:9092 --topic perf --messages 100000`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  topic: { type: 'string' },
  messages: { type: 'string' },
  'num-records': { type: 'string' },
  'from-latest': { type: 'boolean' },
  group: { type: 'string' },
  'fetch-size': { type: 'string' },
  timeout: { type: 'string' },
  'hide-header': { type: 'boolean' },
  'show-detailed-stats': { type: 'boolean' },
  'reporting-interval': { type: 'string' },
  'consumer.config': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const REPORT_INTERVAL_MS = 5000;

const DETAILED_HEADER = 'time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec';

/** One --show-detailed-stats line (Kafka's ConsumerPerformance.printConsumerProgress, thread id 0): totals, then the interval's rates. */
function detailedLine(endMs: number, startMs: number, bytes: number, lastBytes: number, count: number, lastCount: number, joinMs: number): string {
  const mb = bytes / 1024 / 1024;
  const lastMb = lastBytes / 1024 / 1024;
  const elapsedMs = Math.max(1, endMs - startMs);
  const fetchMs = Math.max(1, elapsedMs - joinMs);
  const rates = [1000 * ((mb - lastMb) / elapsedMs), ((count - lastCount) / elapsedMs) * 1000];
  return [kafkaDate(endMs), 0, mb.toFixed(4), rates[0]!.toFixed(4), count, rates[1]!.toFixed(4), joinMs, elapsedMs - joinMs, ((1000 * (mb - lastMb)) / fetchMs).toFixed(4), (((count - lastCount) / fetchMs) * 1000).toFixed(4)].join(', ');
}

/** Kafka's "yyyy-MM-dd HH:mm:ss:SSS" in local time. */
function kafkaDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

export async function runConsumerPerf(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.topic) throw new UsageError('--topic is required');
  const messages = intFlag(v.messages ?? v['num-records'], '--messages', { min: 1 });
  if (messages === undefined) throw new UsageError('--messages is required');
  const fetchSize = intFlag(v['fetch-size'], '--fetch-size', { min: 1 }) ?? 1024 * 1024;
  const timeoutMs = intFlag(v.timeout, '--timeout', { min: 1 }) ?? 10_000;
  const reportMs = intFlag(v['reporting-interval'], '--reporting-interval', { min: 1 }) ?? REPORT_INTERVAL_MS;
  const topicName = v.topic;

  const consumerProps = mergedProperties(v['consumer.config'], '--consumer.config', {});
  const client = await connectClient(v, consumerProps['client.id'] ?? 'tidelog-consumer-perf', clientSettings(consumerProps, '--consumer.config').requestTimeoutMs, consumerProps);
  const member = v.group !== undefined ? new GroupMember(client, { groupId: v.group, topics: [topicName] }) : null;
  try {
    const topic = await client.topic(topicName);
    const startMs = Date.now();
    let partitions = topic.partitions.map((p) => p.partition);
    let rebalanceMs = 0;
    if (member) {
      const t0 = performance.now();
      partitions = [...((await member.join()).find((a) => a.topic === topicName)?.partitions ?? [])];
      rebalanceMs = performance.now() - t0;
    }
    const starts = await client.listOffsets(topicName, partitions, v['from-latest'] ? LATEST_TIMESTAMP : EARLIEST_TIMESTAMP);
    const positions = partitions.map((p) => {
      const o = starts.get(p);
      if (!o || o.errorCode !== ErrorCode.NONE) throw new CliError(`cannot list offsets of ${topicName}-${p}: ${errorName(o?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR)}`);
      return { topic: topicName, partition: p, offset: o.offset };
    });
    const fetchStart = performance.now();
    let count = 0;
    let bytes = 0;
    let lastRecordAt = performance.now();
    let window = { at: performance.now(), atMs: Date.now(), count: 0, bytes: 0 };
    const detailed = v['show-detailed-stats'] === true;
    if (detailed && !v['hide-header'] && !v.json) await out(`${DETAILED_HEADER}\n`);
    const progress = setInterval(() => {
      const s = (performance.now() - window.at) / 1000;
      // Kafka reports when a record arrives after the interval: an idle interval prints nothing.
      if (detailed && count === window.count) return;
      if (detailed && !v.json) process.stdout.write(`${detailedLine(Date.now(), window.atMs, bytes, window.bytes, count, window.count, Math.round(rebalanceMs))}\n`);
      else process.stderr.write(`${count} records consumed, ${((count - window.count) / s).toFixed(1)} records/sec (${((bytes - window.bytes) / s / 1024 / 1024).toFixed(2)} MB/sec)\n`);
      // Kafka counts the rebalance once, in the first interval.
      if (detailed) rebalanceMs = 0;
      window = { at: performance.now(), atMs: Date.now(), count, bytes };
    }, reportMs);
    progress.unref();
    try {
      while (count < messages && positions.length > 0) {
        const results = await client.fetch(positions.map((p) => ({ ...p, maxBytes: fetchSize })), { maxWaitMs: 500 });
        for (const r of results) {
          if (r.errorCode !== ErrorCode.NONE) throw new CliError(`cannot fetch ${r.topic}-${r.partition}: ${errorName(r.errorCode)}`);
          const pos = positions.find((p) => p.partition === r.partition)!;
          if (!r.records || r.records.length === 0) continue;
          for (const batch of decodeRecordBatches(r.records).batches) {
            for (const record of batch.records) {
              if (record.offset < pos.offset || batch.isControl || count >= messages) continue;
              count++;
              bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
              lastRecordAt = performance.now();
            }
            pos.offset = Math.max(pos.offset, batch.lastOffset + 1);
          }
        }
        if (performance.now() - lastRecordAt > timeoutMs) {
          process.stderr.write(`WARNING: Exiting before consuming the expected number of messages: timeout (${timeoutMs} ms) exceeded.\n`);
          break;
        }
      }
    } finally {
      clearInterval(progress);
    }
    if (member) await member.commit(positions).catch(() => {});
    const endMs = Date.now();
    const elapsedS = Math.max(1e-3, (endMs - startMs) / 1000);
    const fetchMs = performance.now() - fetchStart;
    const mb = bytes / 1024 / 1024;
    const result = {
      startTime: kafkaDate(startMs),
      endTime: kafkaDate(endMs),
      dataConsumedMB: mb,
      mbPerSec: mb / elapsedS,
      records: count,
      recordsPerSec: count / elapsedS,
      rebalanceTimeMs: Math.round(rebalanceMs),
      fetchTimeMs: Math.round(fetchMs),
      fetchMBPerSec: mb / Math.max(1e-3, fetchMs / 1000),
      fetchRecordsPerSec: count / Math.max(1e-3, fetchMs / 1000),
    };
    if (v.json) {
      await out(`${JSON.stringify(result)}\n`);
    } else if (detailed) {
      // Kafka prints no summary with --show-detailed-stats; the last interval is the records since the last line.
      if (count > window.count) await out(`${detailedLine(endMs, window.atMs, bytes, window.bytes, count, window.count, Math.round(rebalanceMs))}\n`);
    } else {
      const header = 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec';
      const line = [result.startTime, result.endTime, mb.toFixed(4), result.mbPerSec.toFixed(4), count, result.recordsPerSec.toFixed(4), result.rebalanceTimeMs, result.fetchTimeMs, result.fetchMBPerSec.toFixed(4), result.fetchRecordsPerSec.toFixed(4)].join(', ');
      await out(v['hide-header'] ? `${line}\n` : `${header}\n${line}\n`);
    }
    return 0;
  } finally {
    await member?.leave();
    client.close();
  }
}
