import type { ActiveDaysShare, ActivityCohort, ActivityDay, ActivityResult, Estimate } from '../query/activity.js';
import { RETENTION_WEEKS } from '../query/activity.js';
import { weekdayIndex } from './history.js';
import { ACTIVITY_METRICS, ACTIVITY_NONE, ACTIVITY_UNKNOWN, type ActivityMetric } from './metrics.js';
import { ACTIVITY_WINDOW_DAYS, dayNumber, dayOfNumber } from './section.js';

/**
 * Active devices, stickiness and retention, derived from released cells only: the one place these figures are
 * computed (the collector's activity route calls it; tests compare it with a simulated fleet's truth). It is
 * post-processing of the daily releases, so it spends no budget; each figure's variance is the sum of the known
 * noise variances of the released cells it adds (independent discrete Laplace draws).
 */

/** One released noisy count and the variance of its noise. */
export interface ReleasedCount {
  value: number;
  variance: number;
}

/**
 * One released day: its device-day count and every released value of each activity metric (a release holds
 * every value of each closed domain; a value left out is read as an exact zero).
 */
export interface ActivityReleasedDay {
  day: string;
  deviceDays: ReleasedCount;
  /** Absent for a day released before the activity metrics existed: it gives DAU and no other figure. */
  cells?: Record<ActivityMetric, Record<string, ReleasedCount>>;
}

const Z = 1.96;
const zero: ReleasedCount = { value: 0, variance: 0 };

const add = (parts: readonly ReleasedCount[]): ReleasedCount =>
  parts.reduce((s, p) => ({ value: s.value + p.value, variance: s.variance + p.variance }), zero);

const count = (c: ReleasedCount): Estimate => {
  const half = Z * Math.sqrt(c.variance);
  return { value: Math.round(c.value), low: Math.round(c.value - half), high: Math.round(c.value + half) };
};

/** A share within [0, 1] and its interval; `sd` is the standard deviation of the ratio's noise. */
const share = (value: number, sd: number): Estimate => {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const round = (v: number) => Math.round(v * 10_000) / 10_000;
  return { value: round(clamp(value)), low: round(clamp(value - Z * sd)), high: round(clamp(value + Z * sd)) };
};

/** Ratio a / b with the delta method's standard deviation (noise of a and b independent), or null when b <= 0. */
function ratio(a: ReleasedCount, b: ReleasedCount): { value: number; sd: number } | null {
  if (!(b.value > 0)) return null;
  const r = a.value / b.value;
  return { value: r, sd: Math.sqrt(a.variance + r * r * b.variance) / b.value };
}

/**
 * How many of day `released`'s device-days had no day of use in the `gap` days before: since-previous cells
 * `none` and gap+1..28. Read the cheaper way: the sum of those cells, or the day's device-days minus the other
 * cells (unknown and 1..gap), whichever adds less noise. Both are unbiased.
 */
function firstInWindow(released: ActivityReleasedDay, gap: number): ReleasedCount {
  const cells = released.cells?.[ACTIVITY_METRICS.sincePrevious] ?? {};
  const cell = (v: string) => cells[v] ?? zero;
  const upper = [cell(ACTIVITY_NONE)];
  for (let v = gap + 1; v <= ACTIVITY_WINDOW_DAYS; v++) upper.push(cell(String(v)));
  const direct = add(upper);
  const others = [cell(ACTIVITY_UNKNOWN)];
  for (let v = 1; v <= gap; v++) others.push(cell(String(v)));
  const rest = add(others);
  const complement = {
    value: released.deviceDays.value - rest.value,
    variance: released.deviceDays.variance + rest.variance,
  };
  return complement.variance < direct.variance ? complement : direct;
}

/**
 * Active devices in the `window` days ending with day number `end`: each device counts once, on its first day
 * of use in the window (the day whose since-previous reaches back past the window's start). Null unless every
 * day of the window is released.
 */
function activeIn(byDay: Map<number, ActivityReleasedDay>, end: number, window: number): ReleasedCount | null {
  const parts: ReleasedCount[] = [];
  for (let j = 0; j < window; j++) {
    const released = byDay.get(end - window + 1 + j);
    if (!released?.cells) return null;
    parts.push(firstInWindow(released, j));
  }
  return add(parts);
}

function activeDaysShares(
  days: readonly ActivityReleasedDay[],
  metric: ActivityMetric,
  max: number,
): ActiveDaysShare[] {
  const totals = Array.from({ length: max }, (_, i) =>
    add(days.map((d) => d.cells?.[metric]?.[String(i + 1)] ?? zero)),
  );
  const positive = totals.reduce((s, t) => s + Math.max(0, t.value), 0);
  if (!(positive > 0)) return [];
  return totals.map((t, i) => ({
    days: i + 1,
    share: share(Math.max(0, t.value) / positive, Math.sqrt(t.variance) / positive),
  }));
}

/** Everything GET /v1/activity answers besides its header, from the released days (any order, gaps allowed). */
export function deriveActivity(
  released: readonly ActivityReleasedDay[],
  from: string,
  to: string,
): Pick<ActivityResult, 'days' | 'stickiness' | 'cohorts' | 'coverage'> {
  const byDay = new Map(released.map((d) => [dayNumber(d.day), d]));
  const first = dayNumber(from);
  const last = dayNumber(to);

  const days: ActivityDay[] = [];
  // For the range's stickiness: DAU and MAU summed over the days that have both.
  let dauSum = zero;
  let mauSum = 0;
  let mauSdSum = 0;
  for (let n = first; n <= last; n++) {
    const today = byDay.get(n);
    const wau = activeIn(byDay, n, 7);
    const mau = activeIn(byDay, n, ACTIVITY_WINDOW_DAYS);
    const sticky = today && mau ? ratio(today.deviceDays, mau) : null;
    if (sticky && today && mau) {
      dauSum = add([dauSum, today.deviceDays]);
      mauSum += mau.value;
      mauSdSum += Math.sqrt(mau.variance);
    }
    days.push({
      day: dayOfNumber(n),
      dau: today ? count(today.deviceDays) : null,
      wau: wau ? count(wau) : null,
      mau: mau ? count(mau) : null,
      stickiness: sticky ? share(sticky.value, sticky.sd) : null,
    });
  }

  const inRange = released.filter((d) => {
    const n = dayNumber(d.day);
    return d.cells && n >= first && n <= last;
  });
  // Summed DAU over summed MAU, not the mean of each day's ratio: one day whose released MAU is near zero would
  // make that mean anything. Consecutive days' MAU share most of their cells, so their noise is correlated: the
  // summed standard deviations bound the sum's (it would be smaller if they were independent).
  const overall = ratio(dauSum, { value: mauSum, variance: mauSdSum * mauSdSum });
  const dauOverMau = overall ? share(overall.value, overall.sd) : null;

  const deviceDays = add(inRange.map((d) => d.deviceDays));
  const unknown = add(inRange.map((d) => d.cells?.[ACTIVITY_METRICS.sincePrevious]?.[ACTIVITY_UNKNOWN] ?? zero));
  const missing = ratio(unknown, deviceDays);

  return {
    days,
    stickiness: {
      dauOverMau,
      activeDays7: activeDaysShares(inRange, ACTIVITY_METRICS.activeDays7, 7),
      activeDays28: activeDaysShares(inRange, ACTIVITY_METRICS.activeDays28, ACTIVITY_WINDOW_DAYS),
    },
    cohorts: cohorts(byDay, first, last),
    coverage: missing ? share(1 - missing.value, missing.sd) : null,
  };
}

/** The cohort-week cells of value `k` over the seven days of the week starting at day number `monday`. */
function weekCells(byDay: Map<number, ActivityReleasedDay>, monday: number, k: number): ReleasedCount | null {
  const parts: ReleasedCount[] = [];
  for (let i = 0; i < 7; i++) {
    const cells = byDay.get(monday + i)?.cells;
    if (!cells) return null;
    parts.push(cells[ACTIVITY_METRICS.cohortWeek]?.[String(k)] ?? zero);
  }
  return add(parts);
}

/**
 * Retention by week of first use. On its first day of use in a week, each device's report lands in the cohort
 * cell of its weeks since first use (`later` on its other days), so summing a week's cells of value k counts the
 * devices in use that week that started k weeks before, each once. Cohort W's size is its week's k = 0 sum; its
 * retention in week k is week W+k's k sum over that size.
 */
function cohorts(byDay: Map<number, ActivityReleasedDay>, first: number, last: number): ActivityCohort[] {
  const out: ActivityCohort[] = [];
  const firstMonday = first + ((7 - weekdayIndex(first)) % 7);
  for (let monday = firstMonday; monday <= last; monday += 7) {
    const size = weekCells(byDay, monday, 0);
    if (!size) continue;
    out.push({
      week: dayOfNumber(monday),
      size: count(size),
      retained: RETENTION_WEEKS.map((k) => {
        const back = weekCells(byDay, monday + 7 * k, k);
        const r = back ? ratio(back, size) : null;
        return { week: k, share: r ? share(r.value, r.sd) : null };
      }),
    });
  }
  return out;
}
