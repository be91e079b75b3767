import type { ActivityResult, DictionaryEntry, Dimension, QueryResult } from '@candor/protocol';
import { getToken } from './session.js';

/** The collector refused the token (missing, wrong or revoked). */
export class TokenRefused extends Error {
  constructor() {
    super('The collector refused the access token.');
  }
}

/** Any other failed request, with the collector's own explanation when it gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Range {
  /** Inclusive UTC days, YYYY-MM-DD. */
  from: string;
  to: string;
}

export interface QueryRequest extends Range {
  metric: string;
  by: Dimension;
}

/** The app every read is about (?app= on the collector); null means the collector's default app. */
let currentApp: string | null = null;

export function setApp(app: string | null): void {
  currentApp = app;
}

/** Adds the chosen app to a read's query string. */
function forApp(path: string): string {
  if (!currentApp) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams({ app: currentApp })}`;
}

async function getJson<T>(path: string, token: string | null, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { headers, signal, cache: 'no-store' });
  if (response.status === 401 || response.status === 403) throw new TokenRefused();
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = (await response.json()) as { detail?: string; title?: string; error?: string };
      detail = body.detail ?? body.title ?? body.error ?? detail;
    } catch {
      // Not JSON: keep the status text.
    }
    throw new ApiError(response.status, `${path.split('?')[0]} answered ${response.status}: ${detail}`);
  }
  return (await response.json()) as T;
}

export function queryUrl(request: QueryRequest): string {
  const params = new URLSearchParams({
    metric: request.metric,
    by: request.by,
    from: request.from,
    to: request.to,
  });
  return forApp(`/v1/query?${params}`);
}

/** GET /v1/query with the session's token. `token` overrides it (the login form checks a new token). */
export function fetchQuery(request: QueryRequest, signal?: AbortSignal, token = getToken()): Promise<QueryResult> {
  return getJson<QueryResult>(queryUrl(request), token, signal);
}

/** GET /v1/activity: active devices, stickiness and retention over the range, with the session's token. */
export function fetchActivity(range: Range, signal?: AbortSignal): Promise<ActivityResult> {
  const params = new URLSearchParams({ from: range.from, to: range.to });
  return getJson<ActivityResult>(forApp(`/v1/activity?${params}`), getToken(), signal);
}

export interface Dictionary {
  app: string;
  version: string;
  metrics: DictionaryEntry[];
}

/** GET /v1/registry: the public data dictionary, no token. */
export async function fetchDictionary(signal?: AbortSignal): Promise<Dictionary> {
  const body = await getJson<Dictionary | DictionaryEntry[]>(forApp('/v1/registry'), null, signal);
  return Array.isArray(body) ? { app: currentApp ?? '', version: '', metrics: body } : body;
}

/** GET /v1/privacy: the k threshold and the differential-privacy budget per metric. */
export function fetchPrivacy(signal?: AbortSignal): Promise<unknown> {
  return getJson<unknown>(forApp('/v1/privacy'), getToken(), signal);
}

export interface AppEntry {
  app: string;
  versions: string[];
}

/** GET /v1/apps: the apps this collector serves (public, no token); the first is its default. */
export function fetchApps(signal?: AbortSignal): Promise<AppEntry[]> {
  return getJson<AppEntry[]>('/v1/apps', null, signal);
}
