/**
 * No identifier anywhere: not on the wire, not in storage, not in memory. The only long random value is the
 * per-report id, fresh for every report (so it cannot link two reports), used only to drop retried duplicates.
 */
import { candorBrowserRegistry, type Report } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { checkOnItsDay, expectValidReports, setup } from './support/setup.js';

const LONG_HEX = /[0-9a-f]{16,}/gi;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Every string reachable from a value (objects, arrays, maps, sets, class instances). */
function strings(root: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown) => {
    if (typeof value === 'string') out.push(value);
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Map) {
      for (const [k, v] of value) {
        walk(k);
        walk(v);
      }
    } else if (value instanceof Set) for (const v of value) walk(v);
    else if (ArrayBuffer.isView(value))
      out.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex'));
    else for (const key of Reflect.ownKeys(value)) walk((value as Record<string | symbol, unknown>)[key]);
  };
  walk(root);
  return out;
}

/** Crash signatures hash the app's code path; every device with the same bug has the same one. */
function crashSignatures(reports: Report[]): string[] {
  return reports.flatMap((r) =>
    ((r.metrics['crash.app'] as { signature: string }[] | undefined) ?? []).map((c) => c.signature),
  );
}

async function busySession() {
  const ctx = await setup();
  const { candor, clock } = ctx;
  for (let day = 0; day < 3; day++) {
    for (let i = 0; i < 3; i++) {
      candor.counter('page_load.count').add();
      candor.site('page_load.time_by_site').record('https://example.org/a', 100 + i);
      candor.crash('crash.app').record(new Error('x'));
      await candor.flush();
    }
    clock.advance(24 * 3600_000);
  }
  return ctx;
}

describe('no identifiers', () => {
  it('on the wire: every long hex value is a report id, and no two reports share one', async () => {
    const { collector } = await busySession();
    const reports = expectValidReports(collector);
    const ids = reports.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const idSet = new Set(ids);
    for (const r of reports) {
      for (const s of strings({ ...r, id: undefined })) {
        for (const match of s.match(LONG_HEX) ?? [])
          expect(idSet.has(match), `unexpected long hex ${match}`).toBe(false);
        expect(s).not.toMatch(UUID);
      }
    }
    // The report schema is strict: no field beyond id, app, appVersion, registry, day, kind, system, metrics and
    // the activity section (four small counts about the day, never the history behind them).
    const check = (r: Report) => checkOnItsDay(candorBrowserRegistry, r);
    for (const r of reports) {
      expect(Object.keys(r).sort()).toEqual([
        'activity',
        'app',
        'appVersion',
        'day',
        'id',
        'kind',
        'metrics',
        'registry',
        'system',
      ]);
      expect(check(r)).toEqual([]);
    }
  });

  it('on the wire: requests carry no cookies, no referrer, no header beyond the content type', async () => {
    const { collector } = await busySession();
    for (const request of collector.requests) {
      expect(request.credentials).toBe('omit');
      expect(request.referrerPolicy).toBe('no-referrer');
      expect(request.url).not.toMatch(/\?/);
      expect(Object.keys(request.headers).filter((h) => h !== 'content-type')).toEqual([]);
    }
  });

  it('two devices with the same inputs send reports that differ only in their fresh ids', async () => {
    const a = await setup();
    const b = await setup();
    for (const { candor, endDay } of [a, b]) {
      candor.counter('page_load.count').add(3);
      await endDay();
    }
    const strip = (rs: Report[]) => rs.map(({ id: _id, ...rest }) => rest);
    expect(strip(a.collector.reports)).toEqual(strip(b.collector.reports));
    expect(a.collector.reports[0]?.id).not.toBe(b.collector.reports[0]?.id);
  });

  it('in storage: only the queue, the consent choice, the open day, the last closed day, the days of use, the key, folded journal entries and the log', async () => {
    const { storage, collector } = await busySession();
    const stored = JSON.parse(storage.contents() ?? '{}');
    expect(Object.keys(stored).sort()).toEqual([
      'consent',
      'day',
      'folded',
      'key',
      'lastClosedDay',
      'log',
      'reports',
      'usage',
      'version',
    ]);
    // Days of use as day numbers and the Monday of the first week: small integers shared by everyone who used the
    // app on those days, never sent (activity.test.ts).
    expect(Object.keys(stored.usage).sort()).toEqual(['days', 'firstWeek']);
    for (const n of [...stored.usage.days, stored.usage.firstWeek]) expect(Number.isSafeInteger(n)).toBe(true);
    // In Node there is no page-hide journal, so no folded entries are listed.
    expect(stored.folded).toEqual([]);
    // The collector's public key, the same for every device: not an identifier.
    delete stored.key;
    expect(stored.lastClosedDay).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Object.keys(stored.day).sort()).toEqual(['day', 'metrics']);
    const ids = new Set([...collector.reports.map((r) => r.id), ...crashSignatures(collector.reports)]);
    for (const s of strings(stored)) {
      for (const match of s.match(LONG_HEX) ?? [])
        expect(ids.has(match), `unexpected long hex in storage ${match}`).toBe(true);
    }
  });

  it('in memory: the SDK object holds no long random value except ids of reports still queued or logged', async () => {
    const { candor, collector } = await busySession();
    const allowed = new Set([...collector.reports.map((r) => r.id), ...crashSignatures(collector.reports)]);
    // Collector public keys (served by the collector, the same for every device) are not device identifiers.
    const keys = new Set(collector.keys.map((k) => Buffer.from(k.config.publicKey, 'base64url').toString('hex')));
    for (const s of strings(candor)) {
      if (keys.has(s)) continue;
      for (const match of s.match(LONG_HEX) ?? [])
        expect(allowed.has(match), `unexpected long hex in memory ${match}`).toBe(true);
      expect(s).not.toMatch(UUID);
    }
  });
});
