// Markers for partitions led by another broker go out as WriteTxnMarkers over the
// inter-broker listener (ClientTxnMarkerSender, with src/client). The other broker here is a
// socket server in this test that speaks the protocol with the generated codecs: it answers
// ApiVersions and WriteTxnMarkers, first with NOT_LEADER_OR_FOLLOWER (retried), then NONE;
// the transaction completes only after that.
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBrokerConfig } from '../../src/config/broker-config.js';
import type { ClusterView } from '../../src/cluster/cluster-view.js';
import { silentLogger } from '../../src/logger.js';
import { decodeRequest, encodeResponseBuffer } from '../../src/protocol/framing.js';
import { ApiKey, type WriteTxnMarkersRequest, loadAllApiCodecs } from '../../src/protocol/generated/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ClientTxnMarkerSender, TransactionCoordinator } from '../../src/txn/transaction-coordinator.js';
import { TransactionMarkerChannel } from '../../src/txn/transaction-marker-channel.js';
import { MemoryTransactionStateStore } from './memory-transaction-state-store.js';

// The framing functions used here are synchronous: every API's codecs first.
await loadAllApiCodecs();

const OTHER_BROKER = 2;

/** A broker that serves ApiVersions and WriteTxnMarkers only. */
class FakeBroker {
  readonly requests: WriteTxnMarkersRequest[] = [];
  versions: number[] = [];
  /** Error codes answered to the next WriteTxnMarkers requests, in order; NONE after. */
  errors: number[] = [];
  private readonly server = net.createServer((socket) => this.serve(socket));
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        socket.write(this.answer(frame));
      }
    });
    socket.on('error', () => {});
  }

  private answer(frame: Buffer): Buffer {
    const req = decodeRequest(frame);
    assert.ok(req.ok);
    const { correlationId, apiVersion } = req.header;
    if (req.apiKey === ApiKey.ApiVersions) {
      return encodeResponseBuffer(ApiKey.ApiVersions, apiVersion, correlationId, {
        errorCode: ErrorCode.NONE,
        apiKeys: [
          { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
          { apiKey: ApiKey.WriteTxnMarkers, minVersion: 0, maxVersion: 1 },
        ],
        throttleTimeMs: 0,
      });
    }
    assert.equal(req.apiKey, ApiKey.WriteTxnMarkers);
    const body = req.body as WriteTxnMarkersRequest;
    this.requests.push(body);
    this.versions.push(apiVersion);
    const errorCode = this.errors.shift() ?? ErrorCode.NONE;
    return encodeResponseBuffer(ApiKey.WriteTxnMarkers, apiVersion, correlationId, {
      markers: body.markers.map((m) => ({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })) })),
      })),
    });
  }
}

describe('transaction markers to another broker', { timeout: 60_000 }, () => {
  const fake = new FakeBroker();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidelog-remote-markers-'));

  before(() => fake.start());
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends WriteTxnMarkers to the leader, retries NOT_LEADER_OR_FOLLOWER, and completes the transaction after NONE', async () => {
    const config = buildBrokerConfig(new Map([['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.dirs', dir], ['broker.id', '1']]));
    const view = {
      clustered: true,
      liveBrokers: () => [{ id: OTHER_BROKER, rack: null, endpoints: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port: fake.port }] }],
    } as unknown as ClusterView;
    const sender = new ClientTxnMarkerSender(config, view);
    const local = { writeTxnMarkers: async () => assert.fail('no partition is local') };
    const channel = new TransactionMarkerChannel({ destination: () => ({ kind: 'remote', brokerId: OTHER_BROKER }) }, local, sender, silentLogger(), 5);
    const store = new MemoryTransactionStateStore();
    let pid = 500;
    const coordinator = new TransactionCoordinator(
      { transactionalIdExpirationMs: 60_000, transactionMaxTimeoutMs: 900_000, transactionLogNumPartitions: 3, transactionLogLoadBufferBytes: 1 << 20, abortTimedOutTransactionsIntervalMs: 3_600_000, removeExpiredTransactionalIdsIntervalMs: 3_600_000 },
      store,
      channel,
      silentLogger(),
      { generateProducerId: () => pid++, offsetsPartitionFor: () => 0 },
    );
    await coordinator.startup();
    try {
      const p = await coordinator.initProducerId('remote-tx', 60_000, null);
      assert.equal(await coordinator.addPartitionsToTransaction('remote-tx', p.producerId, p.producerEpoch, [{ topic: 'far', partition: 0 }, { topic: 'far', partition: 3 }]), ErrorCode.NONE);
      fake.errors = [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_LEADER_OR_FOLLOWER];
      assert.equal(await coordinator.endTxn('remote-tx', p.producerId, p.producerEpoch, true), ErrorCode.NONE);
      const deadline = Date.now() + 10_000;
      while (coordinator.describeTransaction('remote-tx').transactionState !== 'CompleteCommit') {
        if (Date.now() > deadline) assert.fail(`still ${coordinator.describeTransaction('remote-tx').transactionState}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(fake.requests.length, 3, 'two refusals, then the markers');
      assert.deepEqual(fake.versions, [1, 1, 1], 'the highest version both serve');
      const m = fake.requests.at(-1)!.markers[0]!;
      assert.deepEqual(
        { producerId: m.producerId, producerEpoch: m.producerEpoch, transactionResult: m.transactionResult, coordinatorEpoch: m.coordinatorEpoch, topics: m.topics },
        { producerId: p.producerId, producerEpoch: p.producerEpoch, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: 'far', partitionIndexes: [0, 3] }] },
      );
    } finally {
      await coordinator.shutdown();
    }
  });
});
