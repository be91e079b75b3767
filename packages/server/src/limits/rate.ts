import { createHash, randomBytes } from 'node:crypto';

/** Defaults: 120 uploads a minute per client, bursts of 60. A phone uploads a few times a day. */
export const DEFAULT_RATE_PER_MINUTE = 120;
export const DEFAULT_BURST = 60;
const SALT_ROTATION_MS = 60 * 60 * 1000;

/**
 * Per-client rate limit kept only in memory. Clients are keyed by a salted hash of their address; the salt is
 * random, lives only in this process and is replaced every hour together with the whole table, so neither the
 * address nor a stable pseudonym of it outlives the hour or is ever written anywhere.
 */
export class RateLimiter {
  private salt = randomBytes(32);
  private saltSince: number;
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute = DEFAULT_RATE_PER_MINUTE,
    private readonly burst = DEFAULT_BURST,
    private readonly now: () => number = Date.now,
  ) {
    this.saltSince = now();
  }

  private keyFor(address: string): string {
    if (this.now() - this.saltSince >= SALT_ROTATION_MS) {
      this.salt = randomBytes(32);
      this.saltSince = this.now();
      this.buckets = new Map();
    }
    return createHash('sha256').update(this.salt).update(address).digest('base64url').slice(0, 22);
  }

  /** Takes one token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(address: string): number {
    const key = this.keyFor(address);
    const now = this.now();
    const refillPerMs = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * refillPerMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
  }

  get clients(): number {
    return this.buckets.size;
  }
}
