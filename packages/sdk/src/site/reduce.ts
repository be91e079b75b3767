/**
 * The public suffix list (through tldts) is ~47 KB gzip, four times the SDK's whole browser budget, so the
 * registrable-domain reduction lives in its own chunk (site/domain.ts), loaded the first time a `site` metric
 * records. Until it arrives a URL is held in memory only as scheme://host; paths, queries and fragments are
 * dropped at once, and nothing is persisted or sent before the reduction to eTLD+1 has run.
 */
type Reduce = (url: string) => string | null;

let loading: Promise<Reduce> | null = null;

export const siteReducer: { reduce: Reduce | null; load(): Promise<Reduce> } = {
  reduce: null,
  load() {
    loading ??= import('./domain.js').then(
      (m) => {
        siteReducer.reduce = m.registrableDomain;
        return m.registrableDomain;
      },
      (error: unknown) => {
        loading = null; // a later report tries again
        throw error;
      },
    );
    return loading;
  },
};

/** scheme://host of a web URL, or null for anything that is not http(s). */
export function siteOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    return `${parsed.protocol}//${parsed.hostname}`;
  } catch {
    return null;
  }
}
