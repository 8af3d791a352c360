// Valid request frames for every API and version the broker advertises, as a client would
// send them: realistic request objects (topics and groups that exist or could, record batches,
// producer ids) encoded by the generated codecs in src/protocol/generated. The fuzzer mutates
// these; each frame is a fresh object for iteration `i`, so groups and topic names differ
// between iterations and a parked JoinGroup never holds up the next one. Odd iterations of the
// group APIs aim at the context's Stable group and member, and of Produce at its idempotent
// producer (context.ts), so that mutations reach the coordinator's and producer state's checks.
import { encodeRequest } from '../../src/protocol/framing.js';
import { ApiKey, type ApiTypes } from '../../src/protocol/generated/index.js';
import { Writer } from '../../src/protocol/primitives/index.js';
import { recordBatch } from '../helpers/batch.js';
import { ASSIGNMENT, SUBSCRIPTION, type FuzzContext } from './context.js';

/** The topic every sample names; the fuzz test creates it with FUZZ_PARTITIONS partitions. */
export const FUZZ_TOPIC = 'fuzz';
export const FUZZ_PARTITIONS = 3;
/** Record timestamps are fixed so that frames are the same on every run. */
const TIMESTAMP_MS = 1_700_000_000_000;
const TOPIC_ID = '5a1f0d6e-3c2b-4a19-8e7d-6c5b4a392817';

type Sample<K extends ApiKey> = (version: number, i: number, ctx: FuzzContext) => ApiTypes[K]['requestInput'];

/** A context naming nothing that exists, for samples built without a broker. */
export const NO_CONTEXT: FuzzContext = { groupId: 'fuzz-no-group', memberId: 'fuzz-no-member', generationId: 1, producerId: 1000, producerEpoch: 0 };

/** The group, member and generation iteration `i` names: the context's on odd iterations. */
function member(i: number, ctx: FuzzContext): { groupId: string; memberId: string; generationId: number } {
  return i % 2 === 1 ? { groupId: ctx.groupId, memberId: ctx.memberId, generationId: ctx.generationId } : { groupId: `fuzz-group-${i}`, memberId: `member-${i}`, generationId: 1 };
}
type Samples = { readonly [K in ApiKey]?: Sample<K> };

const records = (i: number) => [{ key: `k${i}`, value: `fuzz value ${i}` }, { value: 'second' }];
/** Odd iterations: a batch of the context's idempotent producer, sequence numbers from 0. */
const batch = (i: number, ctx: FuzzContext) =>
  recordBatch(records(i), TIMESTAMP_MS, i % 2 === 1 ? { producerId: ctx.producerId, producerEpoch: ctx.producerEpoch, baseSequence: Math.floor(i / 6) * 2 } : undefined);

/** One realistic request per API key served, by version and iteration. */
export const SAMPLES: Samples = {
  [ApiKey.Produce]: (v, i, ctx) => ({
    transactionalId: null,
    acks: i % 3 === 0 ? 1 : -1,
    timeoutMs: 5000,
    topicData: [{ name: FUZZ_TOPIC, partitionData: [{ index: i % FUZZ_PARTITIONS, records: batch(i, ctx) }] }],
  }),
  [ApiKey.Fetch]: (v, i) => ({
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: i % 2,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: v >= 13 ? '' : FUZZ_TOPIC, topicId: v >= 13 ? TOPIC_ID : undefined, partitions: [{ partition: i % FUZZ_PARTITIONS, currentLeaderEpoch: v >= 9 ? -1 : undefined, fetchOffset: 0, logStartOffset: v >= 5 ? -1 : undefined, partitionMaxBytes: 1 << 16 }] }],
    forgottenTopicsData: [],
    rackId: '',
  }),
  [ApiKey.ListOffsets]: (v, i) => ({
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: FUZZ_TOPIC, partitions: [{ partitionIndex: i % FUZZ_PARTITIONS, currentLeaderEpoch: v >= 4 ? -1 : undefined, timestamp: [-1, -2, -3, TIMESTAMP_MS][i % 4]! }] }],
  }),
  [ApiKey.Metadata]: (v, i) => ({
    topics: i % 4 === 0 && v >= 1 ? null : [{ name: FUZZ_TOPIC }, { name: `fuzz-auto-${i % 5}` }],
    allowAutoTopicCreation: v < 4 || i % 2 === 0,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: v >= 8 && v <= 10 ? i % 2 === 1 : false,
  }),
  [ApiKey.OffsetCommit]: (v, i, ctx) => ({
    groupId: member(i, ctx).groupId,
    generationIdOrMemberEpoch: i % 2 === 1 ? ctx.generationId : -1,
    memberId: i % 2 === 1 ? ctx.memberId : '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: FUZZ_TOPIC, partitions: [{ partitionIndex: i % FUZZ_PARTITIONS, committedOffset: i, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
  }),
  [ApiKey.OffsetFetch]: (v, i, ctx) =>
    v >= 8
      ? { groups: [{ groupId: member(i, ctx).groupId, topics: [{ name: FUZZ_TOPIC, partitionIndexes: [0, 1] }] }], requireStable: i % 4 === 1 }
      : { groupId: member(i, ctx).groupId, topics: i % 3 === 0 && v >= 2 ? null : [{ name: FUZZ_TOPIC, partitionIndexes: [0, 1, 2] }], requireStable: false },
  [ApiKey.FindCoordinator]: (v, i) => (v >= 4 ? { keyType: 0, coordinatorKeys: [`fuzz-group-${i}`, 'another'] } : { key: `fuzz-group-${i}`, keyType: 0 }),
  [ApiKey.JoinGroup]: (v, i) => ({
    groupId: `fuzz-join-${i}`,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: SUBSCRIPTION }],
    reason: null,
  }),
  [ApiKey.Heartbeat]: (v, i, ctx) => ({ ...member(i, ctx), groupInstanceId: null }),
  [ApiKey.LeaveGroup]: (v, i, ctx) => {
    const m = member(i, ctx);
    return v >= 3 ? { groupId: m.groupId, members: [{ memberId: m.memberId, groupInstanceId: null }] } : { groupId: m.groupId, memberId: m.memberId };
  },
  [ApiKey.SyncGroup]: (v, i, ctx) => ({
    ...member(i, ctx),
    groupInstanceId: null,
    protocolType: v >= 5 ? 'consumer' : undefined,
    protocolName: v >= 5 ? 'range' : undefined,
    assignments: [{ memberId: member(i, ctx).memberId, assignment: ASSIGNMENT }],
  }),
  [ApiKey.DescribeGroups]: (v, i, ctx) => ({ groups: [member(i, ctx).groupId, 'absent'], includeAuthorizedOperations: v >= 3 }),
  [ApiKey.ListGroups]: (v) => ({ statesFilter: v >= 4 ? ['Empty', 'Stable'] : [], typesFilter: v >= 5 ? ['classic'] : [] }),
  [ApiKey.ApiVersions]: (v) => ({ clientSoftwareName: 'tidelog-fuzz', clientSoftwareVersion: '1.0.0' }),
  [ApiKey.CreateTopics]: (v, i) => ({
    topics: [{ name: `fuzz-created-${i}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '3600000' }] }],
    timeoutMs: 5000,
    // Mostly validateOnly: a mutated partition count (a bit flip makes 1 into 8193) must not
    // exhaust the file descriptors of long runs (v0 cannot validate only and always creates).
    validateOnly: v >= 1 && i % 8 !== 0,
  }),
  [ApiKey.DeleteTopics]: (v, i) => (v >= 6 ? { topics: [{ name: `fuzz-created-${i}`, topicId: '00000000-0000-0000-0000-000000000000' }], timeoutMs: 5000 } : { topicNames: [`fuzz-created-${i}`, 'absent'], timeoutMs: 5000 }),
  [ApiKey.DeleteRecords]: (v, i) => ({ topics: [{ name: FUZZ_TOPIC, partitions: [{ partitionIndex: i % FUZZ_PARTITIONS, offset: 0 }] }], timeoutMs: 5000 }),
  [ApiKey.InitProducerId]: (v, i, ctx) => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: v >= 3 && i % 2 === 1 ? ctx.producerId : -1, producerEpoch: v >= 3 && i % 2 === 1 ? ctx.producerEpoch : -1 }),
  [ApiKey.AddPartitionsToTxn]: (v, i) => {
    const topics = [{ name: FUZZ_TOPIC, partitions: [i % FUZZ_PARTITIONS] }];
    return v >= 4
      ? { transactions: [{ transactionalId: `fuzz-txn-${i % 4}`, producerId: 1, producerEpoch: 0, verifyOnly: i % 2 === 0, topics }] }
      : { v3AndBelowTransactionalId: `fuzz-txn-${i % 4}`, v3AndBelowProducerId: 1, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: topics };
  },
  [ApiKey.AddOffsetsToTxn]: (v, i) => ({ transactionalId: `fuzz-txn-${i % 4}`, producerId: 1, producerEpoch: 0, groupId: `fuzz-group-${i}` }),
  [ApiKey.EndTxn]: (v, i) => ({ transactionalId: `fuzz-txn-${i % 4}`, producerId: 1, producerEpoch: 0, committed: i % 2 === 0 }),
  [ApiKey.DescribeTransactions]: (v, i) => ({ transactionalIds: [`fuzz-txn-${i % 4}`, ''] }),
  // KIP-848: joins (epoch 0), heartbeats at unknown epochs, leaves, regexes (some invalid).
  [ApiKey.ConsumerGroupHeartbeat]: (v, i) => ({
    groupId: `fuzz-848-${i % 3}`,
    memberId: `fuzz-member-${i % 5}`,
    memberEpoch: [0, 0, 1, -1, 7][i % 5],
    instanceId: i % 4 === 0 ? `fuzz-instance-${i % 2}` : null,
    rackId: null,
    rebalanceTimeoutMs: i % 5 < 2 ? 30_000 : -1,
    subscribedTopicNames: i % 2 === 0 ? [FUZZ_TOPIC] : null,
    subscribedTopicRegex: v >= 1 && i % 2 === 1 ? (i % 3 === 0 ? '(?=x)' : 'fuzz.*') : null,
    serverAssignor: i % 7 === 0 ? 'range' : null,
    topicPartitions: i % 5 < 2 ? [] : [{ topicId: '00000000-0000-0000-0000-000000000001', partitions: [0] }],
  }),
  [ApiKey.ConsumerGroupDescribe]: (v, i) => ({ groupIds: [`fuzz-848-${i % 3}`, `fuzz-group-${i % 2}`, ''], includeAuthorizedOperations: i % 2 === 0 }),
  [ApiKey.ListTransactions]: (v, i) => ({ stateFilters: i % 2 === 0 ? [] : ['Ongoing', 'NoSuchState'], producerIdFilters: i % 3 === 0 ? [1] : [], durationFilter: v >= 1 ? -1 : undefined, transactionalIdPattern: v >= 2 ? ['fuzz-.*', '[', null][i % 3] : undefined }),
  [ApiKey.OffsetForLeaderEpoch]: (v, i) => ({ replicaId: -1, topics: [{ topic: FUZZ_TOPIC, partitions: [{ partition: i % FUZZ_PARTITIONS, currentLeaderEpoch: v >= 2 ? -1 : undefined, leaderEpoch: 0 }] }] }),
  // A producer id of its own per iteration (its commits are transactional batches of that
  // producer on __consumer_offsets); odd iterations name the context's member (v3+, KIP-447).
  [ApiKey.TxnOffsetCommit]: (v, i, ctx) => ({
    transactionalId: `fuzz-txn-${i}`,
    groupId: member(i, ctx).groupId,
    producerId: 2000 + i,
    producerEpoch: 0,
    generationId: v >= 3 && i % 2 === 1 ? ctx.generationId : -1,
    memberId: v >= 3 && i % 2 === 1 ? ctx.memberId : '',
    groupInstanceId: null,
    topics: [{ name: FUZZ_TOPIC, partitions: [{ partitionIndex: i % FUZZ_PARTITIONS, committedOffset: i, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
  }),
  [ApiKey.DescribeConfigs]: (v, i) => ({
    resources: [{ resourceType: i % 2 === 0 ? 2 : 4, resourceName: i % 2 === 0 ? FUZZ_TOPIC : '0', configurationKeys: i % 3 === 0 ? ['retention.ms'] : null }],
    includeSynonyms: v >= 1,
    includeDocumentation: v >= 3,
  }),
  [ApiKey.AlterConfigs]: (v, i) => ({ resources: [{ resourceType: 2, resourceName: FUZZ_TOPIC, configs: [{ name: 'retention.ms', value: String(3_600_000 + i) }] }], validateOnly: i % 2 === 0 }),
  [ApiKey.DescribeLogDirs]: (v, i) => ({ topics: i % 2 === 0 ? null : [{ topic: FUZZ_TOPIC, partitions: [0, 1, 2] }] }),
  [ApiKey.CreatePartitions]: (v, i) => ({ topics: [{ name: FUZZ_TOPIC, count: FUZZ_PARTITIONS + 1, assignments: null }], timeoutMs: 5000, validateOnly: true }),
  [ApiKey.DeleteGroups]: (v, i, ctx) => ({ groupsNames: [member(i, ctx).groupId, 'absent'] }),
  [ApiKey.ElectLeaders]: (v, i) => ({ electionType: 0, topicPartitions: i % 2 === 0 ? null : [{ topic: FUZZ_TOPIC, partitions: [0, 1] }], timeoutMs: 5000 }),
  [ApiKey.IncrementalAlterConfigs]: (v, i) => ({ resources: [{ resourceType: 2, resourceName: FUZZ_TOPIC, configs: [{ name: 'retention.ms', configOperation: 0, value: String(3_600_000 + i) }] }], validateOnly: i % 2 === 0 }),
  [ApiKey.AlterPartitionReassignments]: (v, i) => ({ timeoutMs: 5000, topics: [{ name: FUZZ_TOPIC, partitions: [{ partitionIndex: i % FUZZ_PARTITIONS, replicas: i % 3 === 0 ? null : i % 3 === 1 ? [0] : [0, 7] }] }] }),
  [ApiKey.ListPartitionReassignments]: (v, i) => ({ timeoutMs: 5000, topics: i % 2 === 0 ? null : [{ name: FUZZ_TOPIC, partitionIndexes: [0, 1] }] }),
  [ApiKey.OffsetDelete]: (v, i, ctx) => ({ groupId: member(i, ctx).groupId, topics: [{ name: FUZZ_TOPIC, partitions: [{ partitionIndex: 0 }] }] }),
  [ApiKey.DescribeCluster]: (v) => ({ includeClusterAuthorizedOperations: false, endpointType: 1 }),
  [ApiKey.WriteTxnMarkers]: (v, i, ctx) => ({
    markers: [{ producerId: ctx.producerId, producerEpoch: ctx.producerEpoch, transactionResult: i % 2 === 0, topics: [{ name: FUZZ_TOPIC, partitionIndexes: [i % FUZZ_PARTITIONS, 99] }], coordinatorEpoch: 0 }],
  }),
  [ApiKey.DescribeAcls]: (v, i) => ({ resourceTypeFilter: 2, resourceNameFilter: i % 2 === 0 ? null : FUZZ_TOPIC, patternTypeFilter: i % 3 === 0 ? 1 : 2, principalFilter: i % 2 === 0 ? null : 'User:alice', hostFilter: null, operation: 1, permissionType: 1 }),
  [ApiKey.CreateAcls]: (v, i) => ({ creations: [{ resourceType: 2, resourceName: `${FUZZ_TOPIC}-${i % 4}`, resourcePatternType: i % 2 === 0 ? 3 : 4, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] }),
  [ApiKey.DeleteAcls]: (v, i) => ({ filters: [{ resourceTypeFilter: 2, resourceNameFilter: `${FUZZ_TOPIC}-${i % 4}`, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] }),
  [ApiKey.DescribeProducers]: (v, i) => ({ topics: [{ name: FUZZ_TOPIC, partitionIndexes: [i % FUZZ_PARTITIONS, 99] }, { name: 'absent', partitionIndexes: [0] }] }),
  // SASL on a PLAINTEXT listener: ILLEGAL_SASL_STATE (the SASL listeners have their own tests, test/security).
  [ApiKey.SaslHandshake]: (v, i) => ({ mechanism: i % 2 === 0 ? 'PLAIN' : 'SCRAM-SHA-256' }),
  [ApiKey.SaslAuthenticate]: (v, i) => ({ authBytes: Buffer.from(`\u0000user-${i}\u0000pw`) }),
  [ApiKey.DescribeUserScramCredentials]: (v, i) => ({ users: i % 2 === 0 ? null : [{ name: `fuzz-user-${i}` }, { name: `fuzz-user-${i}` }] }),
  // The minimum iterations keep PBKDF2 on the broker cheap; mutations may raise them up to the 16384 cap.
  [ApiKey.AlterUserScramCredentials]: (v, i) => ({
    deletions: i % 3 === 0 ? [{ name: `fuzz-user-${i}`, mechanism: 2 }] : [],
    upsertions: [{ name: `fuzz-user-${i}`, mechanism: 1 + (i % 2), iterations: 4096, salt: Buffer.from(`salt-${i}`), saltedPassword: Buffer.alloc(i % 2 === 0 ? 32 : 64, i) }],
  }),
  // Share groups (KIP-932): a share group per iteration pair; acknowledgements of records never acquired.
  [ApiKey.ShareGroupHeartbeat]: (v, i) => ({ groupId: `fuzz-share-${i % 2}`, memberId: `fuzz-share-member-${i}`, memberEpoch: i % 3 === 0 ? 0 : i % 3 === 1 ? -1 : 5, rackId: null, subscribedTopicNames: i % 3 === 0 ? [FUZZ_TOPIC] : null }),
  [ApiKey.ShareGroupDescribe]: (v, i) => ({ groupIds: [`fuzz-share-${i % 2}`, 'absent'], includeAuthorizedOperations: i % 2 === 0 }),
  [ApiKey.ShareFetch]: (v, i) => ({
    groupId: `fuzz-share-${i % 2}`,
    memberId: `fuzz-share-member-${i}`,
    shareSessionEpoch: i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    maxRecords: 10,
    batchSize: 10,
    topics: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: i % FUZZ_PARTITIONS, acknowledgementBatches: i % 3 === 0 ? [] : [{ firstOffset: 0, lastOffset: 1, acknowledgeTypes: [1] }] }] }],
    forgottenTopicsData: [],
  }),
  [ApiKey.ShareAcknowledge]: (v, i) => ({
    groupId: `fuzz-share-${i % 2}`,
    memberId: `fuzz-share-member-${i}`,
    shareSessionEpoch: i % 2,
    topics: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: i % FUZZ_PARTITIONS, acknowledgementBatches: [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [1 + (i % 3)] }] }] }],
  }),
  [ApiKey.ReadShareGroupState]: (v, i) => ({ groupId: `fuzz-share-${i % 2}`, topics: [{ topicId: TOPIC_ID, partitions: [{ partition: i % FUZZ_PARTITIONS, leaderEpoch: 0 }] }] }),
  [ApiKey.ReadShareGroupStateSummary]: (v, i) => ({ groupId: `fuzz-share-${i % 2}`, topics: [{ topicId: TOPIC_ID, partitions: [{ partition: i % FUZZ_PARTITIONS, leaderEpoch: 0 }] }] }),
  [ApiKey.WriteShareGroupState]: (v, i) => ({
    groupId: `fuzz-share-w-${i % 2}`,
    topics: [{ topicId: TOPIC_ID, partitions: [{ partition: i % FUZZ_PARTITIONS, stateEpoch: 0, leaderEpoch: 0, startOffset: i, deliveryCompleteCount: 0, stateBatches: [{ firstOffset: i, lastOffset: i + 1, deliveryState: 0, deliveryCount: 1 }] }] }],
  }),
  [ApiKey.DescribeShareGroupOffsets]: (v, i) => ({ groups: [{ groupId: `fuzz-share-${i % 2}`, topics: i % 2 === 0 ? null : [{ topicName: FUZZ_TOPIC, partitions: [0, 99] }] }] }),
  [ApiKey.AlterShareGroupOffsets]: (v, i) => ({ groupId: `fuzz-share-a-${i % 2}`, topics: [{ topicName: i % 3 === 0 ? 'absent' : FUZZ_TOPIC, partitions: [{ partitionIndex: i % FUZZ_PARTITIONS, startOffset: i }] }] }),
  [ApiKey.DeleteShareGroupOffsets]: (v, i) => ({ groupId: `fuzz-share-a-${i % 2}`, topics: [{ topicName: FUZZ_TOPIC }, { topicName: 'absent' }] }),
  [ApiKey.DescribeClientQuotas]: (v, i) => ({ components: [{ entityType: i % 2 === 0 ? 'user' : 'client-id', matchType: i % 3, match: i % 3 === 0 ? `u-${i}` : null }], strict: i % 2 === 0 }),
};

/** The request object of API `apiKey` v`version` for iteration `i`. */
export function sampleRequest(apiKey: ApiKey, version: number, i: number, ctx: FuzzContext = NO_CONTEXT): unknown {
  const sample = SAMPLES[apiKey] as Sample<ApiKey> | undefined;
  if (!sample) throw new Error(`no sample request for API key ${apiKey}`);
  return sample(version, i, ctx);
}

/** A request object encoded as a frame (with its 4-byte size prefix); throws when the version cannot carry it. */
export function encodeFrame(apiKey: ApiKey, version: number, request: unknown, correlationId: number): Buffer {
  // A Writer of its own: encodeRequest's result is a view of the writer's buffer.
  return Buffer.from(encodeRequest(apiKey, version, correlationId, 'tidelog-fuzz', request as never, new Writer()));
}

/** The frame of API `apiKey` v`version` for iteration `i`, correlation id `correlationId`. */
export function validFrame(apiKey: ApiKey, version: number, i: number, correlationId: number, ctx: FuzzContext = NO_CONTEXT): Buffer {
  return encodeFrame(apiKey, version, sampleRequest(apiKey, version, i, ctx), correlationId);
}
