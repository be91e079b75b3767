/**
 * Private mode, proven on the wire: every byte the SDK sends during a session that goes in and out of private
 * mode is captured and opened (with @hpke/core, not the SDK's own code). Nothing recorded in private mode is
 * there, and the session's reports equal, field for field (report ids aside), those of a session that never
 * entered private mode, so no field can tell that it was ever on.
 */
import type { candorBrowserRegistry, Report } from '@candor/protocol';
import type { Candor } from '@candor/sdk';
import { describe, expect, it } from 'vitest';
import { openEnvelope } from './support/collector.js';
import { expectValidReports, setup } from './support/setup.js';

type C = Candor<typeof candorBrowserRegistry>;

function recordPublicPart1(candor: C) {
  candor.counter('page_load.count').add(2);
  candor.timing('page_load.time').record(300);
  candor.site('page_load.time_by_site').record('https://www.wikipedia.org/wiki/Privacy', 420);
  candor.labeledCounter('search.engine_use').add('duckduckgo');
  candor.quantity('ui.open_tabs').set(4);
}

function recordPrivate(candor: C) {
  candor.counter('page_load.count').add(40);
  candor.timing('page_load.time').record(9_999);
  candor.site('page_load.time_by_site').record('https://secret-clinic-appointments.com/patient?id=42', 1_234);
  candor.labeledCounter('search.engine_use').add('yandex', 5);
  candor.labeledCounter('search.method').add('voice');
  candor.quantity('ui.open_tabs').set(77);
  candor.enumeration('settings.text_size').set('largest');
  candor.boolean('settings.ad_blocking').set(false);
  candor.event('ui.menu_action').record({ item: 'history', from_toolbar: false });
  candor.crash('crash.app').record(Object.assign(new Error('private'), { name: 'IncognitoOnlyError' }));
  candor.memory('memory.js_heap').record(777_777);
  candor.counter('media.tracks_played').add(9);
}

function recordPublicPart2(candor: C) {
  candor.counter('page_load.count').add(1);
  candor.site('page_load.time_by_site').record('https://news.ycombinator.com/item?id=1', 200);
  candor.enumeration('settings.text_size').set('large');
}

async function session(usePrivate: boolean) {
  const ctx = await setup();
  const { candor, endDay } = ctx;
  recordPublicPart1(candor);
  if (usePrivate) {
    candor.setPrivate(true);
    recordPrivate(candor);
    await candor.flush(); // a flush in private mode sends nothing at all
    candor.setPrivate(false);
    await candor.withPrivate(async () => {
      await Promise.resolve();
      recordPrivate(candor);
    });
  }
  recordPublicPart2(candor);
  await endDay();
  if (usePrivate) candor.setPrivate(true);
  if (usePrivate) recordPrivate(candor);
  if (usePrivate) await candor.flush();
  if (usePrivate) candor.setPrivate(false);
  recordPublicPart2(candor);
  await endDay();
  return ctx;
}

const withoutIds = (reports: Report[]) => reports.map(({ id: _id, ...rest }) => rest);

describe('private mode', () => {
  it('records nothing, sends nothing, and leaves no trace in any byte sent', async () => {
    const withPrivate = await session(true);
    const control = await session(false);

    // Open every captured upload body independently of the SDK.
    const opened: Report[] = [];
    for (const upload of withPrivate.collector.uploads) {
      opened.push(...(await openEnvelope(upload.body, withPrivate.collector.keys)).reports);
    }
    expect(opened.length).toBeGreaterThan(0);
    expect(opened).toEqual(withPrivate.collector.reports);
    expectValidReports(withPrivate.collector);

    const wire = JSON.stringify(opened);
    for (const trace of [
      'secret-clinic',
      'patient',
      'yandex',
      'voice',
      'largest',
      'IncognitoOnlyError',
      'history',
      'tracks_played',
      'js_heap',
      'ad_blocking',
    ]) {
      expect(wire).not.toContain(trace);
    }
    expect(opened.map((r) => r.metrics['page_load.count'])).toEqual([3, 1]);

    // Field for field the same as a session that never went private: no flag, no gap, no extra field.
    expect(withoutIds(opened)).toEqual(withoutIds(control.collector.reports));
    // The same requests, to the same places, with the same headers.
    const shape = (c: typeof control) =>
      c.collector.requests.map((r) => [r.method, r.url, r.headers, r.keepalive, r.credentials]);
    expect(shape(withPrivate)).toEqual(shape(control));
    // And the transparency log and stored state have the same shape too.
    const stored = (c: typeof control) => {
      const state = JSON.parse(c.storage.contents() ?? '{}');
      return {
        ...state,
        // Each session talks to its own test collector, with its own key.
        key: state.key ? 'stored' : null,
        log: state.log.map((e: { report: Report; sentAt: string }) => ({ ...e, report: withoutIds([e.report])[0] })),
      };
    };
    expect(stored(withPrivate)).toEqual(stored(control));
  });

  it('sends nothing while private mode is on, even what was queued before it', async () => {
    const { candor, collector, endDay } = await setup();
    candor.counter('page_load.count').add(1);
    candor.setPrivate(true);
    expect(candor.isPrivate).toBe(true);
    candor.counter('page_load.count').add(5);
    // The day ends while private mode is on: its report waits until private mode is off.
    await endDay();
    expect(collector.requests).toEqual([]);
    candor.setPrivate(false);
    await candor.flush();
    expect(collector.reports.map((r) => r.metrics)).toEqual([{ 'page_load.count': 1 }]);
  });

  it('withPrivate is scoped: it ends when the callback ends, even when it throws', async () => {
    const { candor } = await setup();
    await expect(
      candor.withPrivate(() => {
        expect(candor.isPrivate).toBe(true);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(candor.isPrivate).toBe(false);
    const value = await candor.withPrivate(async () => 42);
    expect(value).toBe(42);
    expect(candor.isPrivate).toBe(false);
  });
});
