// `candor bench late [--quick] [--growing]`: what the collector's late window (REPORT_DAYS_LATE) costs in device-days and in
// the bias of the activity figures. A day's report leaves at the app's next use (browsers, and the simulator), so
// it arrives when that is at most N days after the day; otherwise the SDK drops it unsent. This replays the
// simulator's lifecycle (simulate/lifecycle.ts) for many phones, without SDKs or a collector (the released figures
// track the delivered truth within their noise: cli/test/activity.test.ts), and compares what would arrive for
// several windows with what people did. A longer window also delays every figure: a day is released N + 1 days
// after it ends. `--growing` replays the demo's growing app (GROWING_APP) instead of the steady one.
import { REPORT_DAYS_LATE } from '@candor/protocol';
import { GROWING_APP, randomLifecycle, STEADY_APP, usesOn } from '../simulate/lifecycle.js';
import { seededRandom } from '../simulate/random.js';
import { type ActivityTruth, activityTruth, type PhoneDays } from '../simulate/truth.js';

const DAYS = 63;
const WINDOWS = [3, 5, 7, 14];
/** A Sunday, so the nine weeks are whole cohort weeks. */
const LAST = Date.UTC(2026, 10, 22) / 86_400_000;

interface Phone {
  used: number[];
  habit: string;
  /** The owner stopped using the app before the run's end: the last day of use has no next use to send it. */
  stopped: boolean;
}

/**
 * Days whose report arrives within `window` days: the next use sends it. A stopped phone's last day never
 * arrives; a staying phone's last day is counted as arriving (its next use lies past the run).
 */
function delivered(phone: Phone, window: number): PhoneDays {
  const arrived = new Set<number>();
  for (const [i, day] of phone.used.entries()) {
    const next = phone.used[i + 1] ?? (phone.stopped ? Number.POSITIVE_INFINITY : LAST);
    if (next - day <= window) arrived.add(day);
  }
  return { used: phone.used, delivered: arrived };
}

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** The cohort-size-weighted retention in week k. */
function retention(truth: ActivityTruth, k: number): number {
  const cohorts = truth.cohorts.filter((c) => c.retention[k] !== null && c.retention[k] !== undefined);
  const size = cohorts.reduce((s, c) => s + c.size, 0);
  return cohorts.reduce((s, c) => s + (c.retention[k] ?? 0) * c.size, 0) / size;
}

export async function benchLate(flags: string[]): Promise<void> {
  const devices = flags.includes('--quick') ? 5_000 : 20_000;
  const shape = flags.includes('--growing') ? GROWING_APP : STEADY_APP;
  const first = LAST - DAYS + 1;
  const random = seededRandom(15);
  const phones: Phone[] = Array.from({ length: devices }, () => {
    const own = seededRandom(Math.floor(random() * 2 ** 32));
    const lifecycle = randomLifecycle(own, DAYS, shape);
    const used: number[] = [];
    for (let day = 0; day < DAYS; day++) if (usesOn(lifecycle, day, own)) used.push(first + day);
    return { used, habit: lifecycle.habit, stopped: lifecycle.churnDay < DAYS };
  });
  const truth = activityTruth(phones, first, LAST);
  const deviceDays = phones.reduce((s, p) => s + p.used.length, 0);
  console.log(
    `${devices.toLocaleString('en')} phones of a ${shape === GROWING_APP ? 'growing' : 'steady'} app over ${DAYS} days (habits ${shape.habits.map(([h, share]) => `${h} ${share}%`).join(', ')}), ${deviceDays.toLocaleString('en')} device-days; current window ${REPORT_DAYS_LATE} days`,
  );
  console.log('  DAU, WAU, MAU: mean bias over the last 28 days; retention: released (real)\n');
  console.log(
    `  ${'window'.padEnd(8)}${'published'.padEnd(11)}${'lost'.padStart(7)}${'DAU'.padStart(8)}${'WAU'.padStart(8)}${'MAU'.padStart(8)}${'cohorts'.padStart(9)}   week 1         week 4         week 8`,
  );
  const recent = (t: ActivityTruth, kind: 'dau' | 'wau' | 'mau') => t.daily.slice(-28).map((d) => d[kind]);
  for (const window of WINDOWS) {
    const sets = phones.map((p) => delivered(p, window));
    const lost = sets.reduce((s, p) => s + p.used.length - (p.delivered?.size ?? 0), 0);
    const got = activityTruth(sets, first, LAST);
    const bias = (kind: 'dau' | 'wau' | 'mau') => {
      const real = recent(truth, kind);
      return mean(recent(got, kind).map((v, i) => v / (real[i] ?? 1) - 1));
    };
    const sizes = (t: ActivityTruth) => t.cohorts.reduce((s, c) => s + c.size, 0);
    const weeks = [1, 4, 8].map((k) =>
      `${(retention(got, k) * 100).toFixed(0)}% (${(retention(truth, k) * 100).toFixed(0)}%)`.padEnd(15),
    );
    console.log(
      `  ${`${window} days`.padEnd(8)}${`day + ${window + 1}`.padEnd(11)}${`${((lost / deviceDays) * 100).toFixed(1)}%`.padStart(7)}${signed(bias('dau')).padStart(8)}${signed(bias('wau')).padStart(8)}${signed(bias('mau')).padStart(8)}${signed(sizes(got) / sizes(truth) - 1).padStart(9)}   ${weeks.join('')}`,
    );
  }
  console.log('\n  days lost with the current window, by habit:');
  for (const [habit] of shape.habits) {
    const own = phones.filter((p) => p.habit === habit);
    const all = own.reduce((s, p) => s + p.used.length, 0);
    const kept = own.reduce((s, p) => s + (delivered(p, REPORT_DAYS_LATE).delivered?.size ?? 0), 0);
    console.log(
      `    ${habit.padEnd(7)}${(((all - kept) / all) * 100).toFixed(1).padStart(5)}% of ${all.toLocaleString('en')}`,
    );
  }
  const lost = phones.reduce((s, p) => s + p.used.length - (delivered(p, REPORT_DAYS_LATE).delivered?.size ?? 0), 0);
  const stopped = phones.filter((p) => p.stopped && p.used.length > 0).length;
  console.log(
    `  of the ${lost.toLocaleString('en')} days lost, ${stopped.toLocaleString('en')} are the last day of use of a phone that stopped: no window sends those`,
  );
}
