import { bucketIndex, candorBrowserRegistry, contributionBounds } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { expectValidReports, metricsReports, setup } from './support/setup.js';

/** The example registry's per-device-day bound of a metric (protocol privacy/contribution.ts). */
const bound = (metric: keyof typeof candorBrowserRegistry.metrics) =>
  contributionBounds(candorBrowserRegistry.metrics[metric]);

describe('every metric type ends up in a valid, sealed report', () => {
  it('records all ten types and the collector opens a report that passes ReportBatchSchema and the checker', async () => {
    const { candor, collector, endDay } = await setup();
    candor.counter('page_load.count').add();
    candor.counter('page_load.count').add(2);
    candor.labeledCounter('search.engine_use').add('google');
    candor.labeledCounter('search.engine_use').add('bing', 3);
    candor.boolean('settings.ad_blocking').set(true);
    candor.quantity('ui.open_tabs').set(12);
    candor.timing('page_load.time').record(120);
    candor.timing('page_load.time').record(130);
    candor.memory('memory.js_heap').record(52_000);
    candor.enumeration('settings.text_size').set('large');
    candor.site('page_load.time_by_site').record('https://mail.example.co.uk/inbox?user=alice@example.com#x', 800);
    candor.site('page_load.time_by_site').record('https://www.example.co.uk/other', 400);
    candor.event('ui.menu_action').record({ item: 'settings', from_toolbar: true });
    candor.crash('crash.app').record(new TypeError('cannot read alice@example.com'));
    await endDay();

    const reports = expectValidReports(collector);
    const [report] = metricsReports(collector);
    // One report for the day, holding everything recorded that day.
    expect(reports.map((r) => r.kind)).toEqual(['daily']);
    expect(report?.app).toBe('candor-browser');
    expect(report?.appVersion).toBe('3.4');
    expect(report?.registry).toBe('2026.11.1');
    expect(report?.day).toBe('2026-11-22');
    expect(report?.system).toEqual({ modelFamily: 'redmi note', os: 'android', osMajor: 10, language: 'en' });
    const m = report?.metrics ?? {};
    expect(m['page_load.count']).toBe(3);
    expect(m['search.engine_use']).toEqual({ google: 1, bing: 3 });
    expect(m['settings.ad_blocking']).toBe(true);
    expect(m['ui.open_tabs']).toBe(12);
    expect(m['page_load.time']).toEqual({
      sum: 250,
      count: 2,
      buckets: { [bucketIndex(120)]: 1, [bucketIndex(130)]: 1 },
    });
    expect(m['memory.js_heap']).toMatchObject({ count: 1, sum: 52_000 });
    expect(m['settings.text_size']).toBe('large');
    expect(Object.keys(m['page_load.time_by_site'] as object)).toEqual(['example.co.uk']);
    expect((m['page_load.time_by_site'] as Record<string, { count: number }>)['example.co.uk']?.count).toBe(2);
    expect(m['ui.menu_action']).toEqual([{ item: 'settings', from_toolbar: true }]);
    expect(m['crash.app']).toEqual([
      { type: 'TypeError', signature: expect.stringMatching(/^[0-9a-f]{16}$/), count: 1 },
    ]);
    // Nothing of the URL but its registrable domain, nothing of the crash message.
    const wire = JSON.stringify(reports);
    for (const secret of ['mail.', 'inbox', 'alice', 'user=', 'other', 'cannot read'])
      expect(wire).not.toContain(secret);
  });

  it('starts each day from nothing; a day with nothing recorded sends a report without values', async () => {
    const { candor, collector, endDay } = await setup();
    candor.counter('page_load.count').add(5);
    await endDay();
    await endDay();
    candor.counter('media.tracks_played').add(1);
    await endDay();
    expect(collector.reports.map((r) => r.metrics)).toEqual([
      { 'page_load.count': 5 },
      {},
      { 'media.tracks_played': 1 },
    ]);
    expect(collector.reports.map((r) => r.day)).toEqual(['2026-11-22', '2026-11-23', '2026-11-24']);
    expect(new Set(collector.reports.map((r) => r.id)).size).toBe(3);
  });

  it('clamps counters and quantities to the registry max', async () => {
    const { candor, collector, endDay } = await setup();
    candor.counter('memory.low_memory_warnings').add(5000);
    candor.quantity('ui.open_tabs').set(9999);
    await endDay();
    expect(metricsReports(collector)[0]?.metrics).toEqual({
      'memory.low_memory_warnings': bound('memory.low_memory_warnings').value,
      'ui.open_tabs': bound('ui.open_tabs').value,
    });
    expectValidReports(collector);
  });

  it('records IP, localhost, intranet, file:, data:, blob: and about: URLs as nothing', async () => {
    const { candor, collector, endDay } = await setup();
    const site = candor.site('page_load.time_by_site');
    for (const url of [
      'http://192.168.1.10/admin',
      'http://[::1]:8080/',
      'http://localhost:3000/x',
      'http://intranet/wiki',
      'https://printer.local/',
      'file:///home/alice/notes.html',
      'data:text/html,<b>hi</b>',
      'blob:https://example.com/1234',
      'about:blank',
      'not a url',
    ]) {
      site.record(url, 100);
    }
    await endDay();
    expect(metricsReports(collector)).toEqual([]);
    site.record('https://news.bbc.co.uk/a/b?q=1', 50);
    site.record('https://user:pw@www.github.io.example.com:8443/x', 50);
    await endDay();
    expect(Object.keys(metricsReports(collector)[0]?.metrics['page_load.time_by_site'] as object).sort()).toEqual([
      'bbc.co.uk',
      'example.com',
    ]);
  });

  it('keeps at most the day bound of events per metric, counting the rest as dropped', async () => {
    const { candor, collector, endDay } = await setup({ mode: 'production' });
    const { keys } = bound('ui.menu_action');
    for (let i = 0; i < keys + 10; i++) candor.event('ui.menu_action').record({ item: 'new_tab' });
    expect(candor.errors.droppedSamples.too_many_entries).toBe(10);
    await endDay();
    expect(((metricsReports(collector)[0]?.metrics['ui.menu_action'] as unknown[] | undefined) ?? []).length).toBe(
      keys,
    );
  });

  it('counts repeated crashes with the same signature together', async () => {
    const { candor, collector, endDay } = await setup();
    const crash = () => {
      throw new RangeError(`index ${Math.random()} out of range`);
    };
    for (let i = 0; i < 3; i++) {
      try {
        crash();
      } catch (e) {
        candor.crash('crash.app').record(e);
      }
    }
    await endDay();
    const crashes = metricsReports(collector)[0]?.metrics['crash.app'] as { type: string; count: number }[];
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toMatchObject({ type: 'RangeError', count: 3 });
  });
});

describe('current-state metrics (boolean, enumeration, quantity)', () => {
  it('ride along into every later day the SDK runs, with the last value set that day', async () => {
    const { candor, collector, endDay } = await setup();
    candor.boolean('settings.ad_blocking').set(true);
    candor.enumeration('settings.text_size').set('small');
    candor.quantity('ui.open_tabs').set(3);
    await endDay();
    await endDay();
    candor.counter('page_load.count').add();
    candor.quantity('ui.open_tabs').set(4);
    candor.quantity('ui.open_tabs').set(5);
    await endDay();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([
      { 'settings.ad_blocking': true, 'settings.text_size': 'small', 'ui.open_tabs': 3 },
      { 'settings.ad_blocking': true, 'settings.text_size': 'small', 'ui.open_tabs': 3 },
      { 'settings.ad_blocking': true, 'settings.text_size': 'small', 'ui.open_tabs': 5, 'page_load.count': 1 },
    ]);
  });

  it('are forgotten when consent is withdrawn', async () => {
    const { candor, collector, endDay } = await setup();
    candor.boolean('settings.ad_blocking').set(true);
    candor.setConsent('denied');
    candor.setConsent('granted');
    candor.counter('page_load.count').add();
    await endDay();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'page_load.count': 1 }]);
  });
});
