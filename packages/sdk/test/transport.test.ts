import { PATHS, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { describe, expect, it, vi } from 'vitest';
import { retryDelay } from '../src/transport/backoff.js';
import { DAY_MS, metricsReports, setup, T0 } from './support/setup.js';

describe('upload rules', () => {
  it('posts the sealed envelope with the protocol content type to /v1/reports, keeping the key for its max-age', async () => {
    const { candor, collector, clock, endDay } = await setup();
    collector.uploadResponder = () => new Response(null, { status: 503 });
    candor.counter('page_load.count').add();
    await endDay();
    collector.uploadResponder = null;
    clock.advance(60_000);
    await candor.flush();
    candor.counter('page_load.count').add();
    await endDay(); // a day later the key has expired (max-age 300 s): fetched again
    expect(collector.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      `GET ${PATHS.keys}`,
      `POST ${PATHS.reports}`,
      `POST ${PATHS.reports}`,
      `GET ${PATHS.keys}`,
      `POST ${PATHS.reports}`,
    ]);
    expect(collector.uploads[0]?.headers['content-type']).toBe(SEALED_CONTENT_TYPE);
    // Sealed: none of the JSON is readable in the body.
    expect(Buffer.from(collector.uploads[0]?.body ?? []).toString('latin1')).not.toContain('page_load');
  });

  it('2xx: done, the queue is empty', async () => {
    const { candor, collector, endDay } = await setup();
    candor.counter('page_load.count').add();
    await endDay();
    expect(candor.queuedReports()).toBe(0);
    expect(metricsReports(collector)).toHaveLength(1);
  });

  it('4xx: the batch is dropped and counted, never retried', async () => {
    const { candor, collector, endDay } = await setup({ mode: 'production' });
    collector.uploadResponder = () =>
      Response.json({ type: 'https://candor.dev/problems/invalid-report' }, { status: 422 });
    candor.counter('page_load.count').add();
    await endDay();
    expect(candor.queuedReports()).toBe(0);
    expect(candor.errors.rejectedUploads).toBe(1);
    expect(candor.errors.rejectedReports).toBe(1);
    collector.uploadResponder = null;
    await candor.flush();
    expect(collector.uploads).toHaveLength(1);
    expect(candor.transparencyLog().map((e) => [e.status, e.httpStatus])).toEqual([['rejected', 422]]);
  });

  it('5xx and network errors: kept and retried with capped exponential backoff and jitter, then sent once', async () => {
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((_fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return realSetTimeout(() => {}, 0);
    }) as typeof setTimeout);
    try {
      // Timers on (a long interval, so the only short timers are retries).
      const { candor, collector, endDay } = await setup({
        retryBaseMs: 1_000,
        retryCapMs: 8_000,
        random: () => 0.5,
        flushIntervalMs: 3_600_000,
      });
      let failures = 0;
      collector.uploadResponder = () => (failures++ % 2 === 0 ? new Response(null, { status: 503 }) : 'network-error');
      candor.counter('page_load.count').add(4);
      await endDay();
      expect(candor.queuedReports()).toBe(1);
      expect(candor.errors.retriedUploads).toBe(1);
      // An explicit flush does not wait for the retry: it sends at once.
      for (let i = 0; i < 5; i++) await candor.flush();
      expect(collector.uploads).toHaveLength(6);
      expect(candor.errors.retriedUploads).toBe(6);
      // Retry delays with random() = 0.5: 750, 1500, 3000, 6000, 6000, 6000 (capped at 8000 * 0.75).
      expect(delays.filter((ms) => ms < 3_600_000 / 2)).toEqual([750, 1500, 3000, 6000, 6000, 6000]);
      collector.uploadResponder = null;
      await candor.flush();
      expect(candor.queuedReports()).toBe(0);
      const reports = metricsReports(collector);
      expect(reports).toHaveLength(1);
      expect(reports[0]?.metrics['page_load.count']).toBe(4);
      await candor.shutdown();
    } finally {
      spy.mockRestore();
    }
  });

  it('a scheduled retry sends by itself once its wait is over', async () => {
    const { candor, collector, clock, endDay } = await setup({
      retryBaseMs: 1_000,
      retryCapMs: 8_000,
      flushIntervalMs: 3_600_000,
    });
    collector.uploadResponder = () => new Response(null, { status: 503 });
    candor.counter('page_load.count').add(4);
    await endDay();
    collector.uploadResponder = null;
    clock.advance(1_000);
    await expect.poll(() => metricsReports(collector).length, { timeout: 5_000 }).toBe(1);
    await candor.shutdown();
  });

  it('429: kept and retried no sooner than the Retry-After the collector asked for, even by an explicit flush', async () => {
    const { candor, collector, clock, endDay } = await setup({
      retryBaseMs: 1_000,
      retryCapMs: 8_000,
      random: () => 0.5,
    });
    collector.uploadResponder = () =>
      Response.json(
        { type: 'https://candor.dev/problems/rate-limited' },
        { status: 429, headers: { 'retry-after': '30' } },
      );
    candor.counter('page_load.count').add();
    await endDay();
    expect(candor.queuedReports()).toBeGreaterThan(0);
    expect(candor.errors.rejectedUploads).toBe(0);
    collector.uploadResponder = null;
    // The ordinary backoff (750 ms here) has passed, the collector's 30 s have not.
    clock.advance(29_000);
    await candor.flush();
    expect(collector.uploads).toHaveLength(1);
    clock.advance(1_000);
    await candor.flush();
    expect(collector.uploads).toHaveLength(2);
    expect(candor.queuedReports()).toBe(0);
  });

  it('retries keep the same report ids so the collector can drop duplicates', async () => {
    const { candor, collector, clock, endDay } = await setup({ retryBaseMs: 10, retryCapMs: 10 });
    const seen: string[][] = [];
    const { openEnvelope } = await import('./support/collector.js');
    collector.uploadResponder = async (request) => {
      seen.push((await openEnvelope(request.body, collector.keys)).reports.map((r) => r.id));
      return seen.length === 1 ? new Response(null, { status: 500 }) : new Response(null, { status: 202 });
    };
    candor.counter('page_load.count').add();
    await endDay();
    clock.advance(20);
    await candor.flush();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
  });

  it('backoff delays grow exponentially, are capped, and are jittered', () => {
    expect(retryDelay(0, () => 0, 1000, 60_000)).toBe(500);
    expect(retryDelay(0, () => 0.999999, 1000, 60_000)).toBeCloseTo(1000, 0);
    expect(retryDelay(3, () => 0, 1000, 60_000)).toBe(4000);
    expect(retryDelay(20, () => 0, 1000, 60_000)).toBe(30_000);
    expect(retryDelay(20, () => 1, 1000, 60_000)).toBe(60_000);
  });

  it('a rotated key (unknown key id) refetches /v1/keys once and resends to the new key', async () => {
    const { candor, collector, clock, endDay } = await setup();
    collector.uploadResponder = () => new Response(null, { status: 503 });
    candor.counter('page_load.count').add();
    await endDay();
    // The key is rotated while the report waits, within the cached key's max-age.
    await collector.rotate(2);
    collector.accepted.delete(1);
    collector.uploadResponder = null;
    clock.advance(60_000);
    await candor.flush();
    expect(candor.errors.keyRefetches).toBe(1);
    expect(collector.requests.filter((r) => r.url.endsWith(PATHS.keys))).toHaveLength(2);
    expect(collector.uploads.map((u) => u.body[0])).toEqual([1, 1, 2]);
    expect(metricsReports(collector).map((r) => r.metrics['page_load.count'])).toEqual([1]);
  });

  it('an unknown key even after the refetch is a 4xx: dropped and counted, no refetch loop', async () => {
    const { candor, collector, endDay } = await setup({ mode: 'production' });
    collector.accepted.clear();
    candor.counter('page_load.count').add();
    await endDay();
    expect(candor.errors.keyRefetches).toBe(1);
    expect(candor.errors.rejectedUploads).toBe(1);
    expect(collector.uploads).toHaveLength(2);
    expect(candor.queuedReports()).toBe(0);
  });

  it('a failing key fetch keeps the reports queued', async () => {
    const { collector } = await setup({ mode: 'production' });
    let now = T0;
    const realFetch = collector.fetch;
    let keysDown = true;
    const { createCandor, memoryQueueStorage } = await import('@candor/sdk');
    const { candorBrowserRegistry } = await import('@candor/protocol');
    const other = createCandor({
      registry: candorBrowserRegistry,
      collector: 'https://collector.test',
      appVersion: '1.2',
      consent: { regime: 'opt-out' },
      storage: memoryQueueStorage(),
      fetch: async (input, init) =>
        keysDown && String(input).endsWith(PATHS.keys) ? new Response('down', { status: 503 }) : realFetch(input, init),
      retryBaseMs: 1,
      retryCapMs: 1,
      flushIntervalMs: 0,
      pageLifecycle: false,
      now: () => now,
    });
    await other.ready;
    other.counter('page_load.count').add();
    now += DAY_MS;
    await other.flush();
    expect(other.queuedReports()).toBe(1);
    expect(other.errors.sealFailures).toBe(1);
    expect(other.transparencyLog()).toEqual([]);
    keysDown = false;
    now += 5;
    await other.flush();
    expect(other.queuedReports()).toBe(0);
  });
});

describe('send timing', () => {
  it('automatic sends are scheduled at a jittered 0.5x-1.5x of the interval', async () => {
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((_fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return realSetTimeout(() => {}, 0);
    }) as typeof setTimeout);
    try {
      for (const r of [0, 0.5, 0.999]) {
        const { candor } = await setup({ flushIntervalMs: 60_000, random: () => r });
        await candor.shutdown();
      }
    } finally {
      spy.mockRestore();
    }
    expect(delays).toEqual([30_000, 60_000, expect.closeTo(89_940, 0)]);
  });
});

describe('page hide', () => {
  it('sends with keepalive, even inside the retry backoff, and the collector opens it', async () => {
    const { candor, collector, clock, endDay } = await setup();
    collector.uploadResponder = () => new Response(null, { status: 503 });
    candor.counter('page_load.count').add(1);
    await endDay();
    collector.uploadResponder = null;
    clock.advance(10);
    candor.counter('page_load.count').add(2);
    await candor.flush({ keepalive: true });
    const last = collector.uploads.at(-1);
    expect(last?.keepalive).toBe(true);
    // Yesterday's report goes; today's count waits in the day's aggregate for its own report.
    expect(metricsReports(collector).map((r) => r.metrics['page_load.count'])).toEqual([1]);
    expect(candor.queuedReports()).toBe(0);
    await endDay();
    expect(metricsReports(collector).map((r) => r.metrics['page_load.count'])).toEqual([1, 2]);
  });
});
