import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACTIVITY_METRICS,
  type Activity,
  ActivityResultSchema,
  DEVICE_DAYS_METRIC,
  dayNumber,
  SEALED_CONTENT_TYPE,
  weekdayIndex,
} from '@candor/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type Collector, startCollector } from '../collector.js';
import { sealForCollector } from '../testing/client.js';
import { SAMPLE_DAY, sampleReport, seededRandom } from '../testing/reports.js';

const running: Collector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
});

async function start(): Promise<Collector> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-activity-'));
  const collector = await startCollector({
    keysDir: join(dir, 'keys'),
    store: 'duckdb::memory:',
    dashboardDir: null,
    rateLimit: false,
    log: { level: 'silent' },
  });
  running.push(collector);
  return collector;
}

async function upload(c: Collector, reports: unknown[]) {
  const response = await fetch(`${c.url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': SEALED_CONTENT_TYPE },
    body: new Uint8Array(await sealForCollector(c.url, JSON.stringify({ v: 1, reports }))),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Stored device-days per cell of one metric on the sample day. */
async function cells(c: Collector, metric: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of await c.store.dayLines('candor-browser', SAMPLE_DAY)) {
    if (line.metric === metric && line.bucket === -1) out[line.cell] = (out[line.cell] ?? 0) + line.reports;
  }
  return out;
}

const weekday = weekdayIndex(dayNumber(SAMPLE_DAY));
const honest: Activity = { sincePrevious: 1, activeDays7: 2, activeDays28: 5, weeksSinceFirstUse: 3 };
const withActivity = (seed: number, activity: unknown) =>
  ({ ...sampleReport(seededRandom(seed)), activity }) as ReturnType<typeof sampleReport>;

describe('the activity section at ingest', () => {
  it('refuses sections no device history can produce, naming the field, and stores nothing of the upload', async () => {
    const c = await start();
    const cases: [string, unknown, string, string][] = [
      ['active days beyond the week', { ...honest, activeDays7: 8 }, 'invalid-report', 'activity.activeDays7'],
      ['a fraction', { ...honest, activeDays28: 4.5 }, 'invalid-report', 'activity.activeDays28'],
      [
        'weeks beyond the top bucket',
        { ...honest, weeksSinceFirstUse: 14 },
        'invalid-report',
        'activity.weeksSinceFirstUse',
      ],
      // An unknown key in the section is data to the firewall first (and the schema refuses it after).
      ['the history itself', { ...honest, days: [20000, 20001] }, 'personal-data', 'activity.(key)'],
      [
        'a missing field',
        { sincePrevious: 1, activeDays7: 2, activeDays28: 5 },
        'invalid-report',
        'activity.weeksSinceFirstUse',
      ],
      [
        'more days in 7 than in 28',
        { ...honest, activeDays7: 6, activeDays28: 5 },
        'invalid-value',
        'activity.activeDays7',
      ],
      [
        'a gap of 10 days with 3 days of use in the last 7',
        { ...honest, sincePrevious: 10, activeDays7: 3 },
        'invalid-value',
        'activity.activeDays7',
      ],
      [
        'first use in the 28 days but 5 days of use',
        { ...honest, sincePrevious: 0, activeDays7: 1, activeDays28: 5 },
        'invalid-value',
        'activity.activeDays28',
      ],
      [
        'a previous day before this week, in the week of first use',
        { sincePrevious: weekday + 1, activeDays7: weekday < 6 ? 2 : 1, activeDays28: 2, weeksSinceFirstUse: 0 },
        'invalid-value',
        'activity.sincePrevious',
      ],
      [
        '28 days of use in a device 1 week old',
        { sincePrevious: 1, activeDays7: 7, activeDays28: 28, weeksSinceFirstUse: 1 },
        'invalid-value',
        'activity.activeDays28',
      ],
    ];
    for (const [what, activity, type, field] of cases) {
      const { status, body } = await upload(c, [sampleReport(seededRandom(2)), withActivity(1, activity)]);
      expect({ what, status, type: String(body.type).split('/').pop(), field: body.field }).toEqual({
        what,
        status: 422,
        type,
        field,
      });
    }
    expect(c.stats.accepted).toBe(0);
    expect(await cells(c, DEVICE_DAYS_METRIC)).toEqual({});
  });

  it('files each device-day in one cell of each activity metric; a report without the section as unknown', async () => {
    const c = await start();
    const first: Activity = { sincePrevious: 0, activeDays7: 1, activeDays28: 1, weeksSinceFirstUse: 0 };
    expect(
      (await upload(c, [withActivity(1, honest), withActivity(2, first), sampleReport(seededRandom(3))])).status,
    ).toBe(202);
    expect(await cells(c, DEVICE_DAYS_METRIC)).toMatchObject({ [SAMPLE_DAY]: 3 });
    expect(await cells(c, ACTIVITY_METRICS.sincePrevious)).toEqual({ '1': 1, none: 1, unknown: 1 });
    expect(await cells(c, ACTIVITY_METRICS.activeDays7)).toEqual({ '2': 1, '1': 1, unknown: 1 });
    expect(await cells(c, ACTIVITY_METRICS.activeDays28)).toEqual({ '5': 1, '1': 1, unknown: 1 });
    // The honest report is its device's first day of use this week only when yesterday was in the week before.
    expect(await cells(c, ACTIVITY_METRICS.cohortWeek)).toEqual({
      [weekday === 0 ? '3' : 'later']: 1,
      '0': 1,
      unknown: 1,
    });
  });
});

describe('GET /v1/activity', () => {
  it('answers token holders only, in the published shape, and names a bad parameter', async () => {
    const c = await start();
    const get = (query: string, token: string | null | undefined = c.queryToken) =>
      fetch(`${c.url}/v1/activity${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await get('', null)).status).toBe(401);
    expect((await get('', 'not-a-token')).status).toBe(401);
    const ok = await get('');
    expect(ok.status).toBe(200);
    const body = ActivityResultSchema.parse(await ok.json());
    // Nothing is released yet: every day of the default 30-day range is there, without figures.
    expect(body.days).toHaveLength(30);
    expect(body.days.every((d) => d.dau === null && d.wau === null && d.mau === null)).toBe(true);
    expect(body.privacy.releases.map((r) => r.metric)).toEqual([
      DEVICE_DAYS_METRIC,
      ...Object.values(ACTIVITY_METRICS),
    ]);
    const bad = await get('?from=2026-13-01');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'from' });
    const openapi = (await (await fetch(`${c.url}/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/v1/activity');
  });
});
