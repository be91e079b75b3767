import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate.js';

describe('rate limiter', () => {
  it('allows a burst, then asks to wait, refills over time, and keeps clients apart', () => {
    let now = 0;
    const limiter = new RateLimiter(60, 2, () => now);
    expect(limiter.take('10.0.0.1')).toBe(0);
    expect(limiter.take('10.0.0.1')).toBe(0);
    expect(limiter.take('10.0.0.1')).toBe(1);
    expect(limiter.take('10.0.0.2')).toBe(0);
    now += 1000;
    expect(limiter.take('10.0.0.1')).toBe(0);
  });

  it('forgets every client when its salt rotates each hour', () => {
    let now = 0;
    const limiter = new RateLimiter(60, 1, () => now);
    limiter.take('10.0.0.1');
    expect(limiter.clients).toBe(1);
    now += 60 * 60 * 1000;
    limiter.take('10.0.0.3');
    expect(limiter.clients).toBe(1);
  });
});
