import { describe, expect, it } from 'vitest';
import { seededSource } from '../testing/release.js';
import {
  bernoulliExp,
  CryptoRandom,
  discreteLaplace,
  discreteLaplaceRational,
  discreteLaplaceVariance,
} from './noise.js';

describe('discrete Laplace sampler (Canonne, Kamath and Steinke 2020)', () => {
  it('draws Bernoulli(exp(-γ)) with the right frequency, γ below and above 1', () => {
    const random = seededSource(1);
    for (const [num, den] of [
      [1, 3],
      [1, 1],
      [5, 2],
    ] as const) {
      let hits = 0;
      const n = 40_000;
      for (let i = 0; i < n; i++) if (bernoulliExp(num, den, random)) hits++;
      expect(hits / n).toBeCloseTo(Math.exp(-num / den), 2);
    }
  });

  it('draws integers with the discrete Laplace law: P(0), symmetry and variance', () => {
    const random = seededSource(2);
    const scale = 3;
    const n = 60_000;
    const counts = new Map<number, number>();
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const x = discreteLaplaceRational(3, 1, random);
      expect(Number.isInteger(x)).toBe(true);
      counts.set(x, (counts.get(x) ?? 0) + 1);
      sum += x;
      squares += x * x;
    }
    const q = Math.exp(-1 / scale);
    // P(X = 0) = (1 - q) / (1 + q).
    expect((counts.get(0) ?? 0) / n).toBeCloseTo((1 - q) / (1 + q), 2);
    expect(Math.abs(sum / n)).toBeLessThan(0.1);
    expect(squares / n / discreteLaplaceVariance(scale)).toBeCloseTo(1, 1);
    expect(((counts.get(2) ?? 0) - (counts.get(-2) ?? 0)) / n).toBeCloseTo(0, 2);
  });

  it('never adds less noise than asked: fractional scales round up', () => {
    const noise = discreteLaplace(seededSource(3));
    let squares = 0;
    const n = 30_000;
    for (let i = 0; i < n; i++) squares += noise(0.5) ** 2;
    expect(squares / n).toBeGreaterThan(discreteLaplaceVariance(0.5) * 0.9);
    expect(() => noise(0)).toThrow(/positive/);
    expect(() => noise(Number.POSITIVE_INFINITY)).toThrow(/positive/);
  });

  it('takes uniform integers from the OS CSPRNG, in range', () => {
    const random = new CryptoRandom();
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const v = random.below(7);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(7);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
    expect(() => random.below(0)).toThrow(RangeError);
    expect(() => random.below(2 ** 49)).toThrow(RangeError);
  });
});
