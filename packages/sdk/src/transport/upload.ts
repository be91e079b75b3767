import { PATHS, PROBLEM_UNKNOWN_KEY, SEALED_CONTENT_TYPE } from '@candor/protocol/wire/envelope';

export type UploadOutcome =
  | { kind: 'accepted'; status: number }
  | { kind: 'unknown-key'; status: number }
  | { kind: 'rejected'; status: number; problem: string | null }
  | { kind: 'retry'; status: number | null; retryAfterMs?: number };

/** Bodies up to this size go with `keepalive` (browsers cap all keepalive bodies in flight at 64 KiB). */
export const KEEPALIVE_LIMIT = 60_000;

/**
 * POSTs one sealed envelope. The request carries nothing but the sealed bytes: no cookies (credentials omit),
 * no Referer (it would name the page), no cache. On page hide it uses `fetch(..., { keepalive: true })` rather
 * than navigator.sendBeacon: a beacon can only set its content type through a Blob type, and a non-safelisted
 * type such as application/candor-hpke makes cross-origin beacons fail in Chromium (no preflight is possible),
 * while keepalive fetch sends the right header, reports the status and survives the page going away.
 */
export async function uploadEnvelope(
  fetchImpl: typeof fetch,
  collector: string,
  body: Uint8Array,
  options: { keepalive?: boolean; signal?: AbortSignal },
): Promise<UploadOutcome> {
  let response: Response;
  try {
    response = await postBare(fetchImpl, collector + PATHS.reports, SEALED_CONTENT_TYPE, body, options);
  } catch {
    return { kind: 'retry', status: null };
  }
  return uploadOutcome(response);
}

/** A POST that carries its body and content type and nothing about the page or person (used by the relay too). */
export function postBare(
  fetchImpl: typeof fetch,
  url: string,
  contentType: string,
  body: Uint8Array,
  options: { keepalive?: boolean; signal?: AbortSignal },
): Promise<Response> {
  return fetchImpl(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: body as Uint8Array<ArrayBuffer>,
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
    cache: 'no-store',
    keepalive: options.keepalive === true && body.length <= KEEPALIVE_LIMIT,
    signal: options.signal,
  });
}

/** What the collector's answer to an upload means for the queue (also the answer a relay carried back). */
export async function uploadOutcome(response: Response): Promise<UploadOutcome> {
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: 'accepted', status };
  if (status === 429 || status >= 500) {
    // The reports are fine, the timing is not: wait at least as long as the collector asks (429 and 503 say).
    const retryAfterMs = retryAfterHeaderMs(response.headers.get('retry-after'));
    return retryAfterMs === undefined ? { kind: 'retry', status } : { kind: 'retry', status, retryAfterMs };
  }
  if (status >= 400 && status < 500) {
    let type: unknown;
    try {
      type = ((await response.json()) as { type?: unknown }).type;
    } catch {
      type = undefined;
    }
    if (type === PROBLEM_UNKNOWN_KEY) return { kind: 'unknown-key', status };
    return { kind: 'rejected', status, problem: typeof type === 'string' ? type : null };
  }
  return { kind: 'retry', status };
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 section 10.2.3), in ms from now; undefined if absent. */
export function retryAfterHeaderMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
