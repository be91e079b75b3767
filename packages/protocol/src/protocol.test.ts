import { describe, expect, it } from 'vitest';
import { bucketIndex, bucketLowerBound, percentileFromBuckets } from './metrics/buckets.js';
import { contributionBounds } from './privacy/contribution.js';
import { estimateFromRandomized, randomizeResponse } from './privacy/ldp.js';
import { candorBrowserRegistry } from './registry/candor-browser.js';
import { defineRegistry, METRIC_TYPES } from './registry/schema.js';
import { acceptedDays, dayProblem, parseDay, REPORT_DAYS_EARLY, REPORT_DAYS_LATE } from './report/day.js';
import { createReportChecker } from './report/values.js';
import { registrableDomain } from './site.js';

describe('metric registry', () => {
  it('the example registry is valid and uses every metric type', () => {
    const used = new Set(Object.values(candorBrowserRegistry.metrics).map((m) => m.type));
    expect([...used].sort()).toEqual([...METRIC_TYPES].sort());
  });

  it('rejects a metric without data-review fields, naming it', () => {
    expect(() =>
      defineRegistry({
        app: 'x',
        version: '2026.1.1',
        metrics: { 'a.b': { type: 'counter', description: 'a counter here', category: 'ui' } as never },
      }),
    ).toThrow(/metrics\.a\.b\.owner/);
  });
});

describe('registrableDomain', () => {
  it.each([
    ['https://www.google.com/search?q=divorce+lawyer', 'google.com'],
    ['http://user:pw@news.bbc.co.uk:8080/path#frag', 'bbc.co.uk'],
    ['https://a.b.example.com.au/x', 'example.com.au'],
    ['file:///sdcard/Download/secret.pdf', null],
    ['data:text/html,hello', null],
    ['blob:https://example.com/123', null],
    ['http://192.168.1.10/admin', null],
    ['http://[::1]/', null],
    ['http://localhost:3000/', null],
    ['http://intranet/wiki', null],
    ['http://router.local/', null],
  ])('%s -> %s', (url, domain) => {
    expect(registrableDomain(url)).toBe(domain);
  });
});

describe('distribution buckets', () => {
  it('each value falls in the bucket whose bounds hold it', () => {
    for (const v of [0, 1, 7, 100, 1234.5, 65_000, 10_000_000]) {
      const i = bucketIndex(v);
      expect(bucketLowerBound(i)).toBeLessThanOrEqual(v + 1e-9);
      expect(bucketLowerBound(i + 1)).toBeGreaterThan(v);
    }
  });

  it('percentiles come out within one bucket of the truth', () => {
    const buckets = new Map<number, number>();
    for (let v = 1; v <= 1000; v++) buckets.set(bucketIndex(v), (buckets.get(bucketIndex(v)) ?? 0) + 1);
    const p50 = percentileFromBuckets(buckets, 50) ?? 0;
    expect(p50).toBeGreaterThan(500 / 1.1);
    expect(p50).toBeLessThan(500 * 1.1);
  });
});

describe('report checker', () => {
  const check = createReportChecker(candorBrowserRegistry, { now: () => Date.parse('2026-11-22T12:00:00Z') });
  const base = {
    id: '0'.repeat(32),
    app: 'candor-browser',
    appVersion: '3.4',
    registry: candorBrowserRegistry.version,
    day: '2026-11-22',
    kind: 'daily' as const,
    system: { modelFamily: 'redmi note', os: 'android' as const, osMajor: 14, language: 'en' },
  };

  it('accepts declared values and names each bad metric and field', () => {
    expect(check({ ...base, metrics: { 'page_load.count': 3, 'search.engine_use': { google: 2 } } })).toEqual([]);
    const issues = check({
      ...base,
      metrics: {
        'search.engine_use': { 'my secret words': 1 },
        'page_load.time_by_site': { 'google.com/search?q=x': { sum: 1, count: 1, buckets: { '1': 1 } } },
        'nope.metric': 1,
      },
    });
    expect(issues.map((i) => i.metric).sort()).toEqual(['nope.metric', 'page_load.time_by_site', 'search.engine_use']);
  });
});

describe('report days', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  it('parses real calendar dates only', () => {
    expect(parseDay('2026-11-22')).toBe(Date.UTC(2026, 10, 22) / 86_400_000);
    expect(parseDay('2024-02-29')).not.toBeNull();
    for (const day of [
      '2026-13-45',
      '2026-02-30',
      '2025-02-29',
      '2026-00-10',
      '2026-1-1',
      ' 2026-11-22',
      '2026-11-22T00',
    ])
      expect({ day, parsed: parseDay(day) }).toEqual({ day, parsed: null });
  });
  it(`accepts ${REPORT_DAYS_LATE} days back and ${REPORT_DAYS_EARLY} ahead of the collector's day, nothing else`, () => {
    expect(acceptedDays(now)).toEqual({ from: '2026-11-19', to: '2026-11-23' });
    for (const day of ['2026-11-19', '2026-11-22', '2026-11-23']) expect(dayProblem(day, now)).toBeNull();
    for (const day of ['2026-11-18', '2026-11-24', '0001-01-01', '9999-12-31', '2027-11-22'])
      expect(dayProblem(day, now)).toMatch(/outside the accepted days 2026-11-19 to 2026-11-23/);
  });
});

describe('randomized response', () => {
  it('the estimator recovers the true share within 4 standard errors', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1664525 + 1013904223) % 2 ** 32;
      return seed / 2 ** 32;
    };
    const n = 20_000;
    const trueShare = 0.3;
    let reportedTrue = 0;
    for (let i = 0; i < n; i++) {
      const truth = i < n * trueShare;
      if (randomizeResponse(truth, [true, false], 1, random)) reportedTrue++;
    }
    const estimate = estimateFromRandomized(reportedTrue, n, 1, 2);
    expect(Math.abs(estimate.share - trueShare)).toBeLessThan(4 * estimate.standardError);
    expect(estimate.standardError).toBeLessThan(0.02);
  });
});

describe('contribution bounds', () => {
  it('gives every metric of the built-in registry finite, positive bounds', () => {
    for (const [name, def] of Object.entries(candorBrowserRegistry.metrics)) {
      const bounds = contributionBounds(def);
      for (const [field, value] of Object.entries(bounds)) {
        expect(Number.isFinite(value) && value > 0, `${name} ${field}`).toBe(true);
      }
    }
  });

  it('takes a registry override over the type default', () => {
    const labeled = candorBrowserRegistry.metrics['search.engine_use'];
    expect(contributionBounds(labeled)).toMatchObject({ value: 200, total: 200 });
    const heap = candorBrowserRegistry.metrics['memory.js_heap'];
    expect(contributionBounds(heap).samples).toBe(1_440);
    const crash = contributionBounds({
      ...candorBrowserRegistry.metrics['crash.app'],
      max: undefined,
      maxKeys: undefined,
    });
    expect(crash).toMatchObject({ value: 20, keys: 10 });
  });
});
