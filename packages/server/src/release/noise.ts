import { randomBytes } from 'node:crypto';

/**
 * Exact discrete Laplace noise after Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
 * (2020), Algorithms 1 and 2. Every step works on integers and exact rational Bernoulli trials, so nothing
 * depends on floating-point rounding (Mironov 2012 showed how textbook floating-point Laplace leaks the true
 * value through the gaps between representable doubles).
 */

/** Uniform integers; the release takes one so tests can inject a seeded source. */
export interface RandomSource {
  /** A uniform integer in [0, n), n a positive safe integer. */
  below(n: number): number;
}

const POOL_BYTES = 4096;

/**
 * Uniform integers from the OS's CSPRNG (node:crypto), drawn from a buffered pool by rejection sampling on 48-bit
 * words, so no value is more likely than another (crypto.randomInt does the same, one system call per draw;
 * the pool is for speed: a release draws millions).
 */
export class CryptoRandom implements RandomSource {
  private pool = Buffer.alloc(0);
  private offset = 0;

  private word48(): number {
    if (this.offset + 6 > this.pool.length) {
      this.pool = randomBytes(POOL_BYTES);
      this.offset = 0;
    }
    const value = this.pool.readUIntBE(this.offset, 6);
    this.offset += 6;
    return value;
  }

  below(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > 2 ** 48) throw new RangeError(`below(${n}): need 1 <= n <= 2^48`);
    const limit = 2 ** 48 - (2 ** 48 % n);
    for (;;) {
      const value = this.word48();
      if (value < limit) return value % n;
    }
  }
}

/** Bernoulli(num / den) for integers 0 <= num <= den. */
function bernoulli(num: number, den: number, random: RandomSource): boolean {
  return random.below(den) < num;
}

/** Bernoulli(exp(-num / den)) exactly, for integers num >= 0, den >= 1 (CKS20 Algorithm 1). */
export function bernoulliExp(num: number, den: number, random: RandomSource): boolean {
  let n = num;
  while (n > den) {
    // exp(-γ) = exp(-1)^floor(γ) · exp(-(γ - floor(γ))).
    if (!bernoulliExp(1, 1, random)) return false;
    n -= den;
  }
  // γ = n / den in [0, 1]: count k while Bernoulli(γ / k) succeeds; return whether k ended odd.
  let k = 1;
  while (bernoulli(n, den * k, random)) k++;
  return k % 2 === 1;
}

/**
 * A sample of the discrete Laplace distribution with scale t / s (P(x) ∝ exp(-|x| s / t)) for positive integers
 * s and t (CKS20 Algorithm 2).
 */
export function discreteLaplaceRational(t: number, s: number, random: RandomSource): number {
  for (;;) {
    const u = random.below(t);
    if (!bernoulliExp(u, t, random)) continue;
    let v = 0;
    while (bernoulliExp(1, 1, random)) v++;
    const y = Math.floor((u + t * v) / s);
    const negative = random.below(2) === 1;
    if (negative && y === 0) continue;
    return negative ? -y : y;
  }
}

/** Scales are written as a fraction over this denominator, rounded up: never less noise than asked for. */
const SCALE_DENOMINATOR = 1000;

/** Integer noise of a given scale: what a release adds to each figure. */
export type Noise = (scale: number) => number;

/** Discrete Laplace noise of scale at least `scale`, drawn from `random`. */
export function discreteLaplace(random: RandomSource = new CryptoRandom()): Noise {
  return (scale) => {
    if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`noise scale must be positive, got ${scale}`);
    const t = Math.ceil(scale * SCALE_DENOMINATOR);
    if (!Number.isSafeInteger(t * 4)) throw new RangeError(`noise scale ${scale} is too large`);
    return discreteLaplaceRational(t, SCALE_DENOMINATOR, random);
  };
}

/** Variance of discrete Laplace noise of scale b: 2 e^(-1/b) / (1 - e^(-1/b))^2. */
export function discreteLaplaceVariance(scale: number): number {
  const q = Math.exp(-1 / scale);
  return (2 * q) / (1 - q) ** 2;
}
