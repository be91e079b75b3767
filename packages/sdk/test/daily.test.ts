/**
 * The device-day report: one report per app per UTC day, whatever the number of flushes, restarts or clock
 * changes, and each metric clamped to its per-device-day bound over the whole day. Each test is the attack a
 * device (or a bug) would make on the unit of privacy.
 */
import { candorBrowserRegistry } from '@candor/protocol';
import { contributionBounds } from '@candor/protocol/privacy/contribution';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { describe, expect, it } from 'vitest';
import { FakeCollector } from './support/collector.js';
import { DAY_MS, expectValidReports, setup, T0 } from './support/setup.js';

const bound = (name: keyof typeof candorBrowserRegistry.metrics) =>
  contributionBounds(candorBrowserRegistry.metrics[name]);

describe('one report per device-day', () => {
  it('many flushes in a day make one report, sent only after the day ends', async () => {
    const { candor, collector, clock, endDay } = await setup();
    for (let hour = 0; hour < 10; hour++) {
      candor.counter('page_load.count').add(2);
      await candor.flush();
      clock.advance(3600_000);
    }
    expect(collector.reports).toEqual([]);
    await endDay();
    expectValidReports(collector);
    expect(collector.reports.map((r) => [r.kind, r.day, r.metrics['page_load.count']])).toEqual([
      ['daily', '2026-11-22', 20],
    ]);
  });

  it('a counter is clamped to its bound over the whole day, not per flush', async () => {
    const { candor, collector, endDay } = await setup({ mode: 'production' });
    const { value } = bound('memory.low_memory_warnings');
    for (let i = 0; i < 5; i++) {
      candor.counter('memory.low_memory_warnings').add(value - 1);
      await candor.flush();
    }
    await endDay();
    expect(collector.reports.map((r) => r.metrics['memory.low_memory_warnings'])).toEqual([value]);
    expect(candor.errors.droppedSamples.over_daily_bound).toBe(4);
  });

  it('a labeled counter keeps each label and the total within bounds over the day', async () => {
    const { candor, collector, endDay } = await setup({ mode: 'production' });
    const { value, total } = bound('search.engine_use');
    const engines = ['google', 'bing', 'duckduckgo', 'ecosia', 'yandex'] as const;
    for (let round = 0; round < 3; round++) {
      for (const engine of engines) candor.labeledCounter('search.engine_use').add(engine, value);
      await candor.flush();
    }
    await endDay();
    const sent = collector.reports[0]?.metrics['search.engine_use'] as Record<string, number>;
    const sum = Object.values(sent).reduce((a, b) => a + b, 0);
    expect(sum).toBe(total);
    for (const n of Object.values(sent)) expect(n).toBeLessThanOrEqual(value);
  });

  it('a distribution keeps at most the day bound of samples', async () => {
    const { candor, collector, endDay } = await setup({ mode: 'production' });
    const { samples } = bound('page_load.time');
    for (let flush = 0; flush < 3; flush++) {
      for (let i = 0; i < samples; i++) candor.timing('page_load.time').record(100 + (i % 50));
      await candor.flush();
    }
    await endDay();
    const sent = collector.reports[0]?.metrics['page_load.time'] as { count: number; buckets: Record<string, number> };
    expect(sent.count).toBe(samples);
    expect(Object.values(sent.buckets).reduce((a, b) => a + b, 0)).toBe(samples);
  });

  it('a site metric keeps at most the day bound of sites', async () => {
    const { candor, collector, endDay } = await setup({ mode: 'production' });
    const { keys } = bound('page_load.time_by_site');
    for (let flush = 0; flush < 3; flush++) {
      for (let i = 0; i < keys; i++) candor.site('page_load.time_by_site').record(`https://s${flush}-${i}.com/`, 100);
      await candor.flush();
    }
    await endDay();
    expect(Object.keys(collector.reports[0]?.metrics['page_load.time_by_site'] as object)).toHaveLength(keys);
  });

  it('restarts within the day add to the same stored day and the same bound', async () => {
    const storage = memoryQueueStorage();
    const collector = await FakeCollector.create();
    let now = T0;
    const start = () =>
      createCandor({
        registry: candorBrowserRegistry,
        collector: 'https://collector.test',
        appVersion: '3.4.1',
        consent: { regime: 'opt-in', state: 'granted' },
        mode: 'production',
        storage,
        fetch: collector.fetch,
        now: () => now,
        flushIntervalMs: 0,
        pageLifecycle: false,
      });
    const { value } = bound('memory.low_memory_warnings');
    for (let run = 0; run < 4; run++) {
      const candor = start();
      await candor.ready;
      candor.counter('page_load.count').add(1);
      candor.counter('memory.low_memory_warnings').add(value - 1);
      await candor.shutdown();
      now += 3600_000;
    }
    expect(collector.reports).toEqual([]);
    now += DAY_MS;
    const last = start();
    await last.flush();
    expect(collector.reports.map((r) => r.metrics)).toEqual([
      { 'page_load.count': 4, 'memory.low_memory_warnings': value },
    ]);
  });

  it('a clock moved back never makes a second report for a day already sent', async () => {
    const { candor, collector, clock, endDay } = await setup();
    candor.counter('page_load.count').add(1);
    await endDay();
    expect(collector.reports.map((r) => r.day)).toEqual(['2026-11-22']);
    clock.advance(-DAY_MS); // back to 2026-11-22
    candor.counter('page_load.count').add(5);
    await candor.flush();
    clock.advance(2 * DAY_MS);
    await candor.flush();
    const days = collector.reports.map((r) => r.day);
    expect(days).toEqual(['2026-11-22', '2026-11-23']);
    expect(collector.reports[1]?.metrics['page_load.count']).toBe(5);
  });
});

describe('ending the day early, for trying an integration', () => {
  it('development mode: sends today now, and what comes later today counts toward tomorrow', async () => {
    const { candor, collector, endDay } = await setup({ mode: 'development' });
    candor.counter('page_load.count').add(2);
    await candor.flush({ endDay: true });
    candor.counter('page_load.count').add(3);
    await candor.flush({ endDay: true }); // today is over already: nothing more for today
    await endDay();
    expect(collector.reports.map((r) => [r.day, r.metrics['page_load.count']])).toEqual([['2026-11-22', 2]]);
    await endDay();
    expect(collector.reports.map((r) => [r.day, r.metrics['page_load.count']])).toEqual([
      ['2026-11-22', 2],
      ['2026-11-23', 3],
    ]);
  });

  it('production mode: refused and counted, the day stays open', async () => {
    const { candor, collector } = await setup({ mode: 'production' });
    candor.counter('page_load.count').add(2);
    await candor.flush({ endDay: true });
    expect(collector.reports).toEqual([]);
    expect(candor.errors.droppedSamples.invalid_value).toBe(1);
  });
});
