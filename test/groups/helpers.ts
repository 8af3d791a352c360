// Helpers for the group coordinator tests: a coordinator over a MemoryOffsetsStore with
// test-sized timeouts, consumer-protocol metadata, and join/sync shorthands.
import { silentLogger } from '../../src/logger.js';
import { dataCodecs } from '../../src/protocol/generated/index.js';
import { Writer } from '../../src/protocol/primitives/index.js';
import { GroupCoordinator, type ConsumerGroupHeartbeatParams, type GroupCoordinatorConfig, type JoinGroupParams } from '../../src/groups/group-coordinator.js';
import { MemoryOffsetsStore } from './memory-offsets-store.js';

export const TEST_CONFIG: GroupCoordinatorConfig = {
  groupMinSessionTimeoutMs: 1000,
  groupMaxSessionTimeoutMs: 60_000,
  groupMaxSize: 100,
  groupInitialRebalanceDelayMs: 0,
  offsetsTopicNumPartitions: 5,
  offsetsRetentionMs: 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
};

export async function startCoordinator(config: Partial<GroupCoordinatorConfig> = {}, store = new MemoryOffsetsStore()): Promise<{ coordinator: GroupCoordinator; store: MemoryOffsetsStore }> {
  const coordinator = new GroupCoordinator({ ...TEST_CONFIG, ...config }, store, silentLogger());
  await coordinator.startup();
  return { coordinator, store };
}

/** A ConsumerProtocolSubscription (v0) for the given topics, with its version prefix. */
export function subscription(topics: readonly string[]): Buffer {
  const w = new Writer();
  w.writeInt16(0);
  dataCodecs.ConsumerProtocolSubscription.encode(w, 0, { topics: [...topics], userData: null });
  return w.finish();
}

export function joinParams(overrides: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 10_000,
    sessionTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    reason: null,
    ...overrides,
  };
}

/** Lets pending promise callbacks (appends, parked responses) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Tracks whether a promise has settled, without awaiting it. */
export function watch<T>(promise: Promise<T>): { readonly done: boolean; readonly value: T | undefined; promise: Promise<T> } {
  const state = { done: false, value: undefined as T | undefined, promise };
  void promise.then((v) => {
    state.done = true;
    state.value = v;
  });
  return state;
}

/** A ConsumerGroupHeartbeat (KIP-848) of member m1 joining group g subscribed to t1, with overrides. */
export function consumerHeartbeat(overrides: Partial<ConsumerGroupHeartbeatParams>): ConsumerGroupHeartbeatParams {
  return {
    apiVersion: 1,
    groupId: 'g',
    memberId: 'm1',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['t1'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...overrides,
  };
}
