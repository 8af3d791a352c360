// DescribeLogDirs: v0-4
// Per log dir: its partitions with their size on disk and offset lag (0: no future replicas).
// topics null means every partition. v2+: flexible. v3+: top-level errorCode. v4+: totalBytes
// and usableBytes of the dir's filesystem (statfs).
import { statfsSync } from 'node:fs';
import path from 'node:path';
import { ApiKey } from '../../protocol/generated/index.js';
import type { DescribeLogDirsTopicInput } from '../../protocol/generated/describe-log-dirs-response.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './handler.js';
import { AclOperation, authorizeCluster } from './authorize.js';

export const describeLogDirsHandler = defineHandler({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const { services } = ctx;
    // DESCRIBE on the cluster (KafkaApis.handleDescribeLogDirsRequest): no dirs otherwise.
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const wanted = request.topics === null ? null : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]));
    const results = services.logs.logDirs.map((dir) => {
      const topics = new Map<string, DescribeLogDirsTopicInput & { partitions: { partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }[] }>();
      for (const p of services.logs.allPartitions()) {
        if (path.dirname(p.dir) !== path.resolve(dir) && path.dirname(p.dir) !== dir) continue;
        if (wanted && !wanted.get(p.topic)?.has(p.index)) continue;
        let entry = topics.get(p.topic);
        if (!entry) {
          entry = { name: p.topic, partitions: [] };
          topics.set(p.topic, entry);
        }
        entry.partitions.push({ partitionIndex: p.index, partitionSize: p.sizeBytes, offsetLag: 0, isFutureKey: false });
      }
      let totalBytes = -1;
      let usableBytes = -1;
      try {
        const fs = statfsSync(dir);
        totalBytes = fs.blocks * fs.bsize;
        usableBytes = fs.bavail * fs.bsize;
      } catch {
        // leave -1: unknown
      }
      return { errorCode: ErrorCode.NONE, logDir: path.resolve(dir), topics: [...topics.values()], totalBytes, usableBytes };
    });
    return { errorCode: ErrorCode.NONE, results };
  },
});
