/**
 * Wire constants mirrored from @candor/protocol report/schema.ts. That module builds zod schemas at load time, which
 * would pull zod (~90 KB gzip) into the browser bundle, so the numbers are repeated here and a test
 * (test/units.test.ts) fails if they ever drift apart. Per-metric bounds are not here: they come from protocol
 * privacy/contribution.ts, which has no zod.
 */
export const REPORT_VERSION = 1;
export const MAX_REPORTS_PER_BATCH = 50;
export const OS_NAMES = ['android', 'ios', 'windows', 'macos', 'linux', 'chromeos', 'other'] as const;
