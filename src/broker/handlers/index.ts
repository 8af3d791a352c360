// The handler registry: every API this broker serves, the versions ApiVersions advertises,
// and how to load its handler. A handler's module (and with it its codecs and whatever only
// it imports) is imported on the API's first request (RequestRouter), so that a broker
// starting up loads what its first requests need, not all 58 handlers (issue #20). The versions
// here repeat each handler's own minVersion/maxVersion so that ApiVersions can answer without
// loading them; test/broker/handler-registry.test.ts checks that they agree.
import { ApiKey } from '../../protocol/generated/index.js';
import type { AnyApiHandler, ApiHandler } from './handler.js';

/** An API this broker serves: its versions, and its handler's loader. */
export interface ServedApi {
  readonly apiKey: ApiKey;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Imports the handler's module; the router calls it once per API. */
  readonly load: () => Promise<AnyApiHandler>;
}

function served<K extends ApiKey>(apiKey: K, minVersion: number, maxVersion: number, load: () => Promise<ApiHandler<K>>): ServedApi {
  return { apiKey, minVersion, maxVersion, load: load as unknown as () => Promise<AnyApiHandler> };
}

export const servedApis: readonly ServedApi[] = [
  served(ApiKey.Produce, 0, 13, async () => (await import('./00-produce.js')).produceHandler),
  served(ApiKey.Fetch, 4, 17, async () => (await import('./01-fetch.js')).fetchHandler),
  served(ApiKey.ListOffsets, 1, 10, async () => (await import('./02-list-offsets.js')).listOffsetsHandler),
  served(ApiKey.Metadata, 0, 12, async () => (await import('./03-metadata.js')).metadataHandler),
  served(ApiKey.OffsetCommit, 2, 9, async () => (await import('./08-offset-commit.js')).offsetCommitHandler),
  served(ApiKey.OffsetFetch, 1, 9, async () => (await import('./09-offset-fetch.js')).offsetFetchHandler),
  served(ApiKey.FindCoordinator, 0, 6, async () => (await import('./10-find-coordinator.js')).findCoordinatorHandler),
  served(ApiKey.JoinGroup, 0, 9, async () => (await import('./11-join-group.js')).joinGroupHandler),
  served(ApiKey.Heartbeat, 0, 4, async () => (await import('./12-heartbeat.js')).heartbeatHandler),
  served(ApiKey.LeaveGroup, 0, 5, async () => (await import('./13-leave-group.js')).leaveGroupHandler),
  served(ApiKey.SyncGroup, 0, 5, async () => (await import('./14-sync-group.js')).syncGroupHandler),
  served(ApiKey.DescribeGroups, 0, 6, async () => (await import('./15-describe-groups.js')).describeGroupsHandler),
  served(ApiKey.ListGroups, 0, 5, async () => (await import('./16-list-groups.js')).listGroupsHandler),
  served(ApiKey.SaslHandshake, 0, 1, async () => (await import('./17-sasl-handshake.js')).saslHandshakeHandler),
  served(ApiKey.ApiVersions, 0, 4, async () => (await import('./18-api-versions.js')).apiVersionsHandler(supportedApiVersions)),
  served(ApiKey.CreateTopics, 0, 7, async () => (await import('./19-create-topics.js')).createTopicsHandler),
  served(ApiKey.DeleteTopics, 0, 6, async () => (await import('./20-delete-topics.js')).deleteTopicsHandler),
  served(ApiKey.DeleteRecords, 0, 2, async () => (await import('./21-delete-records.js')).deleteRecordsHandler),
  served(ApiKey.InitProducerId, 0, 5, async () => (await import('./22-init-producer-id.js')).initProducerIdHandler),
  served(ApiKey.OffsetForLeaderEpoch, 0, 4, async () => (await import('./23-offset-for-leader-epoch.js')).offsetForLeaderEpochHandler),
  served(ApiKey.AddPartitionsToTxn, 0, 5, async () => (await import('./24-add-partitions-to-txn.js')).addPartitionsToTxnHandler),
  served(ApiKey.AddOffsetsToTxn, 0, 4, async () => (await import('./25-add-offsets-to-txn.js')).addOffsetsToTxnHandler),
  served(ApiKey.EndTxn, 0, 5, async () => (await import('./26-end-txn.js')).endTxnHandler),
  served(ApiKey.WriteTxnMarkers, 1, 2, async () => (await import('./27-write-txn-markers.js')).writeTxnMarkersHandler),
  served(ApiKey.TxnOffsetCommit, 0, 6, async () => (await import('./28-txn-offset-commit.js')).txnOffsetCommitHandler),
  served(ApiKey.DescribeAcls, 1, 3, async () => (await import('./29-describe-acls.js')).describeAclsHandler),
  served(ApiKey.CreateAcls, 1, 3, async () => (await import('./30-create-acls.js')).createAclsHandler),
  served(ApiKey.DeleteAcls, 1, 3, async () => (await import('./31-delete-acls.js')).deleteAclsHandler),
  served(ApiKey.DescribeConfigs, 0, 4, async () => (await import('./32-describe-configs.js')).describeConfigsHandler),
  served(ApiKey.AlterConfigs, 0, 2, async () => (await import('./33-alter-configs.js')).alterConfigsHandler),
  served(ApiKey.DescribeLogDirs, 0, 4, async () => (await import('./35-describe-log-dirs.js')).describeLogDirsHandler),
  served(ApiKey.SaslAuthenticate, 0, 2, async () => (await import('./36-sasl-authenticate.js')).saslAuthenticateHandler),
  served(ApiKey.CreatePartitions, 0, 3, async () => (await import('./37-create-partitions.js')).createPartitionsHandler),
  served(ApiKey.DeleteGroups, 0, 2, async () => (await import('./42-delete-groups.js')).deleteGroupsHandler),
  served(ApiKey.ElectLeaders, 0, 2, async () => (await import('./43-elect-leaders.js')).electLeadersHandler),
  served(ApiKey.IncrementalAlterConfigs, 0, 1, async () => (await import('./44-incremental-alter-configs.js')).incrementalAlterConfigsHandler),
  served(ApiKey.AlterPartitionReassignments, 0, 0, async () => (await import('./45-alter-partition-reassignments.js')).alterPartitionReassignmentsHandler),
  served(ApiKey.ListPartitionReassignments, 0, 0, async () => (await import('./46-list-partition-reassignments.js')).listPartitionReassignmentsHandler),
  served(ApiKey.OffsetDelete, 0, 0, async () => (await import('./47-offset-delete.js')).offsetDeleteHandler),
  served(ApiKey.DescribeClientQuotas, 0, 1, async () => (await import('./48-describe-client-quotas.js')).describeClientQuotasHandler),
  served(ApiKey.DescribeUserScramCredentials, 0, 0, async () => (await import('./50-describe-user-scram-credentials.js')).describeUserScramCredentialsHandler),
  served(ApiKey.AlterUserScramCredentials, 0, 0, async () => (await import('./51-alter-user-scram-credentials.js')).alterUserScramCredentialsHandler),
  served(ApiKey.DescribeCluster, 0, 1, async () => (await import('./60-describe-cluster.js')).describeClusterHandler),
  served(ApiKey.DescribeProducers, 0, 0, async () => (await import('./61-describe-producers.js')).describeProducersHandler),
  served(ApiKey.DescribeTransactions, 0, 0, async () => (await import('./65-describe-transactions.js')).describeTransactionsHandler),
  served(ApiKey.ListTransactions, 0, 2, async () => (await import('./66-list-transactions.js')).listTransactionsHandler),
  served(ApiKey.ConsumerGroupHeartbeat, 0, 1, async () => (await import('./68-consumer-group-heartbeat.js')).consumerGroupHeartbeatHandler),
  served(ApiKey.ConsumerGroupDescribe, 0, 1, async () => (await import('./69-consumer-group-describe.js')).consumerGroupDescribeHandler),
  served(ApiKey.ShareGroupHeartbeat, 1, 1, async () => (await import('./76-share-group-heartbeat.js')).shareGroupHeartbeatHandler),
  served(ApiKey.ShareGroupDescribe, 1, 1, async () => (await import('./77-share-group-describe.js')).shareGroupDescribeHandler),
  served(ApiKey.ShareFetch, 1, 2, async () => (await import('./78-share-fetch.js')).shareFetchHandler),
  served(ApiKey.ShareAcknowledge, 1, 2, async () => (await import('./79-share-acknowledge.js')).shareAcknowledgeHandler),
  served(ApiKey.ReadShareGroupState, 0, 0, async () => (await import('./84-read-share-group-state.js')).readShareGroupStateHandler),
  served(ApiKey.WriteShareGroupState, 0, 1, async () => (await import('./85-write-share-group-state.js')).writeShareGroupStateHandler),
  served(ApiKey.ReadShareGroupStateSummary, 0, 1, async () => (await import('./87-read-share-group-state-summary.js')).readShareGroupStateSummaryHandler),
  served(ApiKey.DescribeShareGroupOffsets, 0, 1, async () => (await import('./90-describe-share-group-offsets.js')).describeShareGroupOffsetsHandler),
  served(ApiKey.AlterShareGroupOffsets, 0, 0, async () => (await import('./91-alter-share-group-offsets.js')).alterShareGroupOffsetsHandler),
  served(ApiKey.DeleteShareGroupOffsets, 0, 0, async () => (await import('./92-delete-share-group-offsets.js')).deleteShareGroupOffsetsHandler),
];

export function supportedApiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return servedApis.map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })).sort((a, b) => a.apiKey - b.apiKey);
}
