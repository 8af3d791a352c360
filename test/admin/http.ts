// A small HTTP client for admin API tests: real requests with fetch, each remembered as
// (method, route template) so that a test can check every route of /openapi.json was hit.
export interface HttpResult<T = unknown> {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly json: T;
}

export class AdminHttp {
  /** "METHOD /path" of every request sent, with the concrete path. */
  readonly sent: { method: string; path: string; status: number }[] = [];

  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.baseUrl + path, init);
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    let json: unknown = undefined;
    if (contentType.includes('application/json') && text.length > 0) json = JSON.parse(text);
    this.sent.push({ method, path: path.split('?')[0]!, status: res.status });
    return { status: res.status, contentType, text, json: json as T };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body);
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** Whether a request matched an OpenAPI path template (/v1/topics/{name}) and method, with the given status class. */
  hit(method: string, template: string, statusClass?: number): boolean {
    const re = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return this.sent.some((s) => s.method === method && re.test(s.path) && (statusClass === undefined || Math.floor(s.status / 100) === statusClass));
  }
}
