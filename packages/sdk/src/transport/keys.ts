import {
  AEAD_AES_128_GCM,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  type KeyConfig,
  PATHS,
} from '@candor/protocol/wire/envelope';

/** True when a served key uses the one suite this SDK seals with (seal/). */
export function isSupportedKey(key: KeyConfig): boolean {
  return key.kem === KEM_X25519_HKDF_SHA256 && key.kdf === KDF_HKDF_SHA256 && key.aead === AEAD_AES_128_GCM;
}

/** The collector's key config with the time it stops being fresh (from the answer's Cache-Control max-age). */
export interface CachedKey {
  config: KeyConfig;
  expires: number;
}

/** Used when the collector gives no max-age; capped at a day so a rotated key is noticed. */
const DEFAULT_KEY_AGE_MS = 5 * 60_000;
const MAX_KEY_AGE_MS = 24 * 3600_000;

/** How long a fetched key stays fresh: the answer's max-age, capped at a day, or five minutes without one. */
export function keyAgeMs(response: Response): number {
  const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]);
  return maxAge > 0 ? Math.min(maxAge * 1000, MAX_KEY_AGE_MS) : DEFAULT_KEY_AGE_MS;
}

/**
 * The collector's current key config from GET /v1/keys (newest first). It is kept in storage with its expiry
 * (`onFetched` saves it), so a page that goes away before its first upload still has a key to seal with.
 */
export class KeyCache {
  private key: CachedKey | null = null;
  private pending: Promise<CachedKey> | null = null;

  constructor(
    /** Replaced by a fetch through the Oblivious HTTP relay when one is configured (ohttp/relay.ts). */
    public fetchImpl: typeof fetch,
    private readonly collector: string,
    private readonly now: () => number,
    private readonly onFetched: (key: CachedKey) => void,
  ) {}

  /** A key from storage; a fresher one in memory wins. */
  seed(key: CachedKey | null): void {
    if (key && (!this.key || key.expires > this.key.expires)) this.key = key;
  }

  /** The key without any network call, fresh or not: for page hide, when a request may never complete. */
  cached(): KeyConfig | null {
    return this.key?.config ?? null;
  }

  async get(refresh = false): Promise<KeyConfig> {
    if (!refresh && this.key && this.key.expires > this.now()) return this.key.config;
    // Concurrent callers share one request; a failed one does not stick.
    this.pending ??= this.fetchKey().finally(() => {
      this.pending = null;
    });
    const key = await this.pending;
    this.key = key;
    this.onFetched(key);
    return key.config;
  }

  private async fetchKey(): Promise<CachedKey> {
    const response = await this.fetchImpl(this.collector + PATHS.keys, {
      method: 'GET',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      cache: 'no-store',
    });
    if (!response.ok)
      throw Object.assign(new Error(`GET ${PATHS.keys} answered ${response.status}`), { status: response.status });
    const body = (await response.json()) as { keys?: KeyConfig[] };
    const config = body.keys?.find(isSupportedKey);
    if (!config) throw new Error(`GET ${PATHS.keys} offered no X25519/HKDF-SHA256/AES-128-GCM key`);
    return { config, expires: this.now() + keyAgeMs(response) };
  }
}
