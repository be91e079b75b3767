import { type KeyConfig, PATHS } from '@candor/protocol/wire/envelope';
import { isSupportedKey } from '../seal/envelope.js';

/** The collector's current key config, fetched from GET /v1/keys (newest first) and kept in memory only. */
export class KeyCache {
  private current: Promise<KeyConfig> | null = null;

  constructor(
    private readonly fetchImpl: typeof fetch,
    private readonly collector: string,
  ) {}

  get(refresh = false): Promise<KeyConfig> {
    if (refresh || !this.current) {
      this.current = this.fetchKey();
      // A failed fetch must not stick: the next upload asks again.
      this.current.catch(() => {
        this.current = null;
      });
    }
    return this.current;
  }

  private async fetchKey(): Promise<KeyConfig> {
    const response = await this.fetchImpl(this.collector + PATHS.keys, {
      method: 'GET',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      cache: 'no-store',
    });
    if (!response.ok) throw new Error(`GET ${PATHS.keys} answered ${response.status}`);
    const body = (await response.json()) as { keys?: KeyConfig[] };
    const key = body.keys?.find(isSupportedKey);
    if (!key) throw new Error(`GET ${PATHS.keys} offered no X25519/HKDF-SHA256/AES-128-GCM key`);
    return key;
  }
}
