// Operational routes: liveness and readiness probes, Prometheus metrics, and the OpenAPI
// document itself.
import { z } from 'zod';
import { AdminError } from '../errors.js';
import type { AdminContext } from '../context.js';
import { defineRoute, type AdminRoute } from '../route.js';

export const LiveSchema = z.object({ status: z.literal('ok') });
export const ReadySchema = z.object({
  status: z.literal('ready'),
  checks: z.object({
    listeners: z.boolean().describe('The Kafka listeners accept connections'),
    groupCoordinator: z.boolean().describe('Consumer groups are loaded and served'),
  }),
});

export function operationRoutes(ctx: AdminContext, document: () => unknown): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/health/live',
      operationId: 'live',
      tag: 'operations',
      summary: 'Liveness: the process answers',
      response: { status: 200, description: 'Alive', schema: LiveSchema },
      errors: [],
      handle: () => ({ status: 'ok' as const }),
    }),
    defineRoute({
      method: 'GET',
      url: '/health/ready',
      operationId: 'ready',
      tag: 'operations',
      summary: 'Readiness: the broker serves clients',
      response: { status: 200, description: 'Ready', schema: ReadySchema },
      errors: ['TIDELOG_ERR_NOT_READY'],
      handle: () => {
        const checks = { listeners: ctx.services.isListening(), groupCoordinator: ctx.services.groups.isActive };
        const failing = Object.entries(checks).filter(([, ok]) => !ok).map(([name]) => name);
        if (failing.length > 0) throw new AdminError('TIDELOG_ERR_NOT_READY', `Not ready: ${failing.join(', ')}.`, failing.map((name) => ({ path: `checks.${name}`, message: 'not ready' })));
        return { status: 'ready' as const, checks };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/metrics',
      operationId: 'metrics',
      tag: 'operations',
      summary: 'Prometheus metrics (text exposition format)',
      response: { status: 200, description: 'Metrics', contentType: 'text/plain; version=0.0.4; charset=utf-8' },
      errors: [],
      handle: async () => (await ctx.services.metrics.render()).text,
    }),
    defineRoute({
      method: 'GET',
      url: '/openapi.json',
      operationId: 'openapi',
      tag: 'operations',
      summary: 'This API as an OpenAPI 3.1 document (the interactive docs are at /docs)',
      response: { status: 200, description: 'The OpenAPI document', contentType: 'application/json' },
      errors: [],
      handle: () => JSON.stringify(document()),
    }),
  ];
}
