import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

// Tests import each package's TypeScript source directly, so a test run never depends on a stale build.
// `@candor/x` maps to packages/x/src/index.ts and `@candor/x/sub` to packages/x/src/sub.ts.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@candor\/([a-z]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
      { find: /^@candor\/([a-z]+)\/(.+)$/, replacement: `${packagesDir}$1/src/$2.ts` },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI also writes a machine-readable summary, from which .ci/run prints its closing counts.
    reporters:
      process.env.CI === 'true' ? ['default', ['json', { outputFile: 'test-output/vitest.json' }]] : ['default'],
  },
});
