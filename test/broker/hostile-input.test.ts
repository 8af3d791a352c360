// Hostile input against a running broker: random bytes, truncated frames, a 2 GiB size
// prefix, an unknown API key, a malformed body, a batch with a bad CRC, batches a client may
// not write, a Metadata request for the empty topic name. Each gets its Kafka
// error or a closed connection, and a client connected the whole time keeps being served.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { crc32c, recordBatch } from '../helpers/batch.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { seededBytes } from '../helpers/seeded-bytes.js';


describe('hostile input', { timeout: 120_000 }, () => {
  let broker: BrokerProcess;
  let bystander: KafkaConnection;
  let served = 0;

  /** The bystander produces and reads back one record: the broker still serves others. */
  async function bystanderStillServed(): Promise<void> {
    const value = `still-here-${served++}`;
    const produced = await bystander.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'bystander', partitionData: [{ index: 0, records: recordBatch([{ value }]) }] }] });
    const p = produced.responses[0]!.partitionResponses[0]!;
    assert.equal(p.errorCode, ErrorCode.NONE);
    const fetched = await bystander.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: 'bystander', partitions: [{ partition: 0, fetchOffset: p.baseOffset, partitionMaxBytes: 1 << 20 }] }] });
    const records = fetched.responses[0]!.partitions[0]!.records!;
    assert.ok(records.includes(Buffer.from(value)), 'the record just produced is fetched back');
  }

  async function connect(): Promise<KafkaConnection> {
    return KafkaConnection.connect('127.0.0.1', broker.port, 'hostile');
  }

  before(async () => {
    broker = await startBrokerProcess();
    bystander = await KafkaConnection.connect('127.0.0.1', broker.port, 'bystander');
    const created = await bystander.request(ApiKey.CreateTopics, 7, { topics: [{ name: 'bystander', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
    await bystanderStillServed();
  });

  after(async () => {
    bystander.close();
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('closes a connection that sends random bytes', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await connect();
      const garbage = seededBytes(0x9e3779b9 + i, 64 + i * 50);
      garbage.writeInt32BE(garbage.length - 4, 0); // a plausible size so the frame is parsed
      await c.writeRaw(garbage).catch(() => {});
      // Either the header or the body fails to parse, or the API key is unknown: closed.
      assert.equal(await c.waitClosed(5000), true, `random frame ${i} closes the connection`);
    }
    await bystanderStillServed();
  });

  it('closes a connection announcing a 2 GiB frame without buffering it', async () => {
    const c = await connect();
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(0x7fffffff, 0);
    await c.writeRaw(prefix);
    assert.equal(await c.waitClosed(5000), true);
    const negative = await connect();
    await negative.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    assert.equal(await negative.waitClosed(5000), true, 'a negative size closes too');
    await bystanderStillServed();
  });

  it('keeps waiting on a truncated frame and frees it when the client goes away', async () => {
    const c = await connect();
    const frame = Buffer.alloc(100);
    frame.writeInt32BE(200, 0); // announces more than is sent
    await c.writeRaw(frame);
    assert.equal(await c.waitClosed(300), false, 'a partial frame is not an error yet');
    c.close();
    await bystanderStillServed();
  });

  it('closes a connection that sends an unknown API key', async () => {
    const c = await connect();
    const frame = Buffer.alloc(4 + 10);
    frame.writeInt32BE(10, 0);
    frame.writeInt16BE(9999, 4);
    frame.writeInt16BE(0, 6);
    frame.writeInt32BE(1, 8);
    frame.writeInt16BE(-1, 12);
    await c.writeRaw(frame);
    assert.equal(await c.waitClosed(5000), true);
    await bystanderStillServed();
  });

  it('answers an unsupported ApiVersions version with UNSUPPORTED_VERSION in a v0 body', async () => {
    // A plain socket: the reply is read as it arrives (KafkaConnection reads into its own buffer).
    const c = net.connect(broker.port, '127.0.0.1');
    await once(c, 'connect');
    const frame = Buffer.alloc(4 + 10 + 3);
    frame.writeInt32BE(frame.length - 4, 0);
    frame.writeInt16BE(ApiKey.ApiVersions, 4);
    frame.writeInt16BE(99, 6);
    frame.writeInt32BE(42, 8);
    frame.writeInt16BE(-1, 12); // null client id
    // header tagged fields, then body: empty compact strings and no tags
    frame.writeUInt8(0, 14);
    frame.writeUInt8(1, 15);
    frame.writeUInt8(1, 16);
    const reply = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      c.on('data', (d: Buffer) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) resolve(all);
      });
    });
    c.write(frame);
    const bytes = await reply;
    assert.equal(bytes.readInt32BE(4), 42, 'correlation id echoed in a v0 response header');
    assert.equal(bytes.readInt16BE(8), ErrorCode.UNSUPPORTED_VERSION);
    const count = bytes.readInt32BE(10);
    assert.ok(count >= 10, 'the v0 body lists the APIs served');
    c.destroy();
    await bystanderStillServed();
  });

  it('closes a connection whose request body is malformed', async () => {
    const c = await connect();
    // A Metadata v1 request whose topic array claims 1000 entries but holds none.
    const frame = Buffer.alloc(4 + 10 + 4);
    frame.writeInt32BE(frame.length - 4, 0);
    frame.writeInt16BE(ApiKey.Metadata, 4);
    frame.writeInt16BE(1, 6);
    frame.writeInt32BE(7, 8);
    frame.writeInt16BE(-1, 12);
    frame.writeInt32BE(1000, 14);
    await c.writeRaw(frame);
    assert.equal(await c.waitClosed(5000), true);
    await bystanderStillServed();
  });

  it('rejects a batch with a bad CRC with CORRUPT_MESSAGE and stores nothing', async () => {
    const c = await connect();
    const batch = recordBatch([{ key: 'k', value: 'v' }]);
    batch[batch.length - 1]! ^= 0xff;
    const before = await c.request(ApiKey.ListOffsets, 9, { replicaId: -1, topics: [{ name: 'bystander', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
    const produced = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bystander', partitionData: [{ index: 0, records: batch }] }] });
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE);
    const afterwards = await c.request(ApiKey.ListOffsets, 9, { replicaId: -1, topics: [{ name: 'bystander', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
    assert.equal(afterwards.topics[0]!.partitions[0]!.offset, before.topics[0]!.partitions[0]!.offset, 'log end offset unchanged');
    // The same connection goes on working.
    const ok = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bystander', partitionData: [{ index: 0, records: recordBatch([{ value: 'fine' }]) }] }] });
    assert.equal(ok.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    c.close();
    await bystanderStillServed();
  });

  it('refuses two batches for one partition in one produce request with INVALID_RECORD and stores neither', async () => {
    const c = await connect();
    const endOffset = async () => (await c.request(ApiKey.ListOffsets, 9, { replicaId: -1, topics: [{ name: 'bystander', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] })).topics[0]!.partitions[0]!.offset;
    const before = await endOffset();
    const two = Buffer.concat([recordBatch([{ value: 'one' }]), recordBatch([{ value: 'two' }])]);
    const produced = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bystander', partitionData: [{ index: 0, records: two }] }] });
    const p = produced.responses[0]!.partitionResponses[0]!;
    assert.equal(p.errorCode, ErrorCode.INVALID_RECORD);
    assert.equal(p.errorMessage, 'Produce requests with version 9 are only allowed to contain exactly one record batch per partition');
    assert.equal(await endOffset(), before, 'log end offset unchanged');
    c.close();
    await bystanderStillServed();
  });

  it('answers a produce with a magic 1 message set with UNSUPPORTED_FOR_MESSAGE_FORMAT', async () => {
    const c = await connect();
    const batch = recordBatch([{ value: 'old' }]);
    batch.writeInt8(1, 16);
    const produced = await c.request(ApiKey.Produce, 3, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bystander', partitionData: [{ index: 0, records: batch }] }] });
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    c.close();
  });

  it('answers a Metadata request for an empty topic name with INVALID_TOPIC_EXCEPTION in every version (v0-12)', async () => {
    const c = await connect();
    const logged = broker.logLines.length;
    for (let v = 0; v <= 12; v++) {
      const r = await c.request(ApiKey.Metadata, v, { topics: [{ name: '' }, { name: 'bystander' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      assert.equal(r.topics.length, 2, `v${v}`);
      const empty = r.topics.find((t) => t.name === '');
      assert.ok(empty, `v${v}: the empty name is answered under its name`);
      assert.equal(empty.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `v${v}`);
      assert.equal(r.topics.find((t) => t.name === 'bystander')?.errorCode, ErrorCode.NONE, `v${v}: the other topic is described`);
    }
    // v10-12 may ask by id (a null name): an unknown id is UNKNOWN_TOPIC_ID, the name null only where v12 allows it.
    for (let v = 10; v <= 12; v++) {
      const r = await c.request(ApiKey.Metadata, v, { topics: [{ name: null, topicId: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      assert.equal(r.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, `v${v}`);
      assert.equal(r.topics[0]!.name, v >= 12 ? null : '', `v${v}`);
    }
    assert.equal(c.closed, false, 'the connection stays open');
    const errors = broker.logLines.slice(logged).filter((l) => !l.startsWith('{') || (JSON.parse(l) as { level: number }).level >= 50);
    assert.deepEqual(errors, [], 'no error-level log line');
    c.close();
    await bystanderStillServed();
  });

  it("refuses control batches, negative sequences, transactional batches without a transactional id and zstd before Produce v7, as Kafka, storing nothing", async () => {
    const c = await connect();
    const endOffset = async () => (await c.request(ApiKey.ListOffsets, 9, { replicaId: -1, topics: [{ name: 'bystander', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] })).topics[0]!.partitions[0]!.offset;
    /** A batch with its attributes set and its CRC right again, so only the attribute is wrong. */
    const withAttributes = (batch: Buffer, attributes: number) => {
      batch.writeInt16BE(attributes, 21);
      batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
      return batch;
    };
    const produce = async (records: Buffer) => (await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bystander', partitionData: [{ index: 0, records }] }] })).responses[0]!.partitionResponses[0]!;
    const before = await endOffset();

    const control = await produce(withAttributes(recordBatch([{ value: 'forged marker' }]), 0x20));
    assert.equal(control.errorCode, ErrorCode.INVALID_RECORD);
    assert.equal(control.errorMessage, 'Clients are not allowed to write control records in topic partition bystander-0.');

    const negative = await produce(recordBatch([{ value: 'x' }], Date.now(), { producerId: 5, producerEpoch: 0, baseSequence: -5 }));
    assert.equal(negative.errorCode, ErrorCode.INVALID_RECORD);
    assert.equal(negative.errorMessage, 'Invalid sequence number -5 in record batch with producerId 5 in topic partition bystander-0.');

    const transactional = await produce(withAttributes(recordBatch([{ value: 'in no transaction' }], Date.now(), { producerId: 6, producerEpoch: 0, baseSequence: 0 }), 0x10));
    assert.equal(transactional.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);

    // KIP-110: zstd needs Produce v7 (the bytes are not zstd: the version is checked first).
    const zstd = (await c.request(ApiKey.Produce, 6, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bystander', partitionData: [{ index: 0, records: withAttributes(recordBatch([{ value: 'z' }]), 4) }] }] })).responses[0]!.partitionResponses[0]!;
    assert.equal(zstd.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    assert.equal(zstd.errorMessage, null, 'v6 responses carry no message');

    assert.equal(await endOffset(), before, 'nothing was stored');
    assert.equal((await produce(recordBatch([{ value: 'fine' }]))).errorCode, ErrorCode.NONE, 'the connection goes on working');
    c.close();
    await bystanderStillServed();
  });

  it('answers invalid acks and unknown partitions with their error codes', async () => {
    const c = await connect();
    const badAcks = await c.request(ApiKey.Produce, 9, { acks: 2, timeoutMs: 5000, topicData: [{ name: 'bystander', partitionData: [{ index: 0, records: recordBatch([{ value: 'x' }]) }] }] });
    assert.equal(badAcks.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
    const unknown = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bystander', partitionData: [{ index: 7, records: recordBatch([{ value: 'x' }]) }] }] });
    assert.equal(unknown.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const outOfRange = await c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1024, topics: [{ topic: 'bystander', partitions: [{ partition: 0, fetchOffset: 1_000_000, partitionMaxBytes: 1024 }] }] });
    assert.equal(outOfRange.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    c.close();
    await bystanderStillServed();
  });
});
