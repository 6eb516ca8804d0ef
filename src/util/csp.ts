// The studio's Content-Security-Policy, built in one place for the server that sends it (vite preview, see
// vite.config.ts) and for the page that must know which hub origin its policy allows. Scripts and workers
// come only from the page's own origin (no inline script, no eval: the argument checker runs its
// interpreter instead of ajv's generated code); connections go only to the page's origin and to the hub
// endpoint the user configured on the Models page (huggingface.co with the CDN hosts it redirects weights to).
// The endpoint travels to the server in a cookie, so the policy of the next page load follows the setting;
// a changed endpoint needs that reload, since a page's policy can only ever be tightened.

/** The cookie the Models page sets to the configured hub endpoint's origin. */
export const HUB_COOKIE = 'studio_hub';

/** The default hub (DEFAULT_HUB in model/hub.ts; a test keeps the two equal). */
export const DEFAULT_HUB_ORIGIN = 'https://huggingface.co';

/** Hosts huggingface.co redirects file downloads to (LFS and Xet CDNs), allowed with it. */
const HF_DOWNLOAD_HOSTS = ['https://*.huggingface.co', 'https://*.hf.co'];

/** The origin of an http(s) endpoint URL, or null when it is not one (the server then keeps the default). */
export function hubOrigin(endpoint: string): string | null {
  try {
    const u = new URL(endpoint);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    if (u.username || u.password) return null;
    return u.origin;
  } catch {
    return null;
  }
}

/** The connect-src sources for a hub origin: the origin itself, and the hub's CDNs for huggingface.co. */
export function hubSources(origin: string | null): string[] {
  const o = origin ?? DEFAULT_HUB_ORIGIN;
  return o === DEFAULT_HUB_ORIGIN ? [o, ...HF_DOWNLOAD_HOSTS] : [o];
}

export interface CspOptions {
  /** The configured hub origin (null: the default hub), or 'any-http' where the policy cannot know it. */
  hub: string | null | 'any-http';
  /** In a <meta> element: directives only a header may carry are left out. */
  meta?: boolean;
  /** The Vite dev server injects <style> elements for hot reload. */
  devStyles?: boolean;
}

/**
 * The policy. Sent as a header by the studio's server with the user's hub origin; the page also carries it
 * in a <meta> element without a hub (any http(s) origin) for hosts that send no header: that copy still
 * forbids inline script and eval, and the header, where there is one, narrows connections to the hub.
 */
export function studioCsp(opts: CspOptions): string {
  const connect = opts.hub === 'any-http' ? ['https:', 'http:'] : hubSources(opts.hub);
  return [
    "default-src 'self'",
    // No 'unsafe-inline', no 'unsafe-eval'. The tokenizer never instantiates onnxruntime's wasm, so no
    // 'wasm-unsafe-eval' either (the e2e suite runs under this policy and fails on any violation).
    "script-src 'self'",
    // blob: for the tool sandbox (src/worker/tool-sandbox.ts): the page builds the Worker that runs a user's tool
    // handlers from a Blob. Only the page's own scripts can make one (no inline script), and the Worker inherits
    // this policy (no eval, scripts only from this origin); its prelude removes the network APIs.
    "worker-src 'self' blob:",
    // Svelte sets style attributes (progress bars, chart sizes); no script can come of them.
    opts.devStyles ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    ...(opts.meta ? [] : ["frame-ancestors 'none'"]),
  ].join('; ');
}

/** The hub origin a Cookie header carries (server side), validated; null when absent or not an http(s) origin. */
export function hubOriginFromCookies(cookieHeader: string | undefined): string | null {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== HUB_COOKIE) continue;
    let value: string;
    try {
      value = decodeURIComponent(v.join('='));
    } catch {
      return null;
    }
    const origin = hubOrigin(value);
    return origin === value ? origin : null;
  }
  return null;
}
