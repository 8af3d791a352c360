// GET /v1/cluster and GET /v1/brokers: who is in the cluster. Single node: this broker is
// the only broker and the controller (as a KRaft combined node would report itself).
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
  version: z.string().describe('Tidelog version'),
  startedAtMs: z.number().int(),
});

export const ClusterSchema = z.object({
  clusterId: z.string(),
  controllerId: z.number().int(),
  brokers: z.array(BrokerSchema),
});

export const BrokersSchema = z.object({ brokers: z.array(BrokerSchema) });

function describeBroker(ctx: AdminContext): z.input<typeof BrokerSchema> {
  const { broker } = ctx;
  const listeners = broker.advertisedListeners();
  const first = listeners[0]!;
  return {
    id: broker.brokerId,
    host: first.host,
    port: first.port,
    rack: null,
    isController: true,
    listeners: listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
    version: ctx.version,
    startedAtMs: broker.startedAtMs,
  };
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
      handle: () => ({ clusterId: ctx.broker.clusterId, controllerId: ctx.broker.brokerId, brokers: [describeBroker(ctx)] }),
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/brokers',
      operationId: 'listBrokers',
      tag: 'cluster',
      summary: 'The brokers of the cluster with their advertised listeners',
      response: { status: 200, description: 'The brokers', schema: BrokersSchema },
      errors: [],
      handle: () => ({ brokers: [describeBroker(ctx)] }),
    }),
  ];
}
