// State the fuzzer's requests can aim at, so that mutated frames reach past "unknown member"
// and "unknown producer": a group with one member that has joined and synced (Stable), and an
// idempotent producer id. Made with valid requests over a KafkaConnection before each API's
// frames, since the previous API's frames may have removed the member or fenced the producer.
import assert from 'node:assert/strict';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ApiKey } from '../../src/protocol/generated/index.js';
import { ErrorCode, errorName } from '../../src/protocol/errors.js';

export interface FuzzContext {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Consumer protocol subscription v1 to the fuzz topic (what a consumer puts in JoinGroup). */
export const SUBSCRIPTION = Buffer.from([0, 1, 0, 0, 0, 1, 0, 4, 0x66, 0x75, 0x7a, 0x7a, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
/** Consumer protocol assignment v1: fuzz partition 0. */
export const ASSIGNMENT = Buffer.from([0, 1, 0, 0, 0, 1, 0, 4, 0x66, 0x75, 0x7a, 0x7a, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);

const SESSION_TIMEOUT_MS = 30_000;

export async function makeContext(port: number, groupId: string): Promise<FuzzContext> {
  const c = await KafkaConnection.connect('127.0.0.1', port, 'fuzz-context');
  try {
    const join = { groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, rebalanceTimeoutMs: SESSION_TIMEOUT_MS, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: SUBSCRIPTION }], reason: null };
    // KIP-394: the first join returns the member id to join with.
    const first = await c.request(ApiKey.JoinGroup, 5, { ...join, memberId: '' });
    assert.equal(errorName(first.errorCode), 'MEMBER_ID_REQUIRED');
    const joined = await c.request(ApiKey.JoinGroup, 5, { ...join, memberId: first.memberId });
    assert.equal(errorName(joined.errorCode), 'NONE', `join ${groupId}`);
    const synced = await c.request(ApiKey.SyncGroup, 5, { groupId, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: joined.memberId, assignment: ASSIGNMENT }] });
    assert.equal(errorName(synced.errorCode), 'NONE', `sync ${groupId}`);
    const pid = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    assert.equal(pid.errorCode, ErrorCode.NONE);
    return { groupId, memberId: joined.memberId, generationId: joined.generationId, producerId: Number(pid.producerId), producerEpoch: pid.producerEpoch };
  } finally {
    c.close();
  }
}
