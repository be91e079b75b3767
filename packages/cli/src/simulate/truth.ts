/**
 * What the simulated fleet really did, computed from the phones themselves: which day each phone that may report
 * (it consented) was used. Released figures are checked against this, and the dashboard's screenshot shows it.
 * Days are UTC day numbers (ms since epoch / 86,400,000); weeks start on Monday, UTC.
 */
export interface ActivityTruth {
  /** Simulated days, oldest first, YYYY-MM-DD. */
  days: string[];
  daily: DayTruth[];
  /** First-use cohorts, oldest first. */
  cohorts: CohortTruth[];
}

export interface DayTruth {
  day: string;
  /** Phones used that day. */
  dau: number;
  /** Phones used in the 7 days ending that day. */
  wau: number;
  /** Phones used in the 28 days ending that day. */
  mau: number;
  /** DAU / MAU; null when MAU is 0. */
  stickiness: number | null;
}

export interface CohortTruth {
  /** Monday (YYYY-MM-DD) of the week of first use. */
  week: string;
  size: number;
  /** Share of the cohort used in the k-th week after its first (k = 1..), null where that week is not complete. */
  retention: Record<number, number | null>;
}

const DAY_MS = 86_400_000;
export const RETENTION_WEEKS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

export function dayKey(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/** The Monday starting the UTC week of a day number (day 0, 1970-01-01, was a Thursday). */
export function weekStart(dayNumber: number): number {
  return dayNumber - ((dayNumber + 3) % 7);
}

/**
 * Truth from each reporting phone's days of use, for the simulated days `first..last` (day numbers). Every phone's
 * first use lies inside them, so windows reaching back before `first` are still exact.
 */
export function activityTruth(phones: Iterable<readonly number[]>, first: number, last: number): ActivityTruth {
  const used: Set<number>[] = [];
  for (const days of phones) if (days.length > 0) used.push(new Set(days));
  const activeWithin = (from: number, to: number) => {
    let n = 0;
    for (const set of used) {
      for (let d = from; d <= to; d++) {
        if (set.has(d)) {
          n++;
          break;
        }
      }
    }
    return n;
  };
  const daily: DayTruth[] = [];
  for (let d = first; d <= last; d++) {
    const dau = activeWithin(d, d);
    const mau = activeWithin(d - 27, d);
    daily.push({ day: dayKey(d), dau, wau: activeWithin(d - 6, d), mau, stickiness: mau > 0 ? dau / mau : null });
  }
  const byWeek = new Map<number, Set<number>[]>();
  for (const set of used) {
    const week = weekStart(Math.min(...set));
    byWeek.set(week, [...(byWeek.get(week) ?? []), set]);
  }
  const cohorts: CohortTruth[] = [...byWeek.keys()]
    .sort((a, b) => a - b)
    .map((week) => {
      const members = byWeek.get(week) ?? [];
      const retention: Record<number, number | null> = {};
      for (const k of RETENTION_WEEKS) {
        const from = week + 7 * k;
        retention[k] =
          from + 6 > last
            ? null
            : members.filter((set) => [...set].some((d) => d >= from && d <= from + 6)).length / members.length;
      }
      return { week: dayKey(week), size: members.length, retention };
    });
  const days: string[] = [];
  for (let d = first; d <= last; d++) days.push(dayKey(d));
  return { days, daily, cohorts };
}
