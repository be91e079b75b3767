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

/** Days since the Monday starting the UTC week of a day number (day 0, 1970-01-01, was a Thursday). */
export function weekdayFromMonday(dayNumber: number): number {
  return (((dayNumber + 3) % 7) + 7) % 7;
}

/** The Monday starting the UTC week of a day number. */
export function weekStart(dayNumber: number): number {
  return dayNumber - weekdayFromMonday(dayNumber);
}

/** One reporting phone's days of use, and which of them the collector got a report for. */
export interface PhoneDays {
  used: readonly number[];
  /** Days whose report was accepted; without it, every day of use counts. */
  delivered?: ReadonlySet<number>;
}

/**
 * Truth from each reporting phone's days of use, for the simulated days `first..last` (day numbers). Every phone's
 * first use lies inside them, so windows reaching back before `first` are still exact.
 *
 * With `delivered`, it is what the collector can know: a report that never arrived (a phone next used after its
 * day's accepted window had passed) cannot count, and since a phone counts in a window on its first day of use
 * there (the day its report says nothing came before in the window), it is missing from that window too.
 */
export function activityTruth(phones: Iterable<PhoneDays>, first: number, last: number): ActivityTruth {
  const devices: { used: number[]; counts: (day: number) => boolean }[] = [];
  for (const phone of phones) {
    if (phone.used.length === 0) continue;
    const delivered = phone.delivered;
    devices.push({ used: [...phone.used].sort((a, b) => a - b), counts: (day) => !delivered || delivered.has(day) });
  }
  /** Devices whose first day of use within from..to counts. */
  const activeWithin = (from: number, to: number) => {
    let n = 0;
    for (const device of devices) {
      const day = device.used.find((d) => d >= from && d <= to);
      if (day !== undefined && device.counts(day)) n++;
    }
    return n;
  };
  const daily: DayTruth[] = [];
  for (let d = first; d <= last; d++) {
    const dau = activeWithin(d, d);
    const mau = activeWithin(d - 27, d);
    daily.push({ day: dayKey(d), dau, wau: activeWithin(d - 6, d), mau, stickiness: mau > 0 ? dau / mau : null });
  }
  const byWeek = new Map<number, typeof devices>();
  for (const device of devices) {
    const week = weekStart(device.used[0] as number);
    byWeek.set(week, [...(byWeek.get(week) ?? []), device]);
  }
  const cohorts: CohortTruth[] = [...byWeek.keys()]
    .sort((a, b) => a - b)
    .map((week) => {
      const all = byWeek.get(week) ?? [];
      const members = all.filter((device) => device.counts(device.used[0] as number));
      const retention: Record<number, number | null> = {};
      for (const k of RETENTION_WEEKS) {
        const from = week + 7 * k;
        const back = all.filter((device) => {
          const day = device.used.find((d) => d >= from && d <= from + 6);
          return day !== undefined && device.counts(day);
        });
        retention[k] = from + 6 > last || members.length === 0 ? null : back.length / members.length;
      }
      return { week: dayKey(week), size: members.length, retention };
    });
  const days: string[] = [];
  for (let d = first; d <= last; d++) days.push(dayKey(d));
  return { days, daily, cohorts };
}
