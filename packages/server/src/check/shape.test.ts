import { candorBrowserRegistry, createShapeCheck, ReportBatchSchema, valueSchemaFor } from '@candor/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostileCase } from '../testing/hostile-uploads.js';
import { sampleBatch, seededRandom } from '../testing/reports.js';
import { findStructureProblem } from './structure.js';

const registry = candorBrowserRegistry;
const valueSchemas = new Map(Object.entries(registry.metrics).map(([name, def]) => [name, valueSchemaFor(def)]));

/** What zod says of a batch's shape: the batch schema, then each metric known and of its registry shape. */
function zodVerdict(batch: unknown): boolean {
  const parsed = ReportBatchSchema.safeParse(batch);
  if (!parsed.success) return false;
  return parsed.data.reports.every((report) =>
    Object.entries(report.metrics).every(([name, value]) => valueSchemas.get(name)?.safeParse(value).success === true),
  );
}

type Json = unknown;

/** Every (container, key) position in a JSON value, depth first. */
function positions(value: Json, out: [Record<string, Json> | Json[], string | number][] = []) {
  if (Array.isArray(value)) {
    value.forEach((inner, i) => {
      out.push([value, i]);
      positions(inner, out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      out.push([value as Record<string, Json>, key]);
      positions(inner, out);
    }
  }
  return out;
}

/** Values on the edges of zod's number, integer and string rules (JSON.parse makes Infinity of 1e400). */
const edgeValue = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 0.5, 2 ** 53 - 1, 2 ** 53, Infinity, -Infinity, 999, 1000, 1001, 256, 257, 2 ** 32),
  fc.constantFrom('', 'daily', 'android', 'google', 'example.com', 'www.example.com', '007', '7', 'x'.repeat(40)),
  fc.constantFrom(true, false, null, [], {}, [1], { sum: 1, count: 1, buckets: {} }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** An honest batch, its first report with an activity section or not, with one position replaced, deleted, or given an extra key. */
const mutatedBatch = fc
  .tuple(
    fc.integer({ min: 1, max: 1_000_000 }),
    fc.nat(),
    fc.constantFrom('replace', 'delete', 'add'),
    edgeValue,
    fc.boolean(),
  )
  .map(([seed, at, how, value, withActivity]) => {
    const batch = JSON.parse(JSON.stringify(sampleBatch(2, seededRandom(seed)))) as { reports: Json[] };
    if (withActivity) {
      const activity = { sincePrevious: 1, activeDays7: 2, activeDays28: 5, weeksSinceFirstUse: 3 };
      (batch.reports[0] as Record<string, Json>).activity = activity;
    }
    const all = positions(batch);
    const [container, key] = all[at % all.length] as (typeof all)[number];
    if (how === 'replace') (container as Record<string | number, Json>)[key] = value;
    else if (how === 'delete' && !Array.isArray(container)) delete container[key as string];
    else if (how === 'add' && !Array.isArray(container)) container[`${String(key)}x`] = value;
    return batch;
  });

describe('hand-written shape check', () => {
  const check = createShapeCheck(registry);

  it('gives zod verdicts on the fuzzer’s hostile uploads', () => {
    const verdicts = { true: 0, false: 0 };
    for (const c of fc.sample(hostileCase, { numRuns: 10_000, seed: 20261130 })) {
      let batch: unknown;
      try {
        batch = JSON.parse(c.text);
      } catch {
        continue;
      }
      // Both checks only ever see batches that passed the structure check (depth, no `__proto__` key), which zod's
      // records would silently drop.
      if (findStructureProblem(batch)) continue;
      const expected = zodVerdict(batch);
      if (check(batch) !== expected) expect.fail(`${c.attack}: ${c.text.slice(0, 300)} zod says ${expected}`);
      verdicts[String(expected) as 'true' | 'false']++;
    }
    // Hostile cases whose shape is fine (bad days, bounds, sites) and ones whose shape is not: both seen.
    expect(verdicts.true).toBeGreaterThan(1000);
    expect(verdicts.false).toBeGreaterThan(1000);
  });

  it('gives zod verdicts on honest batches with one value replaced, deleted or added', () => {
    fc.assert(
      fc.property(mutatedBatch, (batch) => {
        expect(check(batch)).toBe(zodVerdict(batch));
      }),
      { numRuns: 20_000, seed: 7 },
    );
  });

  it('passes honest batches', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 200; i++) expect(check(sampleBatch(10, random))).toBe(true);
  });
});

describe('secret-shared metrics', () => {
  it('never passes a plain value where two shares belong, and the batch checker refuses it by name', async () => {
    const { createBatchChecker } = await import('./batch.js');
    const batch = JSON.parse(JSON.stringify(sampleBatch(1, seededRandom(7)))) as {
      reports: { metrics: Record<string, unknown> }[];
    };
    const first = batch.reports[0];
    if (!first) throw new Error('no report');
    first.metrics['system.screen_class'] = 'small';
    expect(createShapeCheck(registry)(batch)).toBe(false);
    expect(zodVerdict(batch)).toBe(false);
    const verdict = createBatchChecker(registry)(batch);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.problem.metric).toBe('system.screen_class');
  });
});
