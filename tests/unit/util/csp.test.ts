// The policy builder: the hub origin from the cookie is validated (anything but an http(s) origin falls
// back to the default hub), huggingface.co brings its download CDNs, and no directive allows eval or inline script.
import { describe, expect, it } from 'vitest';
import { DEFAULT_HUB } from '../../../src/model/hub.ts';
import { DEFAULT_HUB_ORIGIN, HUB_COOKIE, hubOrigin, hubOriginFromCookies, studioCsp } from '../../../src/util/csp.ts';

const connectSrc = (csp: string) => csp.split('; ').find((d) => d.startsWith('connect-src'));

describe('studio CSP', () => {
  it('defaults to the default hub and its CDNs', () => {
    expect(DEFAULT_HUB_ORIGIN).toBe(hubOrigin(DEFAULT_HUB.endpoint));
    expect(connectSrc(studioCsp({ hub: null }))).toBe("connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co");
  });

  it('names exactly the configured hub origin', () => {
    const cookie = `other=1; ${HUB_COOKIE}=${encodeURIComponent('http://127.0.0.1:9999')}; x=y`;
    expect(hubOriginFromCookies(cookie)).toBe('http://127.0.0.1:9999');
    expect(connectSrc(studioCsp({ hub: hubOriginFromCookies(cookie) }))).toBe("connect-src 'self' http://127.0.0.1:9999");
  });

  it('ignores a cookie that is not a plain http(s) origin (no directive injection)', () => {
    for (const bad of ["https://a.com; script-src 'unsafe-inline'", 'javascript:alert(1)', 'https://user:pw@a.com', 'https://a.com/path', '*', '%E0%A4%A', 'data:text/html,x', '']) {
      expect(hubOriginFromCookies(`${HUB_COOKIE}=${encodeURIComponent(bad)}`), bad).toBeNull();
      // Unencoded, a ';' ends the cookie: what is left may be an origin, never more.
      expect(hubOriginFromCookies(`${HUB_COOKIE}=${bad}`) ?? 'https://none', bad).toMatch(/^https?:\/\/[^\s;'"/]+$/);
    }
    expect(hubOriginFromCookies(undefined)).toBeNull();
  });

  it('allows no inline script and no eval, in the header and in the meta copy', () => {
    for (const csp of [studioCsp({ hub: null }), studioCsp({ hub: 'any-http', meta: true })]) {
      const script = csp.split('; ').find((d) => d.startsWith('script-src'));
      expect(script).toBe("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-eval/);
    }
    expect(studioCsp({ hub: 'any-http', meta: true })).not.toContain('frame-ancestors'); // ignored (with a console error) in a meta
  });
});
