/**
 * The activity section: the device keeps its days of use (last 28) and its week of first use, and each daily report
 * carries only figures derived from them about its own day. The history never leaves the device, is deleted with
 * consent, and private mode never touches it.
 */
import { activityProblem, recordUse, type UsageHistory } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { DAY_MS, expectValidReports, setup, T0 } from './support/setup.js';

type Setup = Awaited<ReturnType<typeof setup>>;
const T0_DAY = Math.floor(T0 / DAY_MS);

/** Moves the clock to `offset` days after T0 (10:00 UTC), records something and flushes. */
async function useOn(s: Setup, offset: number) {
  s.clock.advance(T0 + offset * DAY_MS - s.clock.now());
  s.candor.counter('page_load.count').add(1);
  await s.candor.flush();
}

/**
 * Each closed day's section, from the transparency log: a day whose next use came too late for the collector is
 * logged `late` and not sent (transport/send.ts), but its section was derived all the same.
 */
const activityByDay = (s: Setup) =>
  Object.fromEntries(
    s.candor
      .transparencyLog()
      .map((e) => e.report)
      .map((r) => [Math.round((Date.parse(r.day) - T0 + 36e6) / DAY_MS), r.activity]),
  );

const stored = (s: Setup) => JSON.parse(s.storage.contents() ?? '{}');

const a = (sincePrevious: number, activeDays7: number, activeDays28: number, weeksSinceFirstUse: number) => ({
  sincePrevious,
  activeDays7,
  activeDays28,
  weeksSinceFirstUse,
});

describe('the activity section of each daily report', () => {
  // T0 is Sunday 2026-11-22, in the week of Monday 2026-11-16 (offset -6).
  it('derives each day’s figures across gaps, week and month windows, and caps weeks since first use', async () => {
    const s = await setup();
    for (const offset of [0, 1, 4, 11, 29, 57, 58, 100]) await useOn(s, offset);
    await useOn(s, 101);
    expectValidReports(s.collector);
    expect(activityByDay(s)).toEqual({
      0: a(0, 1, 1, 0), // first use
      1: a(1, 2, 2, 1), // Monday: a new week
      4: a(3, 3, 3, 1),
      11: a(7, 1, 4, 2), // nothing else in its 7 days, all four in its 28
      29: a(18, 1, 3, 5), // day 0 and 1 have left the 28-day window
      57: a(28, 1, 1, 9), // the previous day is exactly 28 days back: outside the window, still "since previous"
      58: a(1, 2, 2, 9),
      100: a(0, 1, 1, 13), // 42 days since the previous one; 15 weeks since first use, sent as 13 (or more)
    });
    // Sent only where the next use came within the collector's window; the others are logged late, unsent.
    const sent = s.collector.reports.map((r) => Math.round((Date.parse(r.day) - T0 + 36e6) / DAY_MS));
    expect(sent).toEqual([0, 1, 57, 100]);
  });

  it('keeps at most 29 days of history, and never sends it', async () => {
    const s = await setup();
    for (let offset = 0; offset < 40; offset++) await useOn(s, offset);
    const usage = stored(s).usage;
    expect(usage.days.length).toBeLessThanOrEqual(29);
    // Day 39 is still open: the last day recorded is 38, and it needs the days from 28 before it.
    expect(usage.days.at(-1)).toBe(T0_DAY + 38);
    expect(Math.min(...usage.days)).toBe(T0_DAY + 38 - 28);
    expect(usage.firstWeek).toBe(T0_DAY - 6);
    for (const report of s.collector.reports) {
      expect(Object.keys(report.activity ?? {}).sort()).toEqual([
        'activeDays28',
        'activeDays7',
        'sincePrevious',
        'weeksSinceFirstUse',
      ]);
      expect(JSON.stringify(report)).not.toContain(String(T0_DAY));
    }
  });

  it('a clock moved back neither reopens a day nor makes an inconsistent section', async () => {
    const s = await setup();
    await useOn(s, 0);
    await useOn(s, 5);
    await useOn(s, 2); // the clock goes back three days: folded into the open day 5
    await useOn(s, -20);
    await useOn(s, 6);
    await useOn(s, 7);
    expectValidReports(s.collector);
    expect(activityByDay(s)).toEqual({ 0: a(0, 1, 1, 0), 5: a(5, 2, 2, 1), 6: a(1, 3, 3, 1) });
  });

  it('a history holding days after the report’s day (a stored clock change) still gives a consistent section', () => {
    const monday = T0_DAY - 6;
    const { activity, history } = recordUse({ days: [T0_DAY - 2, T0_DAY + 3], firstWeek: monday }, T0_DAY);
    expect(activity).toEqual(a(2, 2, 2, 0));
    expect(history.days).toEqual([T0_DAY - 2, T0_DAY]);
    expect(activityProblem('2026-11-22', activity)).toBeNull();
  });

  it('every history the device can hold gives a section the collector accepts', () => {
    // Random days of use over half a year, checked day by day against the collector's consistency rules.
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let device = 0; device < 200; device++) {
      let history: UsageHistory | null = null;
      const rate = random();
      for (let day = T0_DAY; day < T0_DAY + 180; day++) {
        if (random() > rate) continue;
        const use = recordUse(history, day);
        history = use.history;
        const iso = new Date(day * DAY_MS).toISOString().slice(0, 10);
        expect(activityProblem(iso, use.activity), `${iso} ${JSON.stringify(use.activity)}`).toBeNull();
      }
    }
  });
});

describe('the local history and consent', () => {
  it('withdrawing consent deletes the history; a later grant starts as a first use', async () => {
    const s = await setup();
    for (const offset of [0, 1, 2]) await useOn(s, offset);
    expect(stored(s).usage.days.length).toBe(2);
    s.candor.setConsent('denied');
    await expect.poll(() => stored(s).consent).toBe('denied');
    expect(stored(s).usage).toBeNull();
    s.candor.setConsent('granted');
    await useOn(s, 3);
    await useOn(s, 4);
    expectValidReports(s.collector);
    // Day 2 was dropped with the queue; granted again on day 2, the device starts over that day.
    expect(activityByDay(s)).toEqual({ 0: a(0, 1, 1, 0), 1: a(1, 2, 2, 1), 2: a(0, 1, 1, 0), 3: a(1, 2, 2, 0) });
  });

  it('private mode neither records a day of use nor changes the stored history', async () => {
    const s = await setup();
    await useOn(s, 0);
    await useOn(s, 1);
    const before = stored(s).usage;
    s.candor.setPrivate(true);
    await useOn(s, 2);
    await useOn(s, 3);
    expect(stored(s).usage).toEqual(before);
    s.candor.setPrivate(false);
    await useOn(s, 4);
    await useOn(s, 5);
    expectValidReports(s.collector);
    // Day 1 was closed when day 4 began; days 2 and 3 never happened as far as the history knows.
    expect(activityByDay(s)).toEqual({ 0: a(0, 1, 1, 0), 1: a(1, 2, 2, 1), 4: a(3, 3, 3, 1) });
  });
});
