// Runs tool calls against an HTTP endpoint the user named, and nowhere else. A tool set imported from OpenAPI calls
// its operations (method, path parameters, query, JSON body, from the import's bindings) under the given base URL;
// any other tool set POSTs `{"name", "arguments"}` to the endpoint. Before any request, the URL's origin must be one
// the user listed: every other origin is refused (a path template like `//elsewhere/x` cannot redirect a call).
import type { OperationBinding } from './openapi.ts';
import type { ToolResult } from './environment.ts';
import type { ToolCall } from './types.ts';

export interface HttpExecutorConfig {
  /** The endpoint (plain tool sets) or the API's base URL (OpenAPI imports). */
  url: string;
  /** Origins requests may go to; the origin of `url` when empty. */
  allowedOrigins?: string[];
}

export interface HttpRequestPlan {
  method: string;
  url: string;
  body?: string;
}

/** The origins calls may reach: the listed ones, or the endpoint's own. */
export function allowedOrigins(cfg: HttpExecutorConfig): string[] {
  const list = cfg.allowedOrigins?.length ? cfg.allowedOrigins : [cfg.url];
  return list.map((u) => new URL(u).origin);
}

/** Checks the config up front: a URL that parses, http(s) only. */
export function checkHttpConfig(cfg: HttpExecutorConfig): string | null {
  for (const u of [cfg.url, ...(cfg.allowedOrigins ?? [])]) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return `"${u}" is not a URL (write it with http:// or https://)`;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `"${u}": only http and https endpoints can be called`;
  }
  return null;
}

/** The request a call becomes (no network). */
export function planRequest(call: ToolCall, cfg: HttpExecutorConfig, bindings?: readonly OperationBinding[]): HttpRequestPlan {
  const binding = bindings?.find((b) => b.tool === call.name);
  if (!binding) return { method: 'POST', url: cfg.url, body: JSON.stringify({ name: call.name, arguments: call.arguments }) };
  let path = binding.path;
  const query = new URLSearchParams();
  let body: Record<string, unknown> | undefined;
  let whole: unknown;
  for (const p of binding.params) {
    const v = call.arguments[p.name];
    if (v === undefined) continue;
    if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v)));
    else if (p.in === 'query') {
      if (Array.isArray(v)) for (const x of v) query.append(p.name, typeof x === 'string' ? x : JSON.stringify(x));
      else query.append(p.name, typeof v === 'string' ? v : JSON.stringify(v));
    } else if (p.in === 'body') (body ??= {})[p.name] = v;
    else whole = v;
  }
  // Joined as text, then parsed: a base URL's own path is kept (https://host/api + /rooms = https://host/api/rooms).
  const url = new URL(cfg.url.replace(/\/+$/, '') + path);
  for (const [k, v] of query) url.searchParams.append(k, v);
  const payload = whole !== undefined ? whole : body;
  return { method: binding.method.toUpperCase(), url: url.toString(), ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}) };
}

/** Runs one call: refused unless its URL's origin is allowed; the JSON (or text) response is the result. */
export async function executeHttp(call: ToolCall, cfg: HttpExecutorConfig, bindings?: readonly OperationBinding[], fetchImpl: typeof fetch = fetch): Promise<ToolResult> {
  const bad = checkHttpConfig(cfg);
  if (bad) return { ok: false, error: { type: 'invalid_request', message: bad } };
  let plan: HttpRequestPlan;
  try {
    plan = planRequest(call, cfg, bindings);
  } catch (e) {
    return { ok: false, error: { type: 'invalid_request', message: `no request could be made for ${call.name}: ${(e as Error).message}` } };
  }
  const origin = new URL(plan.url).origin;
  const allowed = allowedOrigins(cfg);
  if (!allowed.includes(origin)) {
    return { ok: false, error: { type: 'invalid_request', message: `refused: ${origin} is not an allowed origin (allowed: ${allowed.join(', ')})` } };
  }
  let res: Response;
  try {
    res = await fetchImpl(plan.url, {
      method: plan.method, ...(plan.body !== undefined ? { body: plan.body, headers: { 'content-type': 'application/json' } } : {}),
      credentials: 'omit', redirect: 'error',
    });
  } catch (e) {
    return { ok: false, error: { type: 'invalid_request', message: `${plan.method} ${plan.url} failed: ${(e as Error).message}` } };
  }
  const text = await res.text();
  let value: unknown = text;
  try {
    value = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: the text is the result.
  }
  if (!res.ok) {
    const type = res.status === 404 ? 'not_found' : res.status === 409 ? 'conflict' : 'invalid_request';
    return { ok: false, error: { type, message: `${plan.method} ${plan.url}: HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}` } };
  }
  return { ok: true, result: value };
}
