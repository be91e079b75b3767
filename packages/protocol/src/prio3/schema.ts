import { z } from 'zod';

// Apart from spec.ts so the browser SDK, which needs the circuits but never validates a report, does not load zod.

const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'base64url without padding');

/**
 * A secret-shared metric's value in a report: base64url strings, sized for the largest circuit (a Histogram over
 * the release buckets); exact lengths are checked when the shares are decoded for aggregation.
 */
export const Prio3ValueSchema = z.strictObject({
  public: base64url(128).or(z.literal('')),
  leader: base64url(8192),
  helper: base64url(1024),
});
