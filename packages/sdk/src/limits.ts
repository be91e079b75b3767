/**
 * Wire limits mirrored from @candor/protocol report/schema.ts. That module builds zod schemas at load time, which
 * would pull zod (~90 KB gzip) into the browser bundle, so the numbers are repeated here and a test
 * (test/limits.test.ts) fails if they ever drift apart.
 */
export const REPORT_VERSION = 1;
export const MAX_REPORTS_PER_BATCH = 50;
export const MAX_EVENTS_PER_METRIC = 500;
export const MAX_CRASH_SIGNATURES_PER_METRIC = 50;
export const MAX_SITES_PER_METRIC = 200;
export const OS_NAMES = ['android', 'ios', 'windows', 'macos', 'linux', 'chromeos', 'other'] as const;
