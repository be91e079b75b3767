import { pickWeighted } from './random.js';

/**
 * When a simulated phone's owner starts using the app, how often they use it and when they stop: installs arrive
 * over the simulated days (a launch-day base, then a steady stream), each owner has a habit, and most who leave
 * leave in the first days. Tuned to a typical consumer app's curve: about half of a week's new users come back the
 * next week, about a fifth are still there eight weeks on.
 */
export interface Lifecycle {
  /** Simulated day (0 = the first) of the first use. */
  arrivalDay: number;
  habit: Habit;
  /** Chance of using the app on any day between arrival and churn. */
  useChance: number;
  /** First simulated day the owner no longer uses the app (may lie past the simulation). */
  churnDay: number;
}

export type Habit = 'daily' | 'weekly' | 'rare';

/** Habits, with their share of owners and their chance of using the app on a given day. */
export const HABITS: readonly (readonly [Habit, number, number])[] = [
  ['daily', 35, 0.8],
  ['weekly', 40, 0.3],
  ['rare', 25, 0.08],
];

/**
 * How installs arrive and how their owners use the app. The steady app (the default, which the activity tests are
 * tuned to): a third installed on launch day, the rest arriving evenly. A growing app (the demo's) has most of its
 * installs in the recent weeks, so recent days are dense while the early weeks still have cohorts to follow.
 */
export interface LifecycleShape {
  /** Share of the fleet installed on the first simulated day; the rest arrive over the later days. */
  launchShare: number;
  /** How many times more installs arrive on the last day than on the second (1: an even stream). */
  growth: number;
  /** Habits, with their share of owners and their chance of using the app on a given day. */
  habits: readonly (readonly [Habit, number, number])[];
}

export const STEADY_APP: LifecycleShape = { launchShare: 0.35, growth: 1, habits: HABITS };

/**
 * The demo's app: a fifth installed at launch (a cohort large enough to follow for eight weeks), then installs
 * arriving 32 times faster at the end than at the start, and more owners in a daily habit. The recent days carry
 * most of the device-days, which is what the dashboard shows first; every device-day costs the simulation about
 * the same, so this buys recent density without a longer run.
 */
export const GROWING_APP: LifecycleShape = {
  launchShare: 0.2,
  growth: 32,
  habits: [
    ['daily', 55, 0.85],
    ['weekly', 33, 0.3],
    ['rare', 12, 0.08],
  ],
};

/** Share of owners who try the app and drop it within days, and their mean time until they leave. */
const QUICK_LEAVERS = 0.4;
const QUICK_MEAN_DAYS = 3;
/** Mean time until the others leave: a small hazard that stays. */
const STAYER_MEAN_DAYS = 70;

function exponential(random: () => number, mean: number): number {
  return -mean * Math.log(1 - random());
}

/** A point in [0, 1) with density growing `growth`-fold from 0 to 1 (uniform for 1). */
function growing(random: () => number, growth: number): number {
  const u = random();
  return growth === 1 ? u : Math.log1p(u * (growth - 1)) / Math.log(growth);
}

export function randomLifecycle(random: () => number, days: number, shape: LifecycleShape = STEADY_APP): Lifecycle {
  const arrivalDay =
    days <= 1 || random() < shape.launchShare ? 0 : 1 + Math.floor(growing(random, shape.growth) * (days - 1));
  const habit = pickWeighted(
    random,
    shape.habits.map(([name, share]) => [name, share] as const),
  );
  const useChance = shape.habits.find(([name]) => name === habit)?.[2] ?? 0;
  const lifetime = exponential(random, random() < QUICK_LEAVERS ? QUICK_MEAN_DAYS : STAYER_MEAN_DAYS);
  // The first day is always a day of use: it is what makes it the first.
  return { arrivalDay, habit, useChance, churnDay: arrivalDay + 1 + Math.floor(lifetime) };
}

/** Whether the owner uses the app on `day` (draws from `random` only between arrival and churn). */
export function usesOn(lifecycle: Lifecycle, day: number, random: () => number): boolean {
  if (day === lifecycle.arrivalDay) return true;
  if (day < lifecycle.arrivalDay || day >= lifecycle.churnDay) return false;
  return random() < lifecycle.useChance;
}
