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

/** Share of the fleet installed on the first simulated day; the rest arrive evenly over the later days. */
const LAUNCH_SHARE = 0.35;
/** Share of owners who try the app and drop it within days, and their mean time until they leave. */
const QUICK_LEAVERS = 0.4;
const QUICK_MEAN_DAYS = 3;
/** Mean time until the others leave: a small hazard that stays. */
const STAYER_MEAN_DAYS = 70;

function exponential(random: () => number, mean: number): number {
  return -mean * Math.log(1 - random());
}

export function randomLifecycle(random: () => number, days: number): Lifecycle {
  const arrivalDay = days <= 1 || random() < LAUNCH_SHARE ? 0 : 1 + Math.floor(random() * (days - 1));
  const habit = pickWeighted(
    random,
    HABITS.map(([name, share]) => [name, share] as const),
  );
  const useChance = HABITS.find(([name]) => name === habit)?.[2] ?? 0;
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
