// URLs of files the app serves from public/ (configs name them as "public/..." paths, as on disk).

/** A path under public/ as a URL of this app (works in the page and in workers, under any base path). */
export function publicUrl(path: string): string {
  const base = (import.meta.env?.BASE_URL ?? '/').replace(/\/?$/, '/');
  return new URL(base + path.replace(/^\.?\/?(public\/)?/, ''), self.location.href).href;
}
