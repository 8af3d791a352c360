// The OpenAPI 3.1 document of the admin API, written from the route definitions: zod
// schemas become JSON Schema 2020-12 (zod's own z.toJSONSchema), which is OpenAPI 3.1's
// schema dialect. Every error response points at one ErrorBody schema whose code is an enum
// of the registry (src/admin/errors.ts). Built once when the server starts.
import { z } from 'zod';
import { ADMIN_ERRORS, ADMIN_ERROR_CODES, type AdminErrorCode } from './errors.js';
import type { AdminRoute } from './route.js';

type JsonSchema = Record<string, unknown>;

/** Errors any route with a params, query or body schema may answer. */
const VALIDATION_ERRORS: readonly AdminErrorCode[] = ['TIDELOG_ERR_VALIDATION'];
const BODY_ERRORS: readonly AdminErrorCode[] = ['TIDELOG_ERR_BAD_REQUEST', 'TIDELOG_ERR_BODY_TOO_LARGE', 'TIDELOG_ERR_UNSUPPORTED_MEDIA_TYPE'];
/** Errors of the RequestGuard (request-guard.ts), which checks every request before its route. */
const GUARD_ERRORS: readonly AdminErrorCode[] = ['TIDELOG_ERR_HOST_NOT_ALLOWED', 'TIDELOG_ERR_ORIGIN_NOT_ALLOWED'];

export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** fastify's /v1/topics/:name as OpenAPI's /v1/topics/{name}. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = toJsonSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description: string;
}

export function buildOpenApiDocument(routes: readonly AdminRoute[], info: OpenApiInfo): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const route of routes) {
    tags.add(route.tag);
    const errors = new Set<AdminErrorCode>(route.errors);
    if (route.params || route.query || route.body) for (const e of VALIDATION_ERRORS) errors.add(e);
    if (route.body) for (const e of BODY_ERRORS) errors.add(e);
    for (const e of GUARD_ERRORS) errors.add(e);
    const responses: Record<string, unknown> = {};
    const ok = route.response;
    responses[String(ok.status)] = {
      description: ok.description,
      ...(ok.schema
        ? { content: { 'application/json': { schema: toJsonSchema(ok.schema, 'output') } } }
        : ok.contentType
          ? { content: { [ok.contentType]: { schema: { type: 'string' } } } }
          : {}),
    };
    const byStatus = new Map<number, AdminErrorCode[]>();
    for (const code of [...errors, 'TIDELOG_ERR_INTERNAL' as const]) {
      const status = ADMIN_ERRORS[code].status;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      responses[String(status)] = {
        description: codes.map((c) => `${c}: ${ADMIN_ERRORS[c].description}`).join('\n\n'),
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
      };
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: toJsonSchema(route.body, 'input') } } } } : {}),
      responses,
    };
    const path = openApiPath(route.url);
    paths[path] ??= {};
    paths[path]![route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: {
      schemas: {
        ErrorBody: {
          type: 'object',
          description: 'Every error answer of the admin API.',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: {
                  type: 'string',
                  enum: ADMIN_ERROR_CODES,
                  description: ADMIN_ERROR_CODES.map((c) => `- ${c} (${ADMIN_ERRORS[c].status}): ${ADMIN_ERRORS[c].description}`).join('\n'),
                },
                message: { type: 'string', description: 'What went wrong, for a person.' },
                details: {
                  type: 'array',
                  description: 'For TIDELOG_ERR_VALIDATION: each problem, with where it is.',
                  items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
    },
  };
}
