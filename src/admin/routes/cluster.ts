// GET /v1/cluster and GET /v1/brokers: who is in the cluster, from the ClusterView the Kafka
// protocol path uses too (Metadata, DescribeCluster): the real controller and every live
// broker, asked of any broker. Single node: this broker is the only broker and the controller
// (as a KRaft combined node would report itself).
import { z } from 'zod';
import type { AdminContext } from '../context.js';
import { defineRoute, type AdminRoute } from '../route.js';

const Endpoint = z.object({
  name: z.string().describe('Listener name, e.g. PLAINTEXT'),
  host: z.string(),
  port: z.number().int(),
  securityProtocol: z.string(),
});

export const BrokerSchema = z.object({
  id: z.number().int().describe('broker.id'),
  host: z.string().describe('Host of the first advertised listener'),
  port: z.number().int().describe('Port of the first advertised listener'),
  rack: z.string().nullable().describe('broker.rack, or null'),
  isController: z.boolean(),
  listeners: z.array(Endpoint).describe('Advertised listeners (the ones clients connect to)'),
  version: z.string().nullable().describe('Tidelog version of the broker answering; null for the others'),
  startedAtMs: z.number().int().nullable().describe('When the broker answering started; null for the others'),
});

export const ClusterSchema = z.object({
  clusterId: z.string(),
  controllerId: z.number().int(),
  brokers: z.array(BrokerSchema),
});

export const BrokersSchema = z.object({ brokers: z.array(BrokerSchema) });

function describeBrokers(ctx: AdminContext): z.input<typeof BrokerSchema>[] {
  const { services } = ctx;
  const controllerId = services.cluster.controllerId();
  const protocols = new Map(services.config.values['listener.security.protocol.map'].map((entry) => entry.split(':') as [string, string]));
  return services.cluster.liveBrokers().flatMap((b) => {
    const first = b.endpoints[0];
    if (!first) return [];
    const self = b.id === services.brokerId;
    return [{
      id: b.id,
      host: first.host,
      port: first.port,
      rack: b.rack,
      isController: b.id === controllerId,
      listeners: b.endpoints.map((e) => ({ name: e.listenerName, host: e.host, port: e.port, securityProtocol: protocols.get(e.listenerName) ?? e.listenerName })),
      version: self ? ctx.version : null,
      startedAtMs: self ? services.startedAtMs : null,
    }];
  });
}

export function clusterRoutes(ctx: AdminContext): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/cluster',
      operationId: 'getCluster',
      tag: 'cluster',
      summary: 'The cluster id, the controller and the brokers',
      response: { status: 200, description: 'The cluster', schema: ClusterSchema },
      errors: [],
      handle: () => ({ clusterId: ctx.services.clusterId, controllerId: ctx.services.cluster.controllerId(), brokers: describeBrokers(ctx) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/brokers',
      operationId: 'listBrokers',
      tag: 'cluster',
      summary: 'The brokers of the cluster with their advertised listeners',
      response: { status: 200, description: 'The brokers', schema: BrokersSchema },
      errors: [],
      handle: () => ({ brokers: describeBrokers(ctx) }),
    }),
  ];
}
