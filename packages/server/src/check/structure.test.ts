import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './structure.js';

/** Container depth of a parsed value, the slow way: what the text scan must agree with. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const inner = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...inner.map(depthOf));
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('nestsDeeperThan', () => {
  it('agrees with the parsed depth, brackets and escaped quotes inside strings included', () => {
    const tricky = fc.constantFrom('[', ']', '{', '}', '"', '\\', '\\"', 'é', '\u2028');
    const text = fc.array(fc.oneof(tricky, fc.string()), { maxLength: 6 }).map((parts) => parts.join(''));
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(text, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 6 }), (v, max) => {
        const json = JSON.stringify(v);
        expect(nestsDeeperThan(bytes(json), max)).toBe(depthOf(v) > max);
      }),
      { numRuns: 2_000 },
    );
  });

  it('does not count a bracket that follows an escaped backslash at the end of a string', () => {
    // "\\" ends the string; the brackets after it are structure.
    expect(nestsDeeperThan(bytes('["\\\\",[[1]]]'), 2)).toBe(true);
    expect(nestsDeeperThan(bytes('["\\\\[[[",1]'), 1)).toBe(false);
  });
});
