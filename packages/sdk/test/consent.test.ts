import { describe, expect, it } from 'vitest';
import { DAY_MS, metricsReports, setup } from './support/setup.js';

describe('consent', () => {
  it('opt-in: unknown records and sends nothing; granted starts from nothing', async () => {
    const { candor, collector, endDay } = await setup({ consent: { regime: 'opt-in' } });
    expect(candor.consent).toBe('unknown');
    candor.counter('page_load.count').add(7);
    await endDay();
    expect(collector.requests).toEqual([]);
    candor.setConsent('granted');
    candor.counter('page_load.count').add(1);
    await endDay();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'page_load.count': 1 }]);
  });

  it('opt-out: unknown is presumed consent and records; denied stops it', async () => {
    const { candor, collector, endDay } = await setup({ consent: { regime: 'opt-out' } });
    expect(candor.consent).toBe('unknown');
    candor.counter('page_load.count').add(2);
    await endDay();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'page_load.count': 2 }]);
    candor.setConsent('denied');
    candor.counter('page_load.count').add(5);
    await endDay();
    await endDay();
    expect(collector.reports).toHaveLength(1);
  });

  it('denied drops what is pending and queued, in memory and in storage, and a later grant starts from nothing', async () => {
    const { candor, collector, storage, endDay } = await setup();
    collector.uploadResponder = () => new Response(null, { status: 503 });
    candor.counter('page_load.count').add(3);
    await endDay();
    candor.counter('page_load.count').add(2);
    await candor.flush();
    expect(candor.queuedReports()).toBe(1);
    const before = JSON.parse(storage.contents() ?? '{}');
    expect(before.reports[0].metrics).toEqual({ 'page_load.count': 3 });
    expect(before.day.metrics).toEqual({ 'page_load.count': 2 });
    candor.counter('media.tracks_played').add(4);
    candor.setConsent('denied');
    expect(candor.queuedReports()).toBe(0);
    await expect.poll(() => JSON.parse(storage.contents() ?? '{}').consent).toBe('denied');
    const stored = JSON.parse(storage.contents() ?? '{}');
    expect(stored.reports).toEqual([]);
    expect(stored.day).toBeNull();
    // What already left the device stays visible to the person in the transparency log.
    expect(stored.log.map((e: { status: string }) => e.status)).toEqual(['retrying']);
    collector.uploadResponder = null;
    const uploadsWhileDenied = collector.uploads.length;
    await endDay();
    expect(collector.uploads.length).toBe(uploadsWhileDenied);
    candor.setConsent('granted');
    candor.quantity('ui.open_tabs').set(3);
    await endDay();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'ui.open_tabs': 3 }]);
  });

  it('withdrawing consent aborts an upload in flight and does not queue it again', async () => {
    const { candor, collector, clock } = await setup();
    let release: () => void = () => {};
    let uploading: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      uploading = resolve;
    });
    collector.uploadResponder = () =>
      new Promise((resolve) => {
        release = () => resolve(new Response(null, { status: 503 }));
        uploading();
      });
    candor.counter('page_load.count').add(1);
    clock.advance(DAY_MS);
    const flushing = candor.flush();
    await started;
    candor.setConsent('denied');
    expect(collector.uploads[0]?.signal?.aborted).toBe(true);
    release();
    await flushing;
    expect(candor.queuedReports()).toBe(0);
    expect(candor.errors.retriedUploads).toBe(0);
    expect(candor.transparencyLog().map((e) => e.status)).toEqual(['dropped']);
  });

  it('remembers the person’s choice across restarts; setConsent always wins', async () => {
    const first = await setup({ consent: { regime: 'opt-in' } });
    first.candor.setConsent('granted');
    await first.candor.shutdown();
    const { createCandor } = await import('@candor/sdk');
    const { candorBrowserRegistry } = await import('@candor/protocol');
    const again = createCandor({
      registry: candorBrowserRegistry,
      collector: 'https://collector.test',
      appVersion: '3.4.1',
      consent: { regime: 'opt-in' },
      storage: first.storage,
      fetch: first.collector.fetch,
      flushIntervalMs: 0,
      pageLifecycle: false,
    });
    await again.ready;
    expect(again.consent).toBe('granted');
    again.setConsent('denied');
    expect(JSON.parse(first.storage.contents() ?? '{}').consent).toBe('denied');
  });
});

describe('consent shared through storage', () => {
  it('a second instance on the same storage that missed a withdrawal adds nothing and adopts it', async () => {
    const { createCandor } = await import('@candor/sdk');
    const { candorBrowserRegistry } = await import('@candor/protocol');
    const first = await setup();
    let now = first.clock.now();
    const second = createCandor({
      registry: candorBrowserRegistry,
      collector: 'https://collector.test',
      appVersion: '3.4.1',
      consent: { regime: 'opt-in', state: 'granted' },
      storage: first.storage,
      fetch: first.collector.fetch,
      now: () => now,
      flushIntervalMs: 0,
      pageLifecycle: false,
    });
    await second.ready;
    first.candor.setConsent('denied');
    await expect.poll(() => JSON.parse(first.storage.contents() ?? '{}').consent).toBe('denied');
    // The second instance has not heard (no channel between them in Node): it records and flushes.
    second.counter('page_load.count').add(906);
    await second.flush();
    expect(second.consent).toBe('denied');
    expect(JSON.parse(first.storage.contents() ?? '{}')).toMatchObject({ consent: 'denied', reports: [], day: null });
    now += DAY_MS;
    await second.flush();
    expect(first.collector.reports).toEqual([]);
  });
});
