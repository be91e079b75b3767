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
import { KEEPALIVE_LIMIT, type UploadOutcome, uploadOutcome } from '../transport/upload.js';
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
 * the relay, over the same authenticated origin reports go to (RFC 9458 section 3: authenticated, with integrity).
 * The SDK carries no identifier, so a per-device key (the linkability RFC 9458 section 7 warns of) would have
 * nothing to link to but the fetch itself; the collector serves one configuration to everyone
 * (packages/cli/test/relay.test.ts checks it), and the answer is cached for its max-age so fetches are rare and
 * far from the uploads they could be timed against.
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

/** The relay's own answer, when it is not an encapsulated response: the relay or gateway refused it. */
async function relayRefusal(response: Response): Promise<UploadOutcome | 'key'> {
  const status = response.status;
  if (status === 400 && response.headers.get('content-type')?.includes('problem+json')) {
    const type = await response
      .json()
      .then((p: { type?: unknown }) => p.type)
      .catch(() => undefined);
    if (type === PROBLEM_OHTTP_KEY) return 'key';
  }
  // An outage or a rate limit (429) is worth retrying; anything else is a refusal of what was sent.
  return uploadOutcome(response);
}

/**
 * Sends one sealed upload through the relay. A gateway that does not know the key (rotated) answers the
 * RFC 9458 ohttp-key problem: the key configuration is fetched again once and the upload tried once more.
 */
export async function uploadThroughRelay(
  fetchImpl: typeof fetch,
  relay: RelayOptions,
  keys: OhttpKeys,
  collector: string,
  body: Uint8Array,
  options: { keepalive?: boolean; signal?: AbortSignal; key?: OhttpKeyConfig | null },
): Promise<UploadOutcome> {
  const inner = await new BHttpEncoder().encodeRequest(
    new Request(collector + PATHS.reports, {
      method: 'POST',
      headers: { 'content-type': SEALED_CONTENT_TYPE },
      body: body as Uint8Array<ArrayBuffer>,
    }),
  );
  const attempt = async (config: OhttpKeyConfig): Promise<UploadOutcome | 'key'> => {
    const { encapsulated, context } = await encapsulateRequest(config, inner);
    let response: Response;
    try {
      response = await fetchImpl(relay.url, {
        method: 'POST',
        headers: { 'content-type': OHTTP_REQUEST_TYPE },
        body: encapsulated as Uint8Array<ArrayBuffer>,
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
        keepalive: options.keepalive === true && encapsulated.length <= KEEPALIVE_LIMIT,
        signal: options.signal,
      });
    } catch {
      return { kind: 'retry', status: null };
    }
    const type = response.headers.get('content-type')?.split(';')[0]?.trim();
    if (response.status !== 200 || type !== OHTTP_RESPONSE_TYPE) return relayRefusal(response);
    const opened = await decapsulateResponse(context, new Uint8Array(await response.arrayBuffer()));
    return uploadOutcome(new BHttpDecoder().decodeResponse(opened));
  };
  const first = await attempt(options.key ?? (await keys.get()));
  if (first !== 'key') return first;
  // While hiding there is no time for another round trip: the reports stay stored for the next page.
  if (options.key) return { kind: 'retry', status: 400 };
  const second = await attempt(await keys.get(true));
  return second === 'key' ? { kind: 'rejected', status: 400, problem: PROBLEM_OHTTP_KEY } : second;
}

const keyCaches = new Map<string, OhttpKeys>();

/** The sender's one call: the key cache per key URL lives here, so the core bundle holds none of this. */
export function relayUpload(
  host: Pick<SenderHost, 'fetch' | 'relay' | 'collector' | 'now'>,
  body: Uint8Array,
  hiding: boolean,
  signal: AbortSignal,
): Promise<UploadOutcome> {
  const { fetch: fetchImpl, collector } = host;
  const relay = host.relay as RelayOptions;
  const now = () => host.now();
  const url = relay.keysUrl ?? defaultKeysUrl(collector);
  const keys = keyCaches.get(url) ?? new OhttpKeys(fetchImpl, url, now);
  keyCaches.set(url, keys);
  // On page hide there is no time to fetch a key: without one in memory the reports wait for the next page.
  const key = hiding ? keys.cached() : null;
  if (hiding && !key) return Promise.resolve({ kind: 'retry', status: null });
  return uploadThroughRelay(fetchImpl, relay, keys, collector, body, { keepalive: hiding, signal, key });
}
