// records/control-batch.ts: the transaction marker batch against one built by the independent
// encoder of test/helpers/batch.ts (its own varints and CRC32C) from Kafka's documented layout
// (control record key {version 0, type}, value {version 0, coordinatorEpoch}, attributes
// transactional + control), and the marker read back, with what it refuses to read.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c, recordBatch } from '../helpers/batch.js';
import { buildEndTxnMarkerBatch, END_TXN_MARKER_BATCH_BYTES, isControlBatch, isTransactionalBatch, readEndTxnMarker } from '../../src/records/control-batch.js';

const TS = 1_700_000_000_123;

/** The marker as the reference encoder builds it: one record, then the header fields a marker sets. */
function reference(producerId: number, producerEpoch: number, coordinatorEpoch: number, type: number, baseOffset: bigint, leaderEpoch: number): Buffer {
  const key = String.fromCharCode(0, 0, 0, type);
  const value = Buffer.alloc(6);
  value.writeInt32BE(coordinatorEpoch, 2);
  const b = recordBatch([{ key, value: value.toString('latin1') }], TS, { producerId, producerEpoch, baseSequence: -1 }, { baseOffset, leaderEpoch });
  b.writeInt16BE(0x30, 21);
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
}

describe('transaction marker batches', () => {
  it('are byte for byte the control batch Kafka documents, for COMMIT and ABORT', () => {
    for (const commit of [true, false]) {
      const built = buildEndTxnMarkerBatch({ producerId: 4001, producerEpoch: 7, coordinatorEpoch: 12, commit, baseOffset: 345, partitionLeaderEpoch: 3, timestampMs: TS }, crc32c);
      assert.equal(built.length, END_TXN_MARKER_BATCH_BYTES);
      assert.deepEqual(built, reference(4001, 7, 12, commit ? 1 : 0, 345n, 3));
      assert.ok(isControlBatch(built) && isTransactionalBatch(built));
      assert.deepEqual(readEndTxnMarker(built, 0, built.length), { controlType: commit ? 1 : 0, coordinatorEpoch: 12 });
    }
  });

  it('are read at their position in a chunk of batches', () => {
    const data = recordBatch([{ value: 'x' }]);
    const marker = buildEndTxnMarkerBatch({ producerId: 1, producerEpoch: 0, coordinatorEpoch: 2_000_000_000, commit: false, baseOffset: 1, partitionLeaderEpoch: 0, timestampMs: TS }, crc32c);
    const chunk = Buffer.concat([data, marker]);
    assert.equal(readEndTxnMarker(chunk, 0, data.length), null, 'a data batch holds no marker');
    assert.deepEqual(readEndTxnMarker(chunk, data.length, marker.length), { controlType: 0, coordinatorEpoch: 2_000_000_000 });
  });

  it('read as none: an emptied control batch, an unknown key version or type, a record cut short', () => {
    const ok = () => buildEndTxnMarkerBatch({ producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: true, baseOffset: 0, partitionLeaderEpoch: 0, timestampMs: TS }, crc32c);
    const empty = ok();
    empty.writeInt32BE(0, 57);
    assert.equal(readEndTxnMarker(empty, 0, empty.length), null);
    const version = ok();
    version.writeInt16BE(1, 66);
    assert.equal(readEndTxnMarker(version, 0, version.length), null);
    const type = ok();
    type.writeInt16BE(2, 68);
    assert.equal(readEndTxnMarker(type, 0, type.length), null);
    const cut = ok();
    assert.equal(readEndTxnMarker(cut, 0, cut.length - 5), null);
  });
});
