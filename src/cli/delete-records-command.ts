// `tidelog delete-records`: Kafka's kafka-delete-records.sh (org.apache.kafka.tools.DeleteRecordsCommand)
// over DeleteRecords. Owns reading Kafka's offset JSON file
// ({"partitions":[{"topic":"t","partition":0,"offset":5}],"version":1}; offset -1 = the high
// watermark) and Kafka's output lines: "partition: t-0\tlow_watermark: 5", or "\terror: ..." for
// a partition that failed (then the exit status is 1).
import { readFileSync } from 'node:fs';
import { ErrorCode, errorMessage, errorName } from '../protocol/errors.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, out, parseFlags } from './common.js';
import { UsageError } from './usage-error.js';

const HELP = `Usage: tidelog delete-records --bootstrap-server HOST:PORT --offset-json-file FILE

Delete the records of partitions below an offset (as kafka-delete-records.sh): each partition's
log start offset moves up to the offset given (-1: the high watermark).

Options:
  --offset-json-file FILE   {"partitions":[{"topic":"orders","partition":0,"offset":5}],"version":1}
${CONNECTION_HELP}`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  'offset-json-file': { type: 'string' },
} as const;

interface DeleteSpec {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export async function runDeleteRecords(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (v['offset-json-file'] === undefined) throw new UsageError('--offset-json-file FILE is required');
  const specs = readOffsetJson(v['offset-json-file']);

  const client = await connectClient(v, 'tidelog-delete-records');
  try {
    await out('Executing records delete operation\n');
    const results = await client.deleteRecords(specs);
    const lines = ['Records delete operation completed:'];
    let failed = 0;
    for (const r of [...results].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))) {
      if (r.errorCode === ErrorCode.NONE) lines.push(`partition: ${r.topic}-${r.partition}\tlow_watermark: ${r.lowWatermark}`);
      else {
        failed++;
        lines.push(`partition: ${r.topic}-${r.partition}\terror: ${errorName(r.errorCode)}: ${errorMessage(r.errorCode)}`);
      }
    }
    await out(lines.map((l) => `${l}\n`).join(''));
    return failed === 0 ? 0 : 1;
  } finally {
    client.close();
  }
}

/** Kafka's offset JSON (DeleteRecordsCommand.parseOffsetJsonStringWithoutDedup), checked field by field. */
export function readOffsetJson(file: string): DeleteSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--offset-json-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--offset-json-file ${file} is not JSON: ${(err as Error).message}`);
  }
  const doc = json as { version?: unknown; partitions?: unknown };
  if (typeof json !== 'object' || json === null) throw new UsageError(`--offset-json-file ${file}: expected an object with "partitions"`);
  if (doc.version !== undefined && doc.version !== 1) throw new UsageError(`--offset-json-file ${file}: not supported version field value ${JSON.stringify(doc.version)}`);
  if (!Array.isArray(doc.partitions)) throw new UsageError(`--offset-json-file ${file}: missing "partitions" array`);
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const specs = doc.partitions.map((p: unknown, i: number) => {
    const e = p as { topic?: unknown; partition?: unknown; offset?: unknown };
    if (typeof e?.topic !== 'string' || !Number.isInteger(e.partition) || !Number.isInteger(e.offset)) {
      throw new UsageError(`--offset-json-file ${file}: partitions[${i}] needs "topic" (string), "partition" and "offset" (integers)`);
    }
    const key = `${e.topic}-${e.partition as number}`;
    if (seen.has(key)) duplicates.add(key);
    seen.add(key);
    return { topic: e.topic, partition: e.partition as number, offset: e.offset as number };
  });
  if (duplicates.size > 0) throw new UsageError(`Offset json file contains duplicate topic partitions: ${[...duplicates].join(',')}`);
  if (specs.length === 0) throw new UsageError(`--offset-json-file ${file}: no partitions`);
  return specs;
}
