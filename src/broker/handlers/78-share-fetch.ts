// ShareFetch: v1-2 (KIP-932; v0 was Kafka 4.0's early access, removed in 4.1)
// v1: MaxRecords, BatchSize, AcquisitionLockTimeoutMs. v2 (KIP-1206, KIP-1222):
//   ShareAcquireMode (batch-optimized or record-limit: both acquire at most MaxRecords here)
//   and IsRenewAck (the request only renews locks: nothing is fetched).
// The share session (ShareSessionEpoch: 0 opens, -1 closes, otherwise the next epoch) names
// the partitions fetched; piggybacked acknowledgements apply first (AcknowledgeErrorCode per
// partition), then available records are acquired for the member and returned as whole
// batches with their AcquiredRecords ranges; with nothing to acquire the request parks up to
// MaxWaitMs for new records or released ones. An initial fetch carrying acknowledgements is
// INVALID_REQUEST. READ on the group (top level GROUP_AUTHORIZATION_FAILED) and on each topic
// (TOPIC_AUTHORIZATION_FAILED per partition). Partitions led elsewhere answer
// NOT_LEADER_OR_FOLLOWER with their leader in NodeEndpoints.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode, errorMessage } from '../../protocol/errors.js';
import type { AcquiredRange } from '../../share/share-partition.js';
import { tpKey, type TopicIdPartition } from '../../share/share-partition-manager.js';
import { defineHandler } from './handler.js';
import { AclOperation, ResourceType, authorize } from './authorize.js';
import { byTopic, currentLeader, nodeEndpoints, resolvePartitions } from './share-fetch-common.js';

const NO_RECORDS = Buffer.alloc(0);

interface PartitionResult {
  topicId: string;
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
  acknowledgeErrorCode: number;
  acknowledgeErrorMessage: string | null;
  currentLeader: { leaderId: number; leaderEpoch: number };
  records: Buffer;
  acquiredRecords: AcquiredRange[];
}

export const shareFetchHandler = defineHandler({
  apiKey: ApiKey.ShareFetch,
  minVersion: 1,
  maxVersion: 2,
  async handle(request, ctx) {
    const share = ctx.services.share;
    const groupId = request.groupId ?? '';
    const memberId = request.memberId ?? '';
    const settings = share.coordinator.settings(groupId);
    const top = (errorCode: number, message: string | null) => ({ errorCode, errorMessage: message, acquisitionLockTimeoutMs: settings.recordLockDurationMs, responses: [], nodeEndpoints: [] });
    if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, groupId)) return top(ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    if (groupId === '' || memberId === '') return top(ErrorCode.INVALID_REQUEST, 'GroupId and MemberId must be set');

    const requested = resolvePartitions(ctx, request.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => p.partitionIndex) })));
    const acks = new Map<string, { firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }[]>();
    for (const t of request.topics) for (const p of t.partitions) if (p.acknowledgementBatches.length > 0) acks.set(tpKey(t.topicId, p.partitionIndex), p.acknowledgementBatches);
    const servable = requested.filter((r) => r.errorCode === ErrorCode.NONE);
    const forgotten: TopicIdPartition[] = request.forgottenTopicsData.flatMap((f) => f.partitions.map((partition) => ({ topicId: f.topicId, partition })));
    const opened = share.partitions.fetchSession(groupId, memberId, request.shareSessionEpoch, servable, forgotten, acks.size > 0, ctx.connection);
    if (opened.errorCode !== ErrorCode.NONE || !opened.session) return top(opened.errorCode, opened.errorMessage);
    const session = opened.session;

    const results = new Map<string, PartitionResult>();
    const resultFor = (topicId: string, partition: number): PartitionResult => {
      const k = tpKey(topicId, partition);
      let r = results.get(k);
      if (!r) {
        r = { topicId, partitionIndex: partition, errorCode: ErrorCode.NONE, errorMessage: null, acknowledgeErrorCode: ErrorCode.NONE, acknowledgeErrorMessage: null, currentLeader: currentLeader(ctx, topicId, partition), records: NO_RECORDS, acquiredRecords: [] };
        results.set(k, r);
      }
      return r;
    };
    for (const r of requested) {
      if (r.errorCode !== ErrorCode.NONE) {
        const res = resultFor(r.topicId, r.partition);
        res.errorCode = r.errorCode;
        if (acks.has(tpKey(r.topicId, r.partition))) res.acknowledgeErrorCode = r.errorCode;
      }
    }

    // Acknowledgements first: they may release records this fetch then acquires.
    for (const r of servable) {
      const batches = acks.get(tpKey(r.topicId, r.partition));
      if (!batches) continue;
      const code = await share.partitions.acknowledge(groupId, memberId, r, batches);
      const res = resultFor(r.topicId, r.partition);
      res.acknowledgeErrorCode = code;
      res.acknowledgeErrorMessage = code === ErrorCode.NONE ? null : errorMessage(code);
    }

    if (request.shareSessionEpoch === -1) {
      share.partitions.closeSession(session);
    } else if (!(ctx.apiVersion >= 2 && request.isRenewAck)) {
      const targets = [...session.partitions.values()];
      const fetchAll = async (): Promise<boolean> => {
        let records = request.maxRecords > 0 ? request.maxRecords : 500;
        let bytes = request.maxBytes;
        let any = false;
        for (const tp of targets) {
          if (records <= 0 || bytes <= 0) break;
          const f = await share.partitions.fetch(groupId, memberId, tp, records, bytes);
          if (f.errorCode !== ErrorCode.NONE) {
            const res = resultFor(tp.topicId, tp.partition);
            res.errorCode = f.errorCode;
            res.errorMessage = errorMessage(f.errorCode);
            continue;
          }
          if (f.acquired.length === 0) continue;
          const res = resultFor(tp.topicId, tp.partition);
          res.records = f.records;
          res.acquiredRecords = f.acquired;
          any = true;
          for (const a of f.acquired) records -= a.lastOffset - a.firstOffset + 1;
          bytes -= f.records.length;
        }
        return any;
      };
      // Rotate the session's partitions so that one busy partition does not starve the others.
      if (targets.length > 1) targets.push(...targets.splice(0, session.epoch % targets.length));
      if (!(await fetchAll()) && acks.size === 0 && request.maxWaitMs > 0) {
        await share.partitions.waitForRecords(targets, request.maxWaitMs);
        await fetchAll();
      }
    }

    const all = [...results.values()];
    const leaders = all.filter((r) => r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && r.currentLeader.leaderId >= 0).map((r) => r.currentLeader.leaderId);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      acquisitionLockTimeoutMs: settings.recordLockDurationMs,
      responses: byTopic(all),
      nodeEndpoints: nodeEndpoints(ctx, leaders),
    };
  },
});
