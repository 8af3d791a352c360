// `tidelog dump-log`: Kafka's kafka-dump-log.sh (org.apache.kafka.tools.DumpLogSegments) for
// segment (.log), offset index (.index) and time index (.timeindex) files read straight from
// disk: Tidelog's and Kafka's, which share the format. Owns the file walk and Kafka's lines:
//   Dumping <file>
//   Log starting offset: 0
//   baseOffset: 0 lastOffset: 2 count: 3 baseSequence: -1 lastSequence: -1 producerId: -1 ... isvalid: true
//   | offset: 0 CreateTime: 1700000000000 keySize: 1 valueSize: 1 sequence: -1 headerKeys: [] key: k payload: v
//   offset: 10 position: 1234                     (offset index)
//   timestamp: 1700000000000 offset: 10           (time index)
// and, on stderr after every file as Kafka prints them, index entries that do not name a
// batch's last offset, time index timestamps that do not match, and offset gaps.
// Batch headers are read with records/batch-header.ts and records with the client's decoder
// (client/record-batch.ts): no second codec. --offsets-decoder reads __consumer_offsets
// records with groups/offsets-records.ts.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { decodeRecordBatches, crc32c, type ConsumedBatch, type ConsumedRecord } from '../client/record-batch.js';
import { COMPRESSION_NAMES } from '../client/compression.js';
import { BatchAttributes, BatchHeader, baseOffsetOf, lastOffsetOf, producerFieldsOf, recordCountOf, wholeBatches } from '../records/batch-header.js';
import { CONSUMER_PROTOCOL_TYPE } from '../client/consumer-protocol.js';
import { dataCodecs } from '../protocol/generated/index.js';
import { Reader } from '../protocol/primitives/index.js';
import { decodeGroupMetadataValue, decodeOffsetCommitValue, decodeOffsetsKey } from '../groups/offsets-records.js';
import { decodeConsumerKey, isConsumerRecordType } from '../groups/consumer-records.js';
import { out, parseFlags } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog dump-log --files FILE[,FILE...] [options]

Print the batches, records and index entries of segment files on disk (as kafka-dump-log.sh):
.log segments, .index offset indexes and .timeindex time indexes, Tidelog's or Kafka's.

Options:
  --files LIST              Comma-separated files to dump (required)
  --print-data-log          Print each record's key and payload (implies --deep-iteration)
  --deep-iteration          Print each record, not only each batch
  --offsets-decoder         Decode the records of __consumer_offsets (offset commits, group metadata,
                            and the KIP-848 consumer group records)
  --skip-record-metadata    With --print-data-log: print keys and payloads without the record's metadata
  --key-decoder-class C     Accepted for Kafka's scripts; keys are printed as UTF-8
  --value-decoder-class C   Accepted for Kafka's scripts; payloads are printed as UTF-8
  --verify-index-only       Check index entries against the log without printing them
  --index-sanity-check      Only run Kafka's start-up check on index files
  --max-bytes N             Read at most N bytes of each .log file (default: all)
  --help                    This help`;

const OPTIONS = {
  files: { type: 'string' },
  'print-data-log': { type: 'boolean' },
  'deep-iteration': { type: 'boolean' },
  'offsets-decoder': { type: 'boolean' },
  'skip-record-metadata': { type: 'boolean' },
  'key-decoder-class': { type: 'string' },
  'value-decoder-class': { type: 'string' },
  'verify-index-only': { type: 'boolean' },
  'index-sanity-check': { type: 'boolean' },
  'max-bytes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Kafka's index entry sizes: offset index (relative offset int32, position int32), time index (timestamp int64, relative offset int32). */
const OFFSET_INDEX_ENTRY_BYTES = 8;
const TIME_INDEX_ENTRY_BYTES = 12;
/** An index or log read whole into memory must fit in one Buffer; larger files are refused, not truncated. */
const FILE_BYTES_MAX = 2 ** 31 - 1;

interface Options {
  readonly deep: boolean;
  readonly printData: boolean;
  readonly offsetsDecoder: boolean;
  readonly skipRecordMetadata: boolean;
  readonly verifyOnly: boolean;
  readonly sanityOnly: boolean;
  readonly maxBytes: number;
}

/** What Kafka reports on stderr after the dumps, by file. */
interface Findings {
  readonly indexMismatches: Map<string, [number, number][]>;
  readonly timestampMismatches: Map<string, [number, number][]>;
  readonly outOfOrderTimestamps: Map<string, [number, number][]>;
  readonly offsetsNotFound: Map<string, [number, number][]>;
  readonly nonConsecutive: Map<string, [number, number][]>;
}

export async function runDumpLog(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (v.files === undefined) throw new UsageError('--files FILE[,FILE...] is required');
  let maxBytes = FILE_BYTES_MAX;
  if (v['max-bytes'] !== undefined) {
    if (!/^\d+$/.test(v['max-bytes'])) throw new UsageError(`--max-bytes expects a positive integer, got '${v['max-bytes']}'`);
    maxBytes = Math.min(Number(v['max-bytes']), FILE_BYTES_MAX);
  }
  const options: Options = {
    // As Kafka: --offsets-decoder prints the records' data, and printing data iterates deep.
    printData: v['print-data-log'] === true || v['offsets-decoder'] === true,
    deep: v['print-data-log'] === true || v['offsets-decoder'] === true || v['deep-iteration'] === true,
    offsetsDecoder: v['offsets-decoder'] === true,
    skipRecordMetadata: v['skip-record-metadata'] === true,
    verifyOnly: v['verify-index-only'] === true,
    sanityOnly: v['index-sanity-check'] === true,
    maxBytes,
  };
  const findings: Findings = { indexMismatches: new Map(), timestampMismatches: new Map(), outOfOrderTimestamps: new Map(), offsetsNotFound: new Map(), nonConsecutive: new Map() };
  for (const file of v.files.split(',').filter((f) => f.length > 0)) {
    const lines: string[] = [];
    lines.push(`Dumping ${file}`);
    const ext = path.extname(file);
    if (ext === '.log') {
      if (!options.verifyOnly && !options.sanityOnly) dumpLog(file, options, findings, lines);
    } else if (ext === '.index') dumpOffsetIndex(file, options, findings, lines);
    else if (ext === '.timeindex') dumpTimeIndex(file, options, findings, lines);
    else lines.push(`Ignoring unknown file ${file}`);
    await out(lines.map((l) => `${l}\n`).join(''));
  }
  const err: string[] = [];
  for (const [file, list] of findings.indexMismatches) {
    err.push(`Mismatches in :${file}`);
    for (const [indexOffset, logOffset] of list) err.push(`  Index offset: ${indexOffset}, log offset: ${logOffset}`);
  }
  for (const [file, list] of findings.timestampMismatches) {
    err.push(`Found timestamp mismatch in :${file}`);
    for (const [indexTs, logTs] of list) err.push(`  Index timestamp: ${indexTs}, log timestamp: ${logTs}`);
  }
  for (const [file, list] of findings.outOfOrderTimestamps) {
    err.push(`Found out of order timestamp in :${file}`);
    for (const [indexTs, prevTs] of list) err.push(`  Index timestamp: ${indexTs}, Previously indexed timestamp: ${prevTs}`);
  }
  for (const [file, list] of findings.offsetsNotFound) {
    err.push(`The following indexed offsets are not found in :${file}`);
    for (const [indexed, found] of list) err.push(`Indexed offset: ${indexed}, found log offset: ${found}`);
  }
  for (const [file, list] of findings.nonConsecutive) {
    err.push(`Non-consecutive offsets in ${file}`);
    for (const [first, second] of list) err.push(`  ${first} is followed by ${second}`);
  }
  if (err.length > 0) process.stderr.write(err.map((l) => `${l}\n`).join(''));
  return 0;
}

// ------------------------------------------------------------------ files

function readWhole(file: string, maxBytes = FILE_BYTES_MAX): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new CliError(`cannot open ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    if (size > FILE_BYTES_MAX && maxBytes === FILE_BYTES_MAX) throw new CliError(`${file} is ${size} bytes, more than dump-log reads at once (use --max-bytes)`);
    const buf = Buffer.allocUnsafe(length);
    for (let done = 0; done < length; ) {
      const n = readSync(fd, buf, done, length - done, done);
      if (n === 0) return buf.subarray(0, done);
      done += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** The segment's base offset, from its file name (00000000000000000150.log). */
function baseOffsetOfFile(file: string): number {
  const name = path.basename(file).split('.')[0]!;
  if (!/^\d+$/.test(name)) throw new CliError(`${file}: the file name does not start with a base offset`);
  return Number(name);
}

function siblingOf(file: string, ext: string): string {
  return path.join(path.dirname(file), `${path.basename(file).split('.')[0]}${ext}`);
}

function push<K>(map: Map<K, [number, number][]>, key: K, pair: [number, number]): void {
  const list = map.get(key) ?? [];
  list.push(pair);
  map.set(key, list);
}

// ------------------------------------------------------------------ segments

/** One batch line, as Kafka's DumpLogSegments.printBatchLevel (v2 batches). */
function batchLine(buf: Buffer, pos: number, size: number): string {
  const attributes = buf.readInt16BE(pos + BatchHeader.ATTRIBUTES);
  const f = producerFieldsOf(buf, pos);
  const baseOffset = baseOffsetOf(buf, pos);
  const lastSequence = f.baseSequence === -1 ? -1 : (f.baseSequence + f.lastOffsetDelta) % 2 ** 31;
  const timestampType = (attributes & BatchAttributes.TIMESTAMP_TYPE_LOG_APPEND_TIME) !== 0 ? 'LogAppendTime' : 'CreateTime';
  // Attribute bit 6: the batch carries a delete horizon in its base timestamp (KIP-534).
  const deleteHorizon = (attributes & 0x40) !== 0 ? `OptionalLong[${Number(buf.readBigInt64BE(pos + BatchHeader.BASE_TIMESTAMP))}]` : 'OptionalLong.empty';
  const crc = buf.readUInt32BE(pos + BatchHeader.CRC);
  const valid = crc === crc32c(buf, pos + BatchHeader.ATTRIBUTES, pos + size);
  const codec = COMPRESSION_NAMES[attributes & BatchAttributes.COMPRESSION_MASK] ?? `unknown(${attributes & BatchAttributes.COMPRESSION_MASK})`;
  return (
    `baseOffset: ${baseOffset} lastOffset: ${lastOffsetOf(buf, pos)} count: ${recordCountOf(buf, pos)} baseSequence: ${f.baseSequence} lastSequence: ${lastSequence}` +
    ` producerId: ${f.producerId} producerEpoch: ${f.producerEpoch} partitionLeaderEpoch: ${buf.readInt32BE(pos + BatchHeader.PARTITION_LEADER_EPOCH)}` +
    ` isTransactional: ${(attributes & BatchAttributes.TRANSACTIONAL) !== 0} isControl: ${(attributes & BatchAttributes.CONTROL) !== 0} deleteHorizonMs: ${deleteHorizon}` +
    ` position: ${pos} ${timestampType}: ${f.maxTimestamp} size: ${size} magic: ${buf.readInt8(pos + BatchHeader.MAGIC)} compresscodec: ${codec} crc: ${crc} isvalid: ${valid}`
  );
}

function dumpLog(file: string, options: Options, findings: Findings, lines: string[]): void {
  lines.push(`Log starting offset: ${baseOffsetOfFile(file)}`);
  const buf = readWhole(file, options.maxBytes);
  let validBytes = 0;
  let lastOffset = -1;
  for (const { pos, size } of wholeBatches(buf)) {
    const magic = buf.readInt8(pos + BatchHeader.MAGIC);
    if (magic !== 2) throw new CliError(`${file}: the batch at position ${pos} has magic ${magic}; dump-log reads v2 record batches only`);
    lines.push(batchLine(buf, pos, size));
    if (options.deep) {
      let batch: ConsumedBatch;
      try {
        batch = decodeRecordBatches(buf.subarray(pos, pos + size)).batches[0]!;
      } catch (err) {
        throw new CliError(`${file}: cannot read the records of the batch at position ${pos}: ${(err as Error).message}`);
      }
      const { baseSequence } = producerFieldsOf(buf, pos);
      for (const record of batch.records) {
        // Kafka starts each file's check from the first record it reads.
        if (lastOffset !== -1 && record.offset !== lastOffset + 1) push(findings.nonConsecutive, file, [lastOffset, record.offset]);
        lastOffset = record.offset;
        lines.push(recordLine(record, batch, baseSequence, options));
      }
    }
    validBytes = pos + size;
  }
  const trailing = buf.length - validBytes;
  if (trailing > 0 && options.maxBytes === FILE_BYTES_MAX) lines.push(`Found ${trailing} invalid bytes at the end of ${path.basename(file)}`);
}

/** One record line, as Kafka's DumpLogSegments.dumpLog (v2 batches). */
function recordLine(record: ConsumedRecord, batch: ConsumedBatch, baseSequence: number, options: Options): string {
  const sequence = baseSequence === -1 ? -1 : (baseSequence + (record.offset - batch.baseOffset)) % 2 ** 31;
  // Kafka's prefix: "| " before the first field printed, " " before each later one.
  let prefix = '| ';
  let line = '';
  if (!options.skipRecordMetadata) {
    line +=
      `${prefix}offset: ${record.offset} ${record.timestampType}: ${record.timestampMs} keySize: ${record.key?.length ?? -1} valueSize: ${record.value?.length ?? -1}` +
      ` sequence: ${sequence} headerKeys: [${record.headers.map((h) => h.key).join(',')}]`;
    prefix = ' ';
    if (batch.isControl) line += controlText(record);
  }
  if (options.printData && !batch.isControl) {
    const [key, payload] = options.offsetsDecoder ? offsetsText(record) : [record.key?.toString('utf8') ?? null, record.value?.toString('utf8') ?? null];
    if (key !== null) {
      line += `${prefix}key: ${key}`;
      prefix = ' ';
    }
    if (payload !== null) line += `${prefix}payload: ${payload}`;
  }
  return line;
}

/** A control record (transaction marker): key int16 version, int16 type; value int16 version, int32 coordinatorEpoch. */
function controlText(record: ConsumedRecord): string {
  if (!record.key || record.key.length < 4) return ' controlType: UNKNOWN(-1)';
  const type = record.key.readInt16BE(2);
  if ((type === 0 || type === 1) && record.value && record.value.length >= 6) {
    return ` endTxnMarker: ${type === 0 ? 'ABORT' : 'COMMIT'} coordinatorEpoch: ${record.value.readInt32BE(2)}`;
  }
  return ` controlType: ${type === 0 ? 'ABORT' : type === 1 ? 'COMMIT' : 'UNKNOWN'}(${type})`;
}

/**
 * --offsets-decoder: a __consumer_offsets record as Kafka 4's OffsetsMessageParser prints it,
 * key {"type":"<key version>","data":{...}} and payload {"version":"<value version>","data":{...}}
 * (payload "<DELETE>" for a tombstone).
 */
function offsetsText(record: ConsumedRecord): [string | null, string | null] {
  if (!record.key) return ['NO KEY', null];
  try {
    const keyVersion = record.key.readInt16BE(0);
    if (isConsumerRecordType(keyVersion)) return consumerGroupRecordText(keyVersion, record.key, record.value);
    const key = decodeOffsetsKey(record.key);
    const keyJson = key.kind === 'offset' ? { group: key.group, topic: key.topic, partition: key.partition } : { group: key.group };
    const keyText = JSON.stringify({ type: String(keyVersion), data: keyJson });
    if (!record.value) return [keyText, '<DELETE>'];
    const valueVersion = record.value.readInt16BE(0);
    if (key.kind === 'offset') {
      const o = decodeOffsetCommitValue(record.value);
      const data: Record<string, unknown> = { offset: o.offset };
      if (valueVersion >= 3) data.leaderEpoch = o.leaderEpoch;
      data.metadata = o.metadata;
      data.commitTimestamp = o.commitTimestampMs;
      if (o.expireTimestampMs !== null) data.expireTimestamp = o.expireTimestampMs;
      return [keyText, JSON.stringify({ version: String(valueVersion), data })];
    }
    const g = decodeGroupMetadataValue(record.value);
    const data = {
      protocolType: g.protocolType,
      generation: g.generation,
      protocol: g.protocol,
      leader: g.leader,
      currentStateTimestamp: g.currentStateTimestamp,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeout,
        sessionTimeout: m.sessionTimeout,
        subscription: g.protocolType === CONSUMER_PROTOCOL_TYPE ? subscriptionJson(Buffer.from(m.subscription)) : Buffer.from(m.subscription).toString('base64'),
        assignment: g.protocolType === CONSUMER_PROTOCOL_TYPE ? assignmentJson(Buffer.from(m.assignment)) : Buffer.from(m.assignment).toString('base64'),
      })),
    };
    return [keyText, JSON.stringify({ version: String(valueVersion), data })];
  } catch (err) {
    return [`unknown::${(err as Error).message}`, null];
  }
}

/** A KIP-848 consumer group record (types 3-8, 16): its key and value structs as JSON (uuids as text). */
function consumerGroupRecordText(type: number, keyBytes: Buffer, valueBytes: Buffer | null): [string, string] {
  const r = new Reader(keyBytes);
  r.readInt16();
  const k = decodeConsumerKey(type, r);
  const keyData: Record<string, string> = { groupId: k.groupId };
  if (k.memberId !== '') keyData.memberId = k.memberId;
  if (k.regularExpression !== '') keyData.regularExpression = k.regularExpression;
  const keyText = JSON.stringify({ type: String(type), data: keyData });
  if (!valueBytes) return [keyText, '<DELETE>'];
  const names: Record<number, keyof typeof dataCodecs> = {
    3: 'ConsumerGroupMetadataValue',
    4: 'ConsumerGroupPartitionMetadataValue',
    5: 'ConsumerGroupMemberMetadataValue',
    6: 'ConsumerGroupTargetAssignmentMetadataValue',
    7: 'ConsumerGroupTargetAssignmentMemberValue',
    8: 'ConsumerGroupCurrentMemberAssignmentValue',
    16: 'ConsumerGroupRegularExpressionValue',
  };
  const vr = new Reader(valueBytes);
  const version = vr.readInt16();
  const data = dataCodecs[names[type]!].decode(vr, version);
  return [keyText, JSON.stringify({ version: String(version), data })];
}

/** A consumer-protocol subscription as Kafka's JSON converter writes it: the fields of its version (bytes as base64). */
function subscriptionJson(bytes: Buffer): unknown {
  try {
    const r = new Reader(bytes);
    const version = Math.min(r.readInt16(), dataCodecs.ConsumerProtocolSubscription.maxVersion);
    const s = dataCodecs.ConsumerProtocolSubscription.decode(r, version);
    const json: Record<string, unknown> = { topics: s.topics, userData: s.userData === null ? null : Buffer.from(s.userData).toString('base64') };
    if (version >= 1) json.ownedPartitions = s.ownedPartitions.map((t) => ({ topic: t.topic, partitions: t.partitions }));
    if (version >= 2) json.generationId = s.generationId;
    if (version >= 3) json.rackId = s.rackId;
    return json;
  } catch {
    return bytes.toString('base64');
  }
}

function assignmentJson(bytes: Buffer): unknown {
  try {
    const r = new Reader(bytes);
    const version = Math.min(r.readInt16(), dataCodecs.ConsumerProtocolAssignment.maxVersion);
    const a = dataCodecs.ConsumerProtocolAssignment.decode(r, version);
    return { assignedPartitions: a.assignedPartitions.map((t) => ({ topic: t.topic, partitions: t.partitions })), userData: a.userData === null ? null : Buffer.from(a.userData).toString('base64') };
  } catch {
    return bytes.toString('base64');
  }
}

// ------------------------------------------------------------------ indexes

interface OffsetIndexEntry {
  readonly offset: number;
  readonly position: number;
}

/**
 * The entries of an offset index as Kafka reads one read-only: every whole 8-byte entry of the
 * file, up to the first entry after the first whose relative offset is 0 (an active segment's
 * index is preallocated with zeros; "in the event of a crash there may be many zero entries").
 */
function offsetIndexEntries(buf: Buffer, baseOffset: number): OffsetIndexEntry[] {
  const entries: OffsetIndexEntry[] = [];
  const count = Math.floor(buf.length / OFFSET_INDEX_ENTRY_BYTES);
  for (let i = 0; i < count; i++) {
    const relative = buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
    if (relative === 0 && i > 0) break;
    entries.push({ offset: baseOffset + relative, position: buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4) });
  }
  return entries;
}

/** The batches of the log from `position` on: each batch's last offset and position. */
function batchesFrom(log: Buffer, position: number): { lastOffset: number; pos: number; size: number }[] {
  return [...wholeBatches(log.subarray(position))].map(({ pos, size }) => ({ lastOffset: lastOffsetOf(log, position + pos), pos: position + pos, size }));
}

function dumpOffsetIndex(file: string, options: Options, findings: Findings, lines: string[]): void {
  const baseOffset = baseOffsetOfFile(file);
  const index = readWhole(file);
  if (Math.floor(index.length / OFFSET_INDEX_ENTRY_BYTES) === 0) {
    lines.push(`${file} is empty.`);
    return;
  }
  const entries = offsetIndexEntries(index, baseOffset);
  if (options.sanityOnly) {
    sanityCheckOffsetIndex(file, index, entries);
    lines.push(`${file} passed sanity check.`);
    return;
  }
  const log = readWhole(siblingOf(file, '.log'));
  for (const e of entries) {
    const first = e.position < log.length ? batchesFrom(log, e.position)[0] : undefined;
    const lastOffset = first?.lastOffset ?? -1;
    if (lastOffset !== e.offset) push(findings.indexMismatches, path.resolve(file), [e.offset, lastOffset]);
    if (!options.verifyOnly) lines.push(`offset: ${e.offset} position: ${e.position}`);
  }
}

/** Kafka's OffsetIndex.sanityCheck: whole entries, and the last offset not below the base offset. */
function sanityCheckOffsetIndex(file: string, index: Buffer, entries: readonly OffsetIndexEntry[]): void {
  if (index.length % OFFSET_INDEX_ENTRY_BYTES !== 0) throw new CliError(`Index file ${path.basename(file)} is corrupt, found ${index.length} bytes which is neither positive nor a multiple of ${OFFSET_INDEX_ENTRY_BYTES}.`);
  const last = entries.at(-1);
  if (last && entries.length > 1 && last.offset <= entries[0]!.offset - 1) throw new CliError(`Corrupt index found, index file (${file}) has non-zero size but the last offset is ${last.offset}`);
}

function dumpTimeIndex(file: string, options: Options, findings: Findings, lines: string[]): void {
  const baseOffset = baseOffsetOfFile(file);
  const timeIndex = readWhole(file);
  const count = Math.floor(timeIndex.length / TIME_INDEX_ENTRY_BYTES);
  if (options.sanityOnly) {
    if (timeIndex.length % TIME_INDEX_ENTRY_BYTES !== 0) throw new CliError(`Time index file ${path.basename(file)} is corrupt, found ${timeIndex.length} bytes which is neither positive nor a multiple of ${TIME_INDEX_ENTRY_BYTES}.`);
    lines.push(`${file} passed sanity check.`);
    return;
  }
  const offsets = offsetIndexEntries(readWhole(siblingOf(file, '.index')), baseOffset);
  const log = readWhole(siblingOf(file, '.log'));
  let prevTimestamp = -1;
  for (let i = 0; i < count; i++) {
    const timestamp = Number(timeIndex.readBigInt64BE(i * TIME_INDEX_ENTRY_BYTES));
    const offset = baseOffset + timeIndex.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
    if (offset === baseOffset && i > 0) break;
    // Kafka looks the offset up in the offset index, then reads batches from there.
    let position = 0;
    for (const e of offsets) if (e.offset <= offset) position = e.position;
    const batch = position < log.length ? batchesFrom(log, position).find((b) => b.lastOffset >= offset) : undefined;
    if (!batch) push(findings.offsetsNotFound, path.resolve(file), [offset, -1]);
    else if (batch.lastOffset !== offset) push(findings.offsetsNotFound, path.resolve(file), [offset, batch.lastOffset]);
    else {
      let maxTimestamp = -1;
      try {
        for (const r of decodeRecordBatches(log.subarray(batch.pos, batch.pos + batch.size)).batches[0]!.records) maxTimestamp = Math.max(maxTimestamp, r.timestampMs);
      } catch {
        maxTimestamp = -1;
      }
      if (maxTimestamp !== timestamp) push(findings.timestampMismatches, path.resolve(file), [timestamp, maxTimestamp]);
      if (prevTimestamp >= timestamp) push(findings.outOfOrderTimestamps, path.resolve(file), [timestamp, prevTimestamp]);
    }
    if (!options.verifyOnly) lines.push(`timestamp: ${timestamp} offset: ${offset}`);
    prevTimestamp = timestamp;
  }
}
