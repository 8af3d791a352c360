// The Kafka handlers against the broker's narrow services, in this process: requests are
// encoded with the generated codecs and handed to the RequestRouter as a frame, with no
// socket; responses are decoded the same way. The broker is real (logs in a temp dir, the
// coordinators loaded), so this tests the handlers' logic and error codes without a broker
// process or a client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { Broker } from '../../src/broker/broker.js';
import { RequestRouter } from '../../src/broker/request-router.js';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/framing.js';
import { ApiKey, type ApiTypes, loadAllApiCodecs } from '../../src/protocol/generated/index.js';
import { ANONYMOUS } from '../../src/security/principal.js';
import type { ConnectionInfo, ResponsePart } from '../../src/server/types.js';
import { recordBatch } from '../helpers/batch.js';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';

// The framing functions used here are synchronous: every API's codecs first.
await loadAllApiCodecs();

describe('handlers in process, over the broker services', () => {
  const dir = tempDir('tidelog-handlers-');
  let broker: Broker;
  let router: RequestRouter;
  let connection: ConnectionInfo;
  let correlationId = 0;

  before(async () => {
    const config = buildBrokerConfig(
      new Map([
        ['listeners', 'PLAINTEXT://127.0.0.1:0'],
        ['admin.listener', ''],
        ['log.dirs', dir],
        ['group.initial.rebalance.delay.ms', '0'],
        ['offsets.topic.num.partitions', '2'],
        ['transaction.state.log.num.partitions', '2'],
        // Kafka's defaults are 3, which a single broker cannot host (COORDINATOR_NOT_AVAILABLE).
        ['offsets.topic.replication.factor', '1'],
        ['transaction.state.log.replication.factor', '1'],
        ['transaction.state.log.min.isr', '1'],
      ]),
    );
    broker = await Broker.start(config, pino({ level: 'silent' }));
    router = new RequestRouter(broker.services);
    // The connection a request arrived on, as the socket server describes it; no socket is used.
    connection = { id: 1, listener: config.listeners[0]!, remoteAddress: '127.0.0.1', remotePort: 50000, socket: undefined as never, principal: ANONYMOUS, authenticating: false };
  });

  after(async () => {
    await broker.shutdown();
    removeDir(dir);
  });

  async function call<K extends ApiKey>(apiKey: K, version: number, body: ApiTypes[K]['requestInput']): Promise<ApiTypes[K]['response']> {
    const id = ++correlationId;
    const frame = encodeRequest(apiKey, version, id, 'handlers-test', body).subarray(4);
    const answer = await router.handle(Buffer.from(frame), connection);
    assert.ok(answer && 'parts' in answer, `a response, not ${JSON.stringify(answer)}`);
    const bytes = Buffer.concat(await Promise.all(answer.parts.map((p: ResponsePart) => (Buffer.isBuffer(p) ? p : p.toBuffer()))));
    const decoded = decodeResponse(apiKey, version, bytes.subarray(4));
    assert.equal(decoded.correlationId, id);
    return decoded.body;
  }

  const produce = (topic: string, partition: number, values: string[], acks = -1) =>
    call(ApiKey.Produce, 9, { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records: recordBatch(values.map((value) => ({ value }))) }] }] });

  it('CreateTopics creates, refuses a duplicate and a bad name, and validateOnly leaves nothing', async () => {
    const created = await call(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'orders', numPartitions: 3, replicationFactor: 1 },
        { name: 'bad name!', numPartitions: 1, replicationFactor: 1 },
      ],
      timeoutMs: 5000,
    });
    const byName = new Map(created.topics.map((t) => [t.name, t]));
    assert.equal(byName.get('orders')!.errorCode, ErrorCode.NONE);
    assert.equal(byName.get('orders')!.numPartitions, 3);
    assert.equal(byName.get('bad name!')!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);

    const again = await call(ApiKey.CreateTopics, 7, { topics: [{ name: 'orders', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    assert.equal(again.topics[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);

    const dry = await call(ApiKey.CreateTopics, 7, { topics: [{ name: 'dry-run', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000, validateOnly: true });
    assert.equal(dry.topics[0]!.errorCode, ErrorCode.NONE);
    const metadata = await call(ApiKey.Metadata, 12, { topics: [{ name: 'dry-run', topicId: undefined }], allowAutoTopicCreation: false });
    assert.equal(metadata.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('Produce assigns offsets in order and answers unknown partitions and bad acks with their codes', async () => {
    const first = await produce('orders', 1, ['a', 'b', 'c']);
    assert.equal(first.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    assert.equal(first.responses[0]!.partitionResponses[0]!.baseOffset, 0);
    const second = await produce('orders', 1, ['d', 'e']);
    assert.equal(second.responses[0]!.partitionResponses[0]!.baseOffset, 3);

    const unknownPartition = await produce('orders', 7, ['x']);
    assert.equal(unknownPartition.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const badAcks = await produce('orders', 1, ['x'], 2);
    assert.equal(badAcks.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
  });

  it('Produce v13 names topics by id (KIP-516): a known id appends, an unknown one gets UNKNOWN_TOPIC_ID, in request order', async () => {
    await call(ApiKey.CreateTopics, 7, { topics: [{ name: 'by-id', numPartitions: 3, replicationFactor: 1 }], timeoutMs: 5000 });
    const metadata = await call(ApiKey.Metadata, 12, { topics: [{ name: 'by-id', topicId: undefined }], allowAutoTopicCreation: false });
    const topicId = metadata.topics[0]!.topicId;
    const unknownId = '00000000-0000-0000-0000-00000000abcd';
    const batch = (value: string) => recordBatch([{ value }]);
    const answer = await call(ApiKey.Produce, 13, {
      acks: -1,
      timeoutMs: 5000,
      topicData: [
        { topicId: unknownId, partitionData: [{ index: 0, records: batch('lost') }] },
        { topicId, partitionData: [{ index: 2, records: batch('by-id') }] },
      ],
    });
    assert.deepEqual(
      answer.responses.map((t) => [t.topicId, t.partitionResponses[0]!.errorCode]),
      [
        [unknownId, ErrorCode.UNKNOWN_TOPIC_ID],
        [topicId, ErrorCode.NONE],
      ],
    );
    const end = await call(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: 'by-id', partitions: [{ partitionIndex: 2, timestamp: -1 }] }] });
    assert.equal(end.topics[0]!.partitions[0]!.offset, answer.responses[1]!.partitionResponses[0]!.baseOffset + 1);
  });

  it('ListOffsets and Fetch see exactly what was produced, up to the high watermark', async () => {
    const offsets = await call(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, timestamp: -1 }, { partitionIndex: 0, timestamp: -2 }] }] });
    const [latest, earliest] = offsets.topics[0]!.partitions;
    assert.equal(latest!.offset, 5);
    assert.equal(earliest!.offset, 0);

    const fetched = await call(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, topics: [{ topic: 'orders', partitions: [{ partition: 1, fetchOffset: 3, partitionMaxBytes: 1 << 20 }] }] });
    const p = fetched.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(p.highWatermark, 5);
    assert.ok(p.records && p.records.length > 0, 'record bytes');
    // The second batch (offsets 3-4) comes back as written: base offset 3, two records.
    const records = p.records as Buffer;
    assert.equal(Number(records.readBigInt64BE(0)), 3);
    assert.equal(records.readInt32BE(57), 2);

    const outOfRange = await call(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, topics: [{ topic: 'orders', partitions: [{ partition: 1, fetchOffset: 99, partitionMaxBytes: 1024 }] }] });
    assert.equal(outOfRange.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('Fetch sessions (KIP-227): a full fetch opens one, incremental fetches answer only what changed', async () => {
    const fetch = (sessionId: number, sessionEpoch: number, partitions: { partition: number; fetchOffset: number }[], forgotten: number[] = []) =>
      call(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        sessionId,
        sessionEpoch,
        topics: partitions.length ? [{ topic: 'orders', partitions: partitions.map((p) => ({ ...p, partitionMaxBytes: 1 << 20 })) }] : [],
        forgottenTopicsData: forgotten.length ? [{ topic: 'orders', partitions: forgotten }] : [],
      });
    const full = await fetch(0, 0, [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 5 }, { partition: 2, fetchOffset: 0 }]);
    assert.equal(full.errorCode, ErrorCode.NONE);
    assert.notEqual(full.sessionId, 0, 'a session was opened');
    assert.deepEqual(full.responses[0]!.partitions.map((p) => p.partitionIndex), [0, 1, 2]);

    // Nothing changed: the incremental answer is empty.
    const quiet = await fetch(full.sessionId, 1, []);
    assert.equal(quiet.errorCode, ErrorCode.NONE);
    assert.equal(quiet.sessionId, full.sessionId);
    assert.deepEqual(quiet.responses, []);

    // New records on partition 2 only: only partition 2 comes back, with them.
    await produce('orders', 2, ['late']);
    const busy = await fetch(full.sessionId, 2, []);
    assert.deepEqual(busy.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.highWatermark])), [[2, 1]]);
    assert.ok((busy.responses[0]!.partitions[0]!.records as Buffer).length > 0);

    // Moving partition 2's position past the record, and forgetting partition 0: nothing new.
    const moved = await fetch(full.sessionId, 3, [{ partition: 2, fetchOffset: 1 }], [0]);
    assert.deepEqual(moved.responses, []);

    // A stale epoch and an unknown session are refused, and change nothing.
    assert.equal((await fetch(full.sessionId, 3, [])).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    assert.equal((await fetch(full.sessionId + 1, 1, [])).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    assert.equal((await fetch(full.sessionId, 4, [])).errorCode, ErrorCode.NONE);
    // Epoch -1 closes the session.
    await fetch(full.sessionId, -1, []);
    assert.equal((await fetch(full.sessionId, 5, [])).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('EndTxn from a producer id the coordinator never gave out changes nothing', async () => {
    // FindCoordinator creates __transaction_state; until its partition is loaded the answer is NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE.
    await waitFor('the transaction coordinator', async () => {
      const found = await call(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['never-initialised'] });
      return found.coordinators[0]!.errorCode === ErrorCode.NONE;
    });
    const ended = await call(ApiKey.EndTxn, 3, { transactionalId: 'never-initialised', producerId: 4242, producerEpoch: 0, committed: true });
    assert.equal(ended.errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  it('DeleteTopics removes the topic from Metadata and refuses an unknown one', async () => {
    const deleted = await call(ApiKey.DeleteTopics, 6, { topics: [{ name: 'orders' }, { name: 'never-there' }], timeoutMs: 5000 });
    const codes = new Map(deleted.responses.map((r) => [r.name, r.errorCode]));
    assert.equal(codes.get('orders'), ErrorCode.NONE);
    assert.equal(codes.get('never-there'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const metadata = await call(ApiKey.Metadata, 12, { topics: [{ name: 'orders' }], allowAutoTopicCreation: false });
    assert.equal(metadata.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
