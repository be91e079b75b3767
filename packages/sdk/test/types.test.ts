import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('registry typing', () => {
  it('the compiler rejects unknown metric names, wrong types, labels, values and extras', () => {
    const tsc = fileURLToPath(new URL('../../../node_modules/.bin/tsc', import.meta.url));
    const project = fileURLToPath(new URL('./types/tsconfig.json', import.meta.url));
    // Every `@ts-expect-error` in types/registry-typing.ts must be a real error, or tsc fails.
    expect(() => execFileSync(tsc, ['-p', project], { encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  });
});
