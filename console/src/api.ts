// The console's only way to the broker: every request is one of the calls of api-calls.json
// (operationId -> method and path), made same-origin with fetch against the admin API the
// page was served by, so it passes the same request guard and authentication as any client.
// Failures become ApiError with a message for a person: the registry's message for a 4xx or
// 5xx, "not authorized" for 401/403 from authentication, "cannot reach" when the broker is down.
import calls from './api-calls.json';

export type CallId = keyof typeof calls.calls;

export class ApiError extends Error {
  constructor(
    /** HTTP status, 0 when the broker could not be reached at all. */
    readonly status: number,
    /** The registry code (TIDELOG_ERR_*), or '' */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  get unreachable(): boolean {
    return this.status === 0;
  }
  get notFound(): boolean {
    return this.status === 404;
  }
}

/** Listeners told of every failure and success, for the connection banner. */
type Health = { ok: true } | { ok: false; error: ApiError };
const listeners = new Set<(h: Health) => void>();
export function onHealth(fn: (h: Health) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function report(h: Health): void {
  for (const fn of listeners) fn(h);
}

export function callPath(id: CallId, params: Record<string, string | number> = {}): string {
  return calls.calls[id].path.replace(/\{([a-z]+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`${id}: missing path parameter ${name}`);
    return encodeURIComponent(String(v));
  });
}

export async function api<T = unknown>(id: CallId, options: { params?: Record<string, string | number>; query?: Record<string, string | number | undefined>; body?: unknown } = {}): Promise<T> {
  const { method } = calls.calls[id];
  let url = callPath(id, options.params);
  const q = Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined && v !== '');
  if (q.length > 0) url += `?${new URLSearchParams(q.map(([k, v]) => [k, String(v)])).toString()}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: options.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: options.body === undefined ? null : JSON.stringify(options.body),
      credentials: 'same-origin',
    });
  } catch {
    const e = new ApiError(0, '', `Cannot reach the broker at ${location.host}: it may be down or restarting. Retrying.`);
    report({ ok: false, error: e });
    throw e;
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    let message = err?.message ?? `${method} ${url}: HTTP ${res.status}`;
    if (res.status === 401) message = `Not authorized: the admin API asks for credentials (${err?.message ?? 'HTTP 401'}). Sign in the way your administrator set up, then reload.`;
    const e = new ApiError(res.status, err?.code ?? '', message);
    // Only a broker that answers nothing, or refuses us, is the whole console's problem.
    report(res.status === 401 || res.status >= 502 ? { ok: false, error: e } : { ok: true });
    throw e;
  }
  report({ ok: true });
  return body as T;
}

// ---------------------------------------------------------------- the shapes the console reads

export interface Broker { id: number; host: string; port: number; rack: string | null; isController: boolean }
export interface Cluster { clusterId: string; controllerId: number; brokers: Broker[] }
export interface TopicSummary { name: string; internal: boolean; partitions: number; replicationFactor: number }
export interface Partition { partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[]; logStartOffset: number; logEndOffset: number; highWatermark: number; sizeBytes: number; segments: number }
export interface TopicDetail { name: string; topicId: string; internal: boolean; replicationFactor: number; configs: Record<string, string>; partitions: Partition[] }
export interface ConfigEntry { name: string; value: string | null; source: string; isDefault: boolean; readOnly: boolean; sensitive: boolean; defaultValue: string | null; defaultSource: string | null }
export interface ConfigList { name: string; configs: ConfigEntry[] }
export interface Message { offset: number; timestamp: number; timestampType: string; key: string | null; value: string | null; headers: { key: string; value: string | null }[]; compression: string; sizeBytes: number; transactional: boolean }
export interface Messages { topic: string; partition: number; logStartOffset: number; highWatermark: number; order: string; messages: Message[]; truncated: boolean }
export interface GroupSummary { groupId: string; state: string; protocolType: string }
export interface GroupOffset { topic: string; partition: number; committedOffset: number | null; logEndOffset: number; lag: number | null; memberId: string | null }
export interface GroupMember { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; assignment: { topic: string; partitions: number[] }[] }
export interface GroupDetail { groupId: string; state: string; protocolType: string; protocol: string; members: GroupMember[]; offsets: GroupOffset[] }
export interface Throughput { brokerId: number; timestampMs: number; topics: { topic: string; bytesIn: number; bytesOut: number; messagesIn: number; messagesOut: number }[] }
export interface LogDirs { brokers: { brokerId: number; error: string | null; logDirs: { path: string; error: string | null; totalBytes: number; usableBytes: number; partitions: { topic: string; partition: number; sizeBytes: number; offsetLag: number }[] }[] }[] }
export interface Elections { results: { topic: string; partition: number; error: string | null; message: string | null }[] }
