import { randomBytes } from 'node:crypto';
import { bucketIndex, type Distribution, type Report, type ReportBatch, utcDayOf } from '@candor/protocol';

/** Deterministic pseudo-random numbers (mulberry32), so generated data is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;

export function distribution(samples: number[]): Distribution {
  const buckets: Record<string, number> = {};
  let sum = 0;
  for (const s of samples) {
    const i = String(bucketIndex(s));
    buckets[i] = (buckets[i] ?? 0) + 1;
    sum += s;
  }
  return { sum, count: samples.length, buckets };
}

export const SAMPLE_MODEL_FAMILIES = ['redmi note', 'mi', 'galaxy a', 'galaxy s', 'pixel', 'iphone'] as const;
/** Registrable domains, as the SDK sends sites. */
export const SAMPLE_SITES = ['example.com', 'wikipedia.org', 'bbc.co.uk', 'example.org', 'example.net'] as const;

/** The day sample reports carry unless told otherwise: today (UTC), inside the collector's accepted days. */
export const SAMPLE_DAY = utcDayOf(Date.now());

/**
 * A valid candor-browser report with plausible values, for tests and benchmarks. `overrides` replaces top-level
 * fields; `metrics` replaces the metric values.
 */
export function sampleReport(
  random: () => number = Math.random,
  overrides: Partial<Omit<Report, 'metrics'>> & { metrics?: Record<string, unknown> } = {},
): Report {
  const loads = Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.round(200 + random() * 3000));
  const loadsBySite = new Map<string, number[]>();
  for (const l of loads) {
    const site = pick(random, SAMPLE_SITES);
    loadsBySite.set(site, [...(loadsBySite.get(site) ?? []), l]);
  }
  const sites = Object.fromEntries([...loadsBySite].map(([site, l]) => [site, distribution(l)]));
  const family = pick(random, SAMPLE_MODEL_FAMILIES);
  return {
    id: randomBytes(16).toString('hex'),
    app: 'candor-browser',
    appVersion: pick(random, ['3.4', '3.5']),
    registry: '2026.11.1',
    day: SAMPLE_DAY,
    kind: 'daily',
    system: {
      modelFamily: family,
      os: family === 'iphone' ? 'ios' : 'android',
      osMajor: family === 'iphone' ? 17 : pick(random, [12, 13, 14]),
      language: pick(random, ['en', 'de', 'zh']),
    },
    metrics: {
      'page_load.time': distribution(loads),
      'page_load.time_by_site': sites,
      'page_load.count': loads.length,
      'search.engine_use': { [pick(random, ['google', 'bing', 'duckduckgo'])]: 1 + Math.floor(random() * 3) },
      'settings.dark_mode': random() < 0.4,
      'settings.text_size': pick(random, ['small', 'default', 'large']),
      'ui.open_tabs': Math.floor(random() * 30),
      'ui.menu_action': [{ item: 'settings', from_toolbar: random() < 0.5 }],
      'memory.js_heap': distribution([20_000 + random() * 50_000]),
      ...(random() < 0.1 ? { 'crash.app': [{ type: 'TypeError', signature: '0123456789abcdef', count: 1 }] } : {}),
    },
    ...overrides,
  } as Report;
}

export function sampleBatch(count: number, random: () => number = Math.random, day?: string): ReportBatch {
  return { v: 1, reports: Array.from({ length: count }, () => sampleReport(random, day ? { day } : {})) };
}
