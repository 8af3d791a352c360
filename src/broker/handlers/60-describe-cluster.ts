// DescribeCluster: v0-1
// The cluster id, the controller and the brokers with their endpoints on the listener the
// request came in on. v1+: endpointType (1 = brokers; 2 = controllers, which a ZooKeeper-style
// or single-node Tidelog does not expose separately: UNSUPPORTED_ENDPOINT_TYPE). In a cluster
// every live broker (/brokers/ids) is listed.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { brokersOnListener } from '../../cluster/cluster-view.js';
import { defineHandler } from './handler.js';
import { AclOperation, OPERATIONS_NOT_REQUESTED, authorizeCluster, clusterAuthorizedOperations } from './authorize.js';

const BROKER_ENDPOINTS = 1;

export const describeClusterHandler = defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    const { services, apiVersion } = ctx;
    if (apiVersion >= 1 && request.endpointType !== BROKER_ENDPOINTS) {
      return { errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Unsupported endpoint type ${request.endpointType}`, endpointType: request.endpointType, clusterId: services.clusterId, controllerId: -1, brokers: [] };
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKER_ENDPOINTS,
      clusterId: services.clusterId,
      controllerId: services.cluster.controllerId(),
      brokers: brokersOnListener(services.cluster, ctx.connection.listener.name).map((b) => ({ brokerId: b.id, host: b.host, port: b.port, rack: b.rack })),
      // Filled when asked and the principal may DESCRIBE the cluster, 0 otherwise (KafkaApis.handleDescribeCluster).
      clusterAuthorizedOperations: !request.includeClusterAuthorizedOperations ? OPERATIONS_NOT_REQUESTED : authorizeCluster(ctx, AclOperation.DESCRIBE, false) ? clusterAuthorizedOperations(ctx) : 0,
    };
  },
});
