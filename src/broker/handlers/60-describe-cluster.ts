// DescribeCluster: v0-1
// The cluster id, the controller and the brokers with their endpoints on the listener the
// request came in on. v1+: endpointType (1 = brokers; 2 = controllers, which a ZooKeeper-style
// or single-node Tidelog does not expose separately: UNSUPPORTED_ENDPOINT_TYPE). In a cluster
// every live broker (/brokers/ids) is listed.
import { ApiKey } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { brokersOnListener } from '../../cluster/cluster-view.js';
import { defineHandler } from './handler.js';

const BROKER_ENDPOINTS = 1;
const OPERATIONS_NOT_REQUESTED = -2147483648;

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
      clusterAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
    };
  },
});
