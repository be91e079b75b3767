// Retry-After is honoured on every answer that says "later" (429 and 5xx), as docs/protocol.md section 10 says:
// a collector whose store is down answers 503 with Retry-After, and devices must not come back sooner.
import { describe, expect, it } from 'vitest';
import { retryAfterHeaderMs, uploadEnvelope } from '../src/transport/upload.js';

const answer = (status: number, headers: Record<string, string> = {}) =>
  (async () => new Response(null, { status, headers })) as unknown as typeof fetch;

describe('Retry-After', () => {
  it('is read as delay-seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    expect(retryAfterHeaderMs('30', now)).toBe(30_000);
    expect(retryAfterHeaderMs('Sun, 22 Nov 2026 12:00:45 GMT', now)).toBe(45_000);
    expect(retryAfterHeaderMs('Sun, 22 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterHeaderMs('soon', now)).toBeUndefined();
    expect(retryAfterHeaderMs(null, now)).toBeUndefined();
  });

  it.each([429, 500, 503])('a %i with Retry-After is retried no sooner than it asks', async (status) => {
    const outcome = await uploadEnvelope(answer(status, { 'retry-after': '30' }), 'http://c', new Uint8Array(1), {});
    expect(outcome).toEqual({ kind: 'retry', status, retryAfterMs: 30_000 });
  });

  it('a 503 without Retry-After is retried with the ordinary backoff', async () => {
    expect(await uploadEnvelope(answer(503), 'http://c', new Uint8Array(1), {})).toEqual({
      kind: 'retry',
      status: 503,
    });
  });
});
