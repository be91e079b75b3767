/**
 * Saying why an upload failed. Loaded only when one fails (a chunk of its own in the browser bundle), so the
 * explanations cost the SDK's size nothing while uploads work. It imports nothing from the core, so the core
 * loads no shared chunk for it.
 */

/** Why the last upload (or key fetch) failed, as `candor.lastFailure` shows it and development mode prints it. */
export interface UploadFailure {
  /**
   * cors: the collector is reachable but the browser blocked the request (another origin without CORS);
   * network: the collector could not be reached; http: it answered 5xx or 429 (retried); rejected: it refused the
   * upload with a 4xx (the reports are dropped).
   */
  kind: 'cors' | 'network' | 'http' | 'rejected';
  status: number | null;
  /** The RFC 9457 problem type of a 4xx answer, when it had one. */
  problem: string | null;
  message: string;
}

/**
 * A fetch that throws is a CORS block or an outage; JavaScript cannot tell which from the error. A `no-cors`
 * request to the same collector can: it resolves (with an opaque answer) when the collector is reachable, and
 * throws when it is not. Same-origin requests are never blocked by CORS, so they are not probed.
 */
async function corsOrNetwork(fetchImpl: typeof fetch, keysUrl: string): Promise<'cors' | 'network'> {
  const here = typeof location === 'undefined' ? null : location.origin;
  if (here === null || new URL(keysUrl).origin === here) return 'network';
  try {
    await fetchImpl(keysUrl, {
      mode: 'no-cors',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      cache: 'no-store',
    });
    return 'cors';
  } catch {
    return 'network';
  }
}

/** `thrown`: the request itself failed (no answer), so the failure is a CORS block or an outage. */
export async function explainFailure(
  fetchImpl: typeof fetch,
  collector: string,
  keysUrl: string,
  guess: UploadFailure['kind'],
  thrown: boolean,
  status: number | null,
  problem: string | null,
): Promise<UploadFailure> {
  const kind = thrown ? await corsOrNetwork(fetchImpl, keysUrl) : guess;
  return { kind, status, problem, message: describeFailure(kind, collector, status, problem) };
}

function describeFailure(
  kind: UploadFailure['kind'],
  collector: string,
  status: number | null,
  problem: string | null,
): string {
  switch (kind) {
    case 'cors':
      return `the browser blocked the request to ${collector} (CORS): the collector is reachable but does not allow this page's origin. Serve the collector from the page's origin (for example through a reverse proxy). Reports stay queued.`;
    case 'network':
      return `${collector} could not be reached (network error or collector down). Reports stay queued and are retried.`;
    case 'http':
      return `${collector} answered ${status}. Reports stay queued and are retried.`;
    case 'rejected':
      return `${collector} refused the upload with ${status}${problem ? ` (${problem})` : ''}. These reports are dropped.`;
  }
}
