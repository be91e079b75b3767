import { describe, expect, it } from 'vitest';
import { metricsReports, setup } from './support/setup.js';

describe('consent', () => {
  it('opt-in: unknown records and sends nothing; granted starts from nothing', async () => {
    const { candor, collector } = await setup({ consent: { regime: 'opt-in' } });
    expect(candor.consent).toBe('unknown');
    candor.counter('page_load.count').add(7);
    candor.dailyActivity();
    await candor.flush();
    expect(collector.requests).toEqual([]);
    candor.setConsent('granted');
    candor.counter('page_load.count').add(1);
    await candor.flush();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'page_load.count': 1 }]);
  });

  it('opt-out: unknown is presumed consent and records; denied stops it', async () => {
    const { candor, collector } = await setup({ consent: { regime: 'opt-out' } });
    expect(candor.consent).toBe('unknown');
    candor.counter('page_load.count').add(2);
    await candor.flush();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'page_load.count': 2 }]);
    candor.setConsent('denied');
    candor.counter('page_load.count').add(5);
    await candor.flush();
    expect(metricsReports(collector)).toHaveLength(1);
  });

  it('denied drops what is pending and queued, in memory and in storage, and a later grant starts from nothing', async () => {
    const { candor, collector, storage } = await setup();
    collector.uploadResponder = () => new Response(null, { status: 503 });
    candor.counter('page_load.count').add(3);
    await candor.flush();
    expect(candor.queuedReports()).toBe(2);
    expect(storage.contents()).toContain('page_load.count');
    candor.counter('media.tracks_played').add(4);
    candor.setConsent('denied');
    await Promise.resolve();
    expect(candor.queuedReports()).toBe(0);
    const stored = JSON.parse(storage.contents() ?? '{}');
    expect(stored.reports).toEqual([]);
    // What already left the device stays visible to the person in the transparency log.
    expect(stored.log.map((e: { status: string }) => e.status)).toEqual(['retrying', 'retrying']);
    collector.uploadResponder = null;
    const uploadsWhileDenied = collector.uploads.length;
    await candor.flush();
    expect(collector.uploads.length).toBe(uploadsWhileDenied);
    candor.setConsent('granted');
    candor.quantity('ui.open_tabs').set(3);
    await candor.flush();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'ui.open_tabs': 3 }]);
  });

  it('withdrawing consent aborts an upload in flight and does not queue it again', async () => {
    const { candor, collector } = await setup();
    let release: () => void = () => {};
    let arrived: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    collector.uploadResponder = () =>
      new Promise((resolve) => {
        release = () => resolve(new Response(null, { status: 503 }));
        arrived();
      });
    candor.counter('page_load.count').add(1);
    const flushing = candor.flush();
    await inFlight; // the upload has reached the collector and waits for its answer
    candor.setConsent('denied');
    expect(collector.uploads[0]?.signal?.aborted).toBe(true);
    release();
    await flushing;
    expect(candor.queuedReports()).toBe(0);
    expect(candor.errors.retriedUploads).toBe(0);
    expect(candor.transparencyLog().map((e) => e.status)).toEqual(['dropped', 'dropped']);
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
