import type { Activity, Registry, Report } from '@candor/protocol';
import { recordUse } from '@candor/protocol/activity/history';
import type { PersistedState } from '../queue/storage.js';
import { currentState, type DayAggregate, type Delta, mergeDelta, nextDay } from './aggregate.js';

export interface FoldContext {
  registry: Registry;
  /** This instance's view when no choice is stored (opt-out, or a state the app seeded). */
  allowedWithoutChoice: boolean;
  /** Builds the one report of a finished day, with its activity section. */
  report(aggregate: DayAggregate, activity: Activity): Report;
  /** Called for every value cut at a day's bound. */
  overBound(): void;
}

/**
 * The day bookkeeping, run inside one storage update: folds deltas into their day's aggregate, marks today
 * active when asked, and turns every day that has ended into its one report. A day already closed is never
 * reopened, so a clock moved back cannot make a second report for it. The stored consent choice is checked
 * here, inside the update, so a tab that has not heard of a withdrawal yet cannot add to the day or the queue.
 */
export function foldDay(
  state: PersistedState,
  deltas: Delta[],
  today: string,
  active: boolean,
  context: FoldContext,
): PersistedState {
  const allows = state.consent ? state.consent === 'granted' : context.allowedWithoutChoice;
  if (!allows) return { ...state, reports: [], day: null, usage: null };
  const next: PersistedState = { ...state, reports: [...state.reports] };
  const close = (aggregate: DayAggregate) => {
    // A closed day is a day of use: it joins the local history, which gives its report's activity section.
    const use = recordUse(next.usage, Date.parse(aggregate.day) / 86_400_000);
    next.usage = use.history;
    next.reports.push(context.report(aggregate, use.activity));
    next.lastClosedDay = aggregate.day;
    next.day = null;
  };
  let carried: Record<string, unknown> = {};
  const open = (day: string): DayAggregate => {
    if (next.day && next.day.day < day) {
      carried = currentState(next.day, context.registry);
      close(next.day);
    }
    if (!next.day) {
      const earliest = next.lastClosedDay ? nextDay(next.lastClosedDay) : day;
      next.day = { day: day < earliest ? earliest : day, metrics: carried };
    } else {
      next.day = { day: next.day.day, metrics: { ...next.day.metrics } };
    }
    return next.day;
  };
  for (const delta of [...deltas].sort((a, b) => a.day.localeCompare(b.day))) {
    if (Object.keys(delta.metrics).length) mergeDelta(open(delta.day), delta, context.registry, context.overBound);
  }
  if (active) open(today);
  if (next.day && next.day.day < today) close(next.day);
  return next;
}
