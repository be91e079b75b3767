/**
 * Local differential privacy by randomized response (Warner 1965; k-ary form, Kairouz et al. 2016).
 *
 * A device with true value v among k possible values reports v with probability
 *   p = e^ε / (e^ε + k − 1)
 * and each other value with probability q = 1 / (e^ε + k − 1). A boolean is the case k = 2. Any one report is
 * deniable, yet over n reports the count c_v of reported v is unbiased for the true count n_v after
 *   n̂_v = (c_v − n·q) / (p − q)
 * with variance n·λ(1−λ)/(p−q)², λ = c_v / n, so the standard error of the estimated share n̂_v / n is
 *   se = sqrt(λ(1−λ)/n) / (p − q).
 */
export function responseProbabilities(epsilon: number, k: number): { p: number; q: number } {
  const e = Math.exp(epsilon);
  return { p: e / (e + k - 1), q: 1 / (e + k - 1) };
}

/** Randomizes one value; `random` returns a uniform number in [0, 1). */
export function randomizeResponse<T>(value: T, domain: readonly T[], epsilon: number, random: () => number): T {
  const k = domain.length;
  const { p } = responseProbabilities(epsilon, k);
  if (random() < p) return value;
  const others = domain.filter((d) => d !== value);
  return others[Math.floor(random() * others.length)] ?? value;
}

export interface LdpEstimate {
  /** Estimated true count, clamped to [0, n]. */
  count: number;
  /** Estimated true share of n, clamped to [0, 1]. */
  share: number;
  /** Standard error of the share. */
  standardError: number;
}

/** De-biases the number of reports saying one value, out of `total` reports over a domain of `k` values. */
export function estimateFromRandomized(reported: number, total: number, epsilon: number, k: number): LdpEstimate {
  if (total <= 0) return { count: 0, share: 0, standardError: 0 };
  const { p, q } = responseProbabilities(epsilon, k);
  const raw = (reported - total * q) / (p - q);
  const lambda = reported / total;
  const standardError = Math.sqrt((lambda * (1 - lambda)) / total) / (p - q);
  const count = Math.min(total, Math.max(0, raw));
  return { count, share: count / total, standardError };
}
