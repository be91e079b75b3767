/**
 * Capped exponential backoff with jitter: attempt n waits between half and all of min(cap, base * 2^n), so
 * devices that failed together do not retry together.
 */
export function retryDelay(attempt: number, random: () => number, baseMs: number, capMs: number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
