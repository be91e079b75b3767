import {
  ACTIVITY_METRICS,
  ACTIVITY_WINDOW_DAYS,
  type ActivityMetric,
  type ActivityReleasedDay,
  type ActivityResult,
  DEVICE_DAYS_METRIC,
  dayNumber,
  dayOfNumber,
  deriveActivity,
  RETENTION_WEEKS,
  type Registry,
  type ReleasedCount,
} from '@candor/protocol';
import type { Problem } from '../problem.js';
import { discreteLaplaceVariance } from '../release/noise.js';
import type { Releaser } from '../release/releaser.js';
import type { ReleasedDay, ReportStore } from '../store/types.js';
import { CONFIDENCE } from './answer.js';
import { parseDayRange } from './params.js';

export interface ActivityServiceOptions {
  registry: Registry;
  store: ReportStore;
  releaser: Releaser;
}

const ACTIVITY_METRIC_NAMES = Object.values(ACTIVITY_METRICS) as ActivityMetric[];
/** The last week retention reaches past a cohort's week: its last day. */
const RETENTION_REACH_DAYS = 7 * Math.max(...RETENTION_WEEKS) + 6;

/**
 * GET /v1/activity: reads the released days of `$daily_activity` by day and of each `$activity_*` metric by
 * value, and hands them to protocol's deriveActivity, the one place the figures are computed. Like QueryService
 * it sees no raw row, adds no noise and spends no budget. A day released before the activity metrics existed has
 * only its device-days: it gives DAU, and the windows and cohorts that need it give nothing.
 */
export class ActivityService {
  constructor(private readonly options: ActivityServiceOptions) {}

  async activity(params: {
    from?: string;
    to?: string;
  }): Promise<{ ok: true; result: ActivityResult } | { ok: false; problem: Problem }> {
    const { registry, store, releaser } = this.options;
    const plan = releaser.plan;
    await releaser.catchUp();
    const releasedThrough = releaser.closedThrough();
    const range = parseDayRange(params, releasedThrough);
    if (!range.ok) return range;
    const { from, to } = range;
    // WAU and MAU reach 27 days before `from`; retention up to 12 weeks after `to`'s week.
    const readFrom = dayOfNumber(dayNumber(from) - (ACTIVITY_WINDOW_DAYS - 1));
    const reach = dayOfNumber(dayNumber(to) + RETENTION_REACH_DAYS);
    const readTo = reach < releasedThrough ? reach : releasedThrough;
    const read = (metric: string, by: 'day' | 'value') =>
      readFrom <= readTo
        ? store.released({ app: registry.app, metric, by, from: readFrom, to: readTo })
        : Promise.resolve([]);
    const [deviceDays, ...fields] = await Promise.all([
      read(DEVICE_DAYS_METRIC, 'day'),
      ...ACTIVITY_METRIC_NAMES.map((m) => read(m, 'value')),
    ]);
    const released = joinDays(deviceDays ?? [], fields);
    return {
      ok: true,
      result: {
        app: registry.app,
        from,
        to,
        releasedThrough,
        ...deriveActivity(released, from, to),
        privacy: {
          epsilon: plan.budget.epsilon,
          delta: plan.budget.delta,
          releases: [DEVICE_DAYS_METRIC, ...ACTIVITY_METRIC_NAMES].map((metric) => ({
            metric,
            epsilon: plan.find(metric, metric === DEVICE_DAYS_METRIC ? 'day' : 'value')?.epsilon ?? 0,
          })),
          confidence: CONFIDENCE,
        },
      },
    };
  }
}

/** Each released count with its noise variance, keyed by cell. */
function countsOf(day: ReleasedDay): Record<string, ReleasedCount> {
  const variance = discreteLaplaceVariance(day.grouping.reportsScale);
  const out: Record<string, ReleasedCount> = {};
  for (const line of day.lines) if (line.bucket < 0) out[line.cell] = { value: line.reports, variance };
  return out;
}

/** Released days as deriveActivity reads them; a day without its four activity releases gives DAU only. */
function joinDays(deviceDays: readonly ReleasedDay[], fields: readonly ReleasedDay[][]): ActivityReleasedDay[] {
  const byMetric = fields.map((days) => new Map(days.map((d) => [d.day, d])));
  const out: ActivityReleasedDay[] = [];
  for (const day of deviceDays) {
    const total = countsOf(day)[day.day];
    if (!total) continue;
    const parts = byMetric.map((m) => m.get(day.day));
    if (!parts.every((p) => p)) {
      out.push({ day: day.day, deviceDays: total });
      continue;
    }
    const cells = Object.fromEntries(
      ACTIVITY_METRIC_NAMES.map((metric, i) => [metric, countsOf(parts[i] as ReleasedDay)]),
    ) as NonNullable<ActivityReleasedDay['cells']>;
    out.push({ day: day.day, deviceDays: total, cells });
  }
  return out;
}
