import { describe, expect, it } from 'vitest';
import { type ActivityReleasedDay, deriveActivity, type ReleasedCount } from './derive.js';
import { recordUse, weekdayIndex } from './history.js';
import { ACTIVITY_DEFINITIONS, ACTIVITY_METRICS, type ActivityMetric, activityCells } from './metrics.js';
import { activityProblem, dayNumber, dayOfNumber, isFirstOfWeek } from './section.js';

const MONDAY = dayNumber('2026-11-16');

describe('activity days and weeks', () => {
  it('numbers weekdays from Monday and finds a device’s first day of use in a week', () => {
    expect(weekdayIndex(MONDAY)).toBe(0);
    expect(weekdayIndex(MONDAY + 6)).toBe(6);
    expect(weekdayIndex(0)).toBe(3); // 1970-01-01, a Thursday
    const wednesday = dayOfNumber(MONDAY + 2);
    const section = (sincePrevious: number) => ({
      sincePrevious,
      activeDays7: 1,
      activeDays28: 2,
      weeksSinceFirstUse: 4,
    });
    expect(isFirstOfWeek(wednesday, section(3))).toBe(true); // previous use on the Sunday before
    expect(isFirstOfWeek(wednesday, section(2))).toBe(false); // previous use on this Monday
    expect(isFirstOfWeek(wednesday, { ...section(0), activeDays28: 1 })).toBe(true);
  });

  it('a section lands in exactly one cell of each metric, `later` after the first day of a week', () => {
    const first = recordUse(null, MONDAY + 1);
    const second = recordUse(first.history, MONDAY + 3);
    expect(activityCells({ day: dayOfNumber(MONDAY + 1), activity: first.activity })).toEqual({
      [ACTIVITY_METRICS.sincePrevious]: 'none',
      [ACTIVITY_METRICS.activeDays7]: '1',
      [ACTIVITY_METRICS.activeDays28]: '1',
      [ACTIVITY_METRICS.cohortWeek]: '0',
    });
    expect(activityCells({ day: dayOfNumber(MONDAY + 3), activity: second.activity })).toMatchObject({
      [ACTIVITY_METRICS.sincePrevious]: '2',
      [ACTIVITY_METRICS.cohortWeek]: 'later',
    });
    expect(Object.values(activityCells({ day: dayOfNumber(MONDAY) }))).toEqual([
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
    expect(activityProblem(dayOfNumber(MONDAY + 3), second.activity)).toBeNull();
  });
});

describe('deriveActivity', () => {
  const count = (value: number): ReleasedCount => ({ value, variance: 2 });
  /** One device used every day from MONDAY on: each day's report as released without noise. */
  function everyDay(days: number, missing: number[] = []): ActivityReleasedDay[] {
    const out: ActivityReleasedDay[] = [];
    let history = null;
    for (let n = MONDAY; n < MONDAY + days; n++) {
      const use = recordUse(history, n);
      history = use.history;
      if (missing.includes(n)) continue;
      const cells = activityCells({ day: dayOfNumber(n), activity: use.activity });
      out.push({
        day: dayOfNumber(n),
        deviceDays: count(1),
        // A release holds every value of each closed domain, noised; here without noise.
        cells: Object.fromEntries(
          Object.entries(cells).map(([metric, cell]) => [
            metric,
            Object.fromEntries(
              (ACTIVITY_DEFINITIONS[metric as ActivityMetric].values ?? []).map((v) => [v, count(v === cell ? 1 : 0)]),
            ),
          ]),
        ) as NonNullable<ActivityReleasedDay['cells']>,
      });
    }
    return out;
  }

  it('counts one device once in each window, and gives no figure where a window reaches past the releases', () => {
    const result = deriveActivity(everyDay(35), dayOfNumber(MONDAY), dayOfNumber(MONDAY + 34));
    expect(result.days[5]?.wau).toBeNull();
    expect(result.days[6]?.wau?.value).toBe(1);
    expect(result.days[26]?.mau).toBeNull();
    expect(result.days[27]?.mau?.value).toBe(1);
    expect(result.days[27]?.stickiness?.value).toBe(1);
    // Each interval is the summed noise variance: WAU reads seven days' cells, so it is wider than DAU.
    const day = result.days[27];
    expect((day?.wau?.high ?? 0) - (day?.wau?.low ?? 0)).toBeGreaterThan((day?.dau?.high ?? 0) - (day?.dau?.low ?? 0));
  });

  it('a missing released day leaves the windows and the cohort week that need it without a figure', () => {
    const result = deriveActivity(everyDay(35, [MONDAY + 10]), dayOfNumber(MONDAY), dayOfNumber(MONDAY + 34));
    expect(result.days[10]?.dau).toBeNull();
    expect(result.days[16]?.wau).toBeNull();
    expect(result.days[17]?.wau?.value).toBe(1);
    expect(result.cohorts.map((c) => c.week)).toEqual(['2026-11-16', '2026-11-30', '2026-12-07', '2026-12-14']);
    const first = result.cohorts[0];
    expect(first?.size.value).toBe(1);
    // Week 1 (with the missing day) has no retention; weeks 2 and 3 were released in full.
    expect(first?.retained.slice(0, 4).map((r) => r.share?.value ?? null)).toEqual([null, 1, 1, 1]);
  });

  it('a day released before the activity metrics existed gives its DAU and nothing that needs its cells', () => {
    const days = everyDay(14).map((d) =>
      d.day === dayOfNumber(MONDAY + 3) ? { day: d.day, deviceDays: d.deviceDays } : d,
    );
    const result = deriveActivity(days, dayOfNumber(MONDAY), dayOfNumber(MONDAY + 13));
    expect(result.days[3]?.dau?.value).toBe(1);
    expect(result.days[9]?.wau).toBeNull();
    expect(result.days[10]?.wau?.value).toBe(1);
    expect(result.cohorts.map((c) => c.week)).toEqual(['2026-11-23']);
  });

  it('the range’s stickiness is summed DAU over summed MAU: a day whose MAU is released near zero does not decide it', () => {
    // Two devices: one used every day, one every other day, released without noise except one count (below).
    const uses = (n: number) => [true, (n - MONDAY) % 2 === 0];
    const histories: (ReturnType<typeof recordUse>['history'] | null)[] = [null, null];
    const days: ActivityReleasedDay[] = [];
    for (let n = MONDAY; n < MONDAY + 40; n++) {
      const cells: Record<string, Record<string, ReleasedCount>> = {};
      for (const [metric, def] of Object.entries(ACTIVITY_DEFINITIONS)) {
        cells[metric] = Object.fromEntries((def.values ?? []).map((v) => [v, count(0)]));
      }
      let used = 0;
      uses(n).forEach((use, device) => {
        if (!use) return;
        used++;
        const next = recordUse(histories[device] ?? null, n);
        histories[device] = next.history;
        for (const [metric, cell] of Object.entries(activityCells({ day: dayOfNumber(n), activity: next.activity }))) {
          const counts = cells[metric] as Record<string, ReleasedCount>;
          counts[cell] = count((counts[cell]?.value ?? 0) + 1);
        }
      });
      days.push({
        day: dayOfNumber(n),
        deviceDays: count(used),
        cells: cells as NonNullable<ActivityReleasedDay['cells']>,
      });
    }
    const from = dayOfNumber(MONDAY + 27);
    const to = dayOfNumber(MONDAY + 39);
    const exact = deriveActivity(days, from, to);
    const dau = exact.days.reduce((s, d) => s + (d.dau?.value ?? 0), 0);
    const mau = exact.days.reduce((s, d) => s + (d.mau?.value ?? 0), 0);
    expect(exact.stickiness.dauOverMau?.value).toBeCloseTo(dau / mau, 3);
    expect(dau / mau).toBeLessThan(0.8);
    // Noise on two early days' counts (as releases may carry) leaves the MAU of two days in the range near zero:
    // the mean of the daily ratios would be pulled to 100%; summed over the range the figure stays below it.
    const noise = new Map([
      [dayOfNumber(MONDAY + 1), -0.98],
      [dayOfNumber(MONDAY + 2), -0.98],
    ]);
    const noisy = days.map((d) => {
      const shift = noise.get(d.day);
      return shift ? { ...d, deviceDays: count(d.deviceDays.value + shift) } : d;
    });
    const result = deriveActivity(noisy, from, to);
    const ratios = result.days.flatMap((d) => (d.stickiness ? [d.stickiness.value] : []));
    // The two days shown at the 100% cap: their released MAU is near zero.
    expect(ratios.slice(0, 2)).toEqual([1, 1]);
    expect(result.stickiness.dauOverMau?.value).toBeLessThan(0.95);
    expect(result.stickiness.dauOverMau?.value).toBeGreaterThan(0.7);
  });
});
