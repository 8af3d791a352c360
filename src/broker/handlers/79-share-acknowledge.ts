// ShareAcknowledge: v1-2 (KIP-932; v0 was Kafka 4.0's early access, removed in 4.1)
// v2 (KIP-1222): IsRenewAck and AcquisitionLockTimeoutMs; RENEW (type 4) restarts a lock.
// Acknowledges records a member holds, within its share session (epoch 0 is
// INVALID_SHARE_SESSION_EPOCH, an unknown session SHARE_SESSION_NOT_FOUND, -1 acknowledges and
// closes the session). Per partition: NONE once the new state is persisted,
// INVALID_RECORD_STATE for records the member does not hold. READ on the group and topics.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';
import { byTopic, currentLeader, nodeEndpoints, resolvePartitions } from './share-fetch-common.js';

export const shareAcknowledgeHandler = defineHandler({
  apiKey: ApiKey.ShareAcknowledge,
  minVersion: 1,
  maxVersion: 2,
  async handle(request, ctx) {
    const share = ctx.services.share;
    const groupId = request.groupId ?? '';
    const memberId = request.memberId ?? '';
    const lockMs = share.coordinator.settings(groupId).recordLockDurationMs;
    const top = (errorCode: number, message: string | null) => ({ errorCode, errorMessage: message, acquisitionLockTimeoutMs: lockMs, responses: [], nodeEndpoints: [] });
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, groupId)) return top(ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    if (groupId === '' || memberId === '') return top(ErrorCode.INVALID_REQUEST, 'GroupId and MemberId must be set');
    const opened = share.partitions.acknowledgeSession(groupId, memberId, request.shareSessionEpoch);
    if (opened.errorCode !== ErrorCode.NONE || !opened.session) return top(opened.errorCode, opened.errorMessage);

    const resolved = resolvePartitions(ctx, request.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => p.partitionIndex) })));
    const batchesOf = new Map<string, { firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }[]>();
    for (const t of request.topics) for (const p of t.partitions) batchesOf.set(`${t.topicId}:${p.partitionIndex}`, p.acknowledgementBatches);
    const results = [];
    for (const r of resolved) {
      let code = r.errorCode;
      if (code === ErrorCode.NONE) code = await share.partitions.acknowledge(groupId, memberId, r, batchesOf.get(`${r.topicId}:${r.partition}`) ?? []);
      results.push({ topicId: r.topicId, partitionIndex: r.partition, errorCode: code, errorMessage: code === ErrorCode.NONE ? null : errorMessage(code), currentLeader: currentLeader(ctx, r.topicId, r.partition) });
    }
    if (request.shareSessionEpoch === -1) share.partitions.closeSession(opened.session);
    const leaders = results.filter((r) => r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && r.currentLeader.leaderId >= 0).map((r) => r.currentLeader.leaderId);
    return { errorCode: ErrorCode.NONE, errorMessage: null, acquisitionLockTimeoutMs: lockMs, responses: byTopic(results), nodeEndpoints: nodeEndpoints(ctx, leaders) };
  },
});
