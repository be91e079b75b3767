/**
 * Sending through an Oblivious HTTP relay (RFC 9458): the sealed upload becomes a binary HTTP request
 * (RFC 9292, bhttp-js) to the collector's upload route, encapsulated to the collector's gateway key and POSTed to
 * the relay. The relay sees the device's address but only ciphertext; the collector sees the report but only the
 * relay's address. Loaded on demand, only when a relay is configured.
 */
import { PATHS, SEALED_CONTENT_TYPE } from '@candor/protocol/wire/envelope';
import {
  acceptsCandorSuite,
  decodeKeyConfigs,
  OHTTP_KEYS_TYPE,
  OHTTP_PATHS,
  OHTTP_REQUEST_TYPE,
  OHTTP_RESPONSE_TYPE,
  type OhttpKeyConfig,
  PROBLEM_OHTTP_KEY,
} from '@candor/protocol/wire/ohttp';
import { BHttpDecoder, BHttpEncoder } from 'bhttp-js';
import { keyAgeMs } from '../transport/keys.js';
import type { SenderHost } from '../transport/sender.js';
import { postBare, type UploadOutcome, uploadOutcome } from '../transport/upload.js';
import { decapsulateResponse, encapsulateRequest } from './encapsulate.js';

export interface RelayOptions {
  /** The Oblivious Relay Resource: uploads are POSTed here as message/ohttp-req. */
  url: string;
  /** Where the gateway's key configuration is fetched; default: the collector's /ohttp-keys. */
  keysUrl?: string;
}

/** A key configuration list is a few dozen bytes per key; anything much larger is not one. */
const MAX_KEYS_BYTES = 4096;

/**
 * The gateway's key configuration, fetched straight from the collector (or the configured URL), never through
 * the relay, which could substitute its own key (RFC 9458 section 3: it must be authenticated). The collector
 * serves one configuration to everyone, so it cannot tag a device with a key of its own
 * (packages/cli/test/relay.test.ts checks it); the answer is cached for its max-age (a day). What that fetch
 * still shows the collector, and how `keysUrl` avoids it: docs/privacy.md.
 */
export class OhttpKeys {
  private key: { config: OhttpKeyConfig; expires: number } | null = null;

  constructor(
    private readonly fetchImpl: typeof fetch,
    readonly url: string,
    private readonly now: () => number,
  ) {}

  cached(): OhttpKeyConfig | null {
    return this.key?.config ?? null;
  }

  async get(refresh = false): Promise<OhttpKeyConfig> {
    if (!refresh && this.key && this.key.expires > this.now()) return this.key.config;
    const response = await this.fetchImpl(this.url, {
      method: 'GET',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      cache: 'no-store',
    });
    if (!response.ok) {
      throw Object.assign(new Error(`GET ${this.url} answered ${response.status}`), { status: response.status });
    }
    const type = response.headers.get('content-type')?.split(';')[0]?.trim();
    if (type !== OHTTP_KEYS_TYPE)
      throw new Error(`GET ${this.url} answered ${type ?? 'no content type'}, not ${OHTTP_KEYS_TYPE}`);
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.length > MAX_KEYS_BYTES)
      throw new Error(`GET ${this.url}: ${body.length} bytes is not a key configuration list`);
    const config = decodeKeyConfigs(body).find(acceptsCandorSuite);
    if (!config) throw new Error(`GET ${this.url} offered no X25519 key with HKDF-SHA256 and AES-128-GCM`);
    this.key = { config, expires: this.now() + keyAgeMs(response) };
    return config;
  }
}

/** The default place of the gateway's keys: the collector's own origin. */
export function defaultKeysUrl(collector: string): string {
  return collector + OHTTP_PATHS.keys;
}

/** What came back through the relay: the target's answer, or the relay's or gateway's own refusal. */
type Exchanged = { inner: Response } | { refused: Response } | 'network';

/** The relay's own answer, when it is not an encapsulated response: `key` is RFC 9458's ohttp-key problem. */
async function isKeyProblem(response: Response): Promise<boolean> {
  if (response.status !== 400 || !response.headers.get('content-type')?.includes('problem+json')) return false;
  const type = await response
    .clone()
    .json()
    .then((p: { type?: unknown }) => p.type)
    .catch(() => undefined);
  return type === PROBLEM_OHTTP_KEY;
}

/**
 * One request through the relay: encoded as binary HTTP, encapsulated, POSTed, the answer opened. A gateway that
 * no longer knows the key (rotated) answers the ohttp-key problem: the key configuration is fetched again once
 * and the request tried once more (not while hiding, when `key` is given and there is no time).
 */
export async function throughRelay(
  fetchImpl: typeof fetch,
  relay: RelayOptions,
  keys: OhttpKeys,
  request: Request,
  options: { keepalive?: boolean; signal?: AbortSignal; key?: OhttpKeyConfig | null } = {},
): Promise<Exchanged> {
  const inner = await new BHttpEncoder().encodeRequest(request);
  const attempt = async (config: OhttpKeyConfig): Promise<Exchanged | 'key'> => {
    const { encapsulated, context } = await encapsulateRequest(config, inner);
    let response: Response;
    try {
      response = await postBare(fetchImpl, relay.url, OHTTP_REQUEST_TYPE, encapsulated, options);
    } catch {
      return 'network';
    }
    const type = response.headers.get('content-type')?.split(';')[0]?.trim();
    if (response.status !== 200 || type !== OHTTP_RESPONSE_TYPE) {
      return (await isKeyProblem(response)) ? 'key' : { refused: response };
    }
    const opened = await decapsulateResponse(context, new Uint8Array(await response.arrayBuffer()));
    return { inner: new BHttpDecoder().decodeResponse(opened) };
  };
  const first = await attempt(options.key ?? (await keys.get()));
  if (first !== 'key') return first;
  const refused = () =>
    new Response(JSON.stringify({ type: PROBLEM_OHTTP_KEY }), {
      status: 400,
      headers: { 'content-type': 'application/problem+json' },
    });
  if (options.key) return { refused: refused() };
  const second = await attempt(await keys.get(true));
  return second === 'key' ? { refused: refused() } : second;
}

/** Sends one sealed upload through the relay and says what its answer means for the queue. */
export async function uploadThroughRelay(
  fetchImpl: typeof fetch,
  relay: RelayOptions,
  keys: OhttpKeys,
  collector: string,
  body: Uint8Array,
  options: { keepalive?: boolean; signal?: AbortSignal; key?: OhttpKeyConfig | null },
): Promise<UploadOutcome> {
  const request = new Request(collector + PATHS.reports, {
    method: 'POST',
    headers: { 'content-type': SEALED_CONTENT_TYPE },
    body: body as Uint8Array<ArrayBuffer>,
  });
  const exchanged = await throughRelay(fetchImpl, relay, keys, request, options);
  if (exchanged === 'network') return { kind: 'retry', status: null };
  if ('inner' in exchanged) return uploadOutcome(exchanged.inner);
  // The relay's or the gateway's own refusal is about the hop (a wrong relay URL, a gateway key that will not
  // do), not about the reports: they stay queued and are retried, except when the batch is too large.
  const outcome = await uploadOutcome(exchanged.refused);
  return outcome.kind === 'rejected' && outcome.status !== 413 ? { kind: 'retry', status: outcome.status } : outcome;
}

/** A fetch that sends each request through the relay (for GET /v1/keys): the collector sees no address. */
export function fetchThroughRelay(fetchImpl: typeof fetch, relay: RelayOptions, keys: OhttpKeys): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const exchanged = await throughRelay(fetchImpl, relay, keys, new Request(input, { method: init?.method ?? 'GET' }));
    if (exchanged === 'network') throw new TypeError(`the relay ${relay.url} could not be reached`);
    return 'inner' in exchanged ? exchanged.inner : exchanged.refused;
  }) as typeof fetch;
}

const keyCaches = new Map<string, OhttpKeys>();

/**
 * The sender's one call (the core bundle holds none of this): routes the host's report-key fetches through the
 * relay and returns the upload function. On page hide there is no time to fetch a gateway key: without one in
 * memory the reports stay queued for the next page.
 */
export function relayTransport(
  host: Pick<SenderHost, 'fetch' | 'relay' | 'collector' | 'now' | 'keys' | 'development'>,
): (body: Uint8Array, hiding: boolean, signal: AbortSignal) => Promise<UploadOutcome> {
  const relay = host.relay as RelayOptions;
  const url = relay.keysUrl ?? defaultKeysUrl(host.collector);
  const keys = keyCaches.get(url) ?? new OhttpKeys(host.fetch, url, () => host.now());
  keyCaches.set(url, keys);
  // A key configuration that cannot be used: the sender keeps the reports and retries; in development mode the
  // reason (wrong content type, unsupported suite, ...) is printed, as upload failures are.
  const explained = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      if (host.development) console.warn(`candor: sending through the relay failed: ${(error as Error).message}`);
      throw error;
    });
  const tunnel = fetchThroughRelay(host.fetch, relay, keys);
  host.keys.fetchImpl = ((input: string | URL | Request, init?: RequestInit) =>
    explained(tunnel(input, init))) as typeof fetch;
  return async (body, hiding, signal) => {
    const key = hiding ? keys.cached() : null;
    if (hiding && !key) return { kind: 'retry', status: null };
    return explained(
      uploadThroughRelay(host.fetch, relay, keys, host.collector, body, { keepalive: hiding, signal, key }),
    );
  };
}
