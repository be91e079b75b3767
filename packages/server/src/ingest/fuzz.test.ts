import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCollector } from '../collector.js';
import { fuzzCollector } from '../testing/fuzz.js';

const CASES = 10_000;

describe('fuzzed ingest', () => {
  it(`${CASES.toLocaleString('en-US')} hostile uploads, sealed for real: all refused with a 4xx, none stored, honest ones beside them all accepted`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-fuzz-'));
    const collector = await startCollector({
      keysDir: join(dir, 'keys'),
      store: 'duckdb::memory:',
      dashboardDir: null,
      rateLimit: false,
      log: { level: 'silent' },
    });
    try {
      const result = await fuzzCollector(collector, { cases: CASES, seed: 20261130 });
      expect(result.failures).toEqual([]);
      expect(result.cases).toBe(CASES);
      expect(Object.keys(result.statuses).every((s) => Number(s) >= 400 && Number(s) < 500)).toBe(true);
      expect(result.hostileRowsStored).toBe(0);
      expect(result.honestAccepted).toBe(result.honestSent);
      expect(result.honestReportsStored).toBe(result.honestReportsAccepted);
      expect(result.honestReportsAccepted).toBe(result.honestSent * 2);
    } finally {
      await collector.close();
    }
  }, 120_000);
});
