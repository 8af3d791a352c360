// The control plane's record-batch codec and the __consumer_offsets record formats:
// CRC32C against its check value, round trips, batches from an independent encoder
// (test/helpers/batch.ts), golden key bytes, and Kafka's partitionFor hash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c, decodeRecordBatches, encodeRecordBatch, RecordBatchError } from '../../src/client/record-batch.js';
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
} from '../../src/groups/offsets-records.js';
import { javaStringHashCode, partitionForGroup } from '../../src/groups/offsets-topic.js';
import { recordBatch } from '../helpers/batch.js';

describe('record batch codec', () => {
  it('CRC32C matches its check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  it('round-trips records and tombstones, and leaves a partial trailing batch for the next read', () => {
    const records = [
      { key: Buffer.from('k1'), value: Buffer.from('v1') },
      { key: Buffer.from('k2'), value: null },
      { key: Buffer.from('k3'), value: Buffer.alloc(300, 7) },
    ];
    const batch = encodeRecordBatch(records, { timestampMs: 1_700_000_000_000 });
    batch.writeBigInt64BE(100n, 0); // as the log assigns offsets
    const second = encodeRecordBatch([{ key: Buffer.from('k4'), value: Buffer.from('v4') }], { timestampMs: 1_700_000_000_001 });
    second.writeBigInt64BE(103n, 0);
    const bytes = Buffer.concat([batch, second, second.subarray(0, 30)]);
    const { batches, bytesRead } = decodeRecordBatches(bytes);
    assert.equal(bytesRead, batch.length + second.length);
    assert.equal(batches.length, 2);
    assert.equal(batches[0]!.baseOffset, 100);
    assert.equal(batches[0]!.lastOffset, 102);
    assert.deepEqual(
      batches[0]!.records.map((r) => [r.offset, r.key!.toString(), r.value?.toString('hex') ?? null, r.timestampMs]),
      records.map((r, i) => [100 + i, r.key.toString(), r.value?.toString('hex') ?? null, 1_700_000_000_000]),
    );
    assert.equal(batches[1]!.records[0]!.offset, 103);
  });

  it('reads batches built by an independent encoder', () => {
    const bytes = recordBatch([{ key: 'a', value: 'b' }, { key: null, value: null }], 5);
    const { batches } = decodeRecordBatches(bytes);
    assert.deepEqual(
      batches[0]!.records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null]),
      [
        ['a', 'b'],
        [null, null],
      ],
    );
  });

  it('writes the producer fields as the independent encoder does, and the transactional and control attribute bits', () => {
    const producer = { producerId: 4242, producerEpoch: 7, baseSequence: 0 };
    const ours = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }], { timestampMs: 1_700_000_000_000, producer });
    assert.deepEqual(ours, recordBatch([{ key: 'k', value: 'v' }], 1_700_000_000_000, producer));
    const txn = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }], { timestampMs: 1, producer, isTransactional: true });
    const control = encodeRecordBatch([{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], { timestampMs: 1, producer: { ...producer, baseSequence: -1 }, isTransactional: true, isControl: true });
    assert.deepEqual([txn.readInt16BE(21), control.readInt16BE(21)], [0x10, 0x30]);
    const [t, c] = decodeRecordBatches(Buffer.concat([txn, control])).batches; // the CRC covers the attributes
    assert.deepEqual([t!.isTransactional, t!.isControl, t!.producerId], [true, false, 4242]);
    assert.deepEqual([c!.isTransactional, c!.isControl, c!.producerId], [true, true, 4242]);
  });

  it('rejects a batch whose CRC does not match', () => {
    const batch = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }], { timestampMs: 0 });
    batch.writeUInt8(batch.readUInt8(batch.length - 2) ^ 0xff, batch.length - 2);
    assert.throws(() => decodeRecordBatches(batch), RecordBatchError);
  });
});

describe('__consumer_offsets records', () => {
  it('writes keys in Kafka layout: int16 version, then the key schema', () => {
    assert.equal(offsetCommitKey('g', 't', 3).toString('hex'), '0001' + '000167' + '000174' + '00000003');
    assert.equal(groupMetadataKey('g').toString('hex'), '0002' + '000167');
    assert.deepEqual(decodeOffsetsKey(offsetCommitKey('group', 'topic', 7)), { kind: 'offset', group: 'group', topic: 'topic', partition: 7 });
    assert.deepEqual(decodeOffsetsKey(groupMetadataKey('group')), { kind: 'group', group: 'group' });
  });

  it('writes offset values as v3, or v1 when the commit carries an expire timestamp', () => {
    const v3 = offsetCommitValue({ offset: 5, leaderEpoch: 2, metadata: 'm', commitTimestampMs: 1000, expireTimestampMs: null });
    assert.equal(v3.readInt16BE(0), 3);
    assert.deepEqual(decodeOffsetCommitValue(v3), { offset: 5, leaderEpoch: 2, metadata: 'm', commitTimestampMs: 1000, expireTimestampMs: null });
    const v1 = offsetCommitValue({ offset: 5, leaderEpoch: -1, metadata: '', commitTimestampMs: 1000, expireTimestampMs: 2000 });
    assert.equal(v1.readInt16BE(0), 1);
    assert.deepEqual(decodeOffsetCommitValue(v1), { offset: 5, leaderEpoch: -1, metadata: '', commitTimestampMs: 1000, expireTimestampMs: 2000 });
  });

  it('round-trips group metadata (v3) with static members', () => {
    const value = {
      protocolType: 'consumer',
      generation: 4,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 123,
      members: [{ memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 60000, sessionTimeout: 10000, subscription: Buffer.from('s'), assignment: Buffer.from('a') }],
    };
    const bytes = groupMetadataValue(value);
    assert.equal(bytes.readInt16BE(0), 3);
    assert.deepEqual(decodeGroupMetadataValue(bytes), value);
  });

  it("maps a group to a partition with Java's String.hashCode and Kafka's Utils.abs", () => {
    assert.equal(javaStringHashCode('hello'), 99162322);
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('é€'), 0xe9 * 31 + 0x20ac);
    assert.equal(partitionForGroup('hello', 50), 99162322 % 50);
    // "polygenelubricants".hashCode() is Integer.MIN_VALUE, which Utils.abs maps to 0.
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
    assert.equal(partitionForGroup('polygenelubricants', 50), 0);
    assert.equal(partitionForGroup('Aa', 7), partitionForGroup('BB', 7), 'equal Java hashes share a partition');
  });
});
