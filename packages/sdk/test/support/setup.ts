import {
  candorBrowserRegistry,
  createReportChecker,
  type Registry,
  type Report,
  ReportBatchSchema,
} from '@candor/protocol';
import { type CandorOptions, createCandor, memoryQueueStorage } from '@candor/sdk';
import { expect } from 'vitest';
import { FakeCollector } from './collector.js';

export const COLLECTOR_URL = 'https://collector.test';
export const T0 = Date.UTC(2026, 10, 22, 10, 0, 0);
export const DAY_MS = 86_400_000;

export async function setup(options: Partial<CandorOptions<typeof candorBrowserRegistry>> = {}) {
  const collector = await FakeCollector.create();
  const storage = memoryQueueStorage();
  let time = T0;
  const clock = {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
  const candor = createCandor({
    registry: candorBrowserRegistry,
    collector: COLLECTOR_URL,
    appVersion: '3.4.1',
    system: { modelFamily: 'Redmi Note 8 Pro', os: 'Android', osMajor: '10', language: 'en-GB' },
    consent: { regime: 'opt-in', state: 'granted' },
    mode: 'development',
    storage,
    fetch: collector.fetch,
    now: clock.now,
    flushIntervalMs: 0,
    pageLifecycle: false,
    ...options,
  });
  await candor.ready;
  /** Ends the current UTC day (the clock moves to 00:01 the next day) and flushes: that day's report is sent. */
  const endDay = async () => {
    clock.advance(DAY_MS - (clock.now() % DAY_MS) + 60_000);
    await candor.flush();
  };
  return { candor, collector, storage, clock, endDay };
}

/** The registry checker as a collector running on the report's own day would apply it (tests run on fixed clocks). */
export function checkOnItsDay(registry: Registry, report: Report) {
  return createReportChecker(registry, { now: () => Date.parse(`${report.day}T12:00:00Z`) })(report);
}

/** Every batch the collector opened is a valid ReportBatch and every report passes the registry checker. */
export function expectValidReports(collector: FakeCollector): Report[] {
  for (const batch of collector.batches) {
    const parsed = ReportBatchSchema.safeParse(batch);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    for (const report of batch.reports) expect(checkOnItsDay(candorBrowserRegistry, report)).toEqual([]);
  }
  return collector.reports;
}

/** The daily reports that carry at least one value (a day with the SDK running but nothing recorded has none). */
export function metricsReports(collector: FakeCollector): Report[] {
  return collector.reports.filter((r) => Object.keys(r.metrics).length > 0);
}
