import {
  HISTOGRAM_WEIGHT,
  type MetricDefinition,
  type PlannedRelease,
  prio3Cells,
  prio3Kind,
  type ReleasePlan,
} from '@candor/protocol';
import { discreteLaplaceVariance, type Noise } from '../release/noise.js';
import type { CellLine, GroupingRelease } from '../release/types.js';

/** The one planned release of a secret-shared metric (schema.ts allows only its default grouping). */
export function plannedFor(plan: ReleasePlan, metric: string): PlannedRelease {
  const release = plan.releases.find((r) => r.metric === metric);
  if (!release) throw new Error(`no release planned for ${metric}`);
  return release;
}

/** The plan without secret-shared metrics: the plain release path leaves them to the aggregators. */
export function plainPlan(plan: ReleasePlan): ReleasePlan {
  return { ...plan, releases: plan.releases.filter((r) => !r.definition.prio3) };
}

/**
 * The noise scale of each entry of a metric's aggregate vector, at the full scale the plan gives the figure it
 * becomes. Each aggregator adds this much to its own share, so the released figure carries two draws.
 */
export function noiseScales(def: MetricDefinition, release: PlannedRelease): number[] {
  const kind = prio3Kind(def);
  if (kind.type === 'sumvec') return new Array<number>(kind.length).fill(release.valueScale);
  if (kind.type !== 'histogram') return [release.valueScale];
  // Boolean and enumeration cells are device-day counts; a distribution's entries are device-days per bucket,
  // released times HISTOGRAM_WEIGHT.
  const scale =
    def.type === 'boolean' || def.type === 'enumeration' ? release.reportsScale : release.valueScale / HISTOGRAM_WEIGHT;
  return new Array<number>(kind.length).fill(scale);
}

/** The discrete Laplace scale whose variance is `variance` (bisection; the variance grows with the scale). */
export function scaleOfVariance(variance: number): number {
  let low = 1e-6;
  let high = 1;
  while (discreteLaplaceVariance(high) < variance) high *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (discreteLaplaceVariance(mid) < variance) low = mid;
    else high = mid;
  }
  return high;
}

export function drawNoise(scales: readonly number[], noise: Noise): number[] {
  return scales.map((s) => noise(s));
}

/**
 * The released lines of one secret-shared metric from its unsharded (already twice-noised) vector. `reports`
 * is how many device-days sent the metric, which the leader sees anyway; it gets the plain release's noise.
 */
export function releaseLines(
  day: string,
  release: PlannedRelease,
  vector: readonly number[],
  reports: number,
  noise: Noise,
): { grouping: GroupingRelease; lines: CellLine[] } {
  const def = release.definition;
  // The stored scales are what answers compute their intervals from: a figure carrying both aggregators' draws
  // is stored with the one scale of the same variance, so its interval is as wide as its noise.
  const counted = def.type === 'boolean' || def.type === 'enumeration';
  const bucketScale = release.valueScale / HISTOGRAM_WEIGHT;
  const grouping: GroupingRelease = {
    metric: release.metric,
    by: release.by,
    epsilon: release.epsilon,
    delta: release.delta,
    reportsScale: counted ? scaleOfVariance(2 * discreteLaplaceVariance(release.reportsScale)) : release.reportsScale,
    valueScale:
      def.type === 'counter' || def.type === 'labeled_counter'
        ? scaleOfVariance(2 * discreteLaplaceVariance(release.valueScale))
        : counted
          ? release.valueScale
          : scaleOfVariance(2 * HISTOGRAM_WEIGHT ** 2 * discreteLaplaceVariance(bucketScale)),
    threshold: release.threshold,
  };
  const base = { metric: release.metric, by: release.by, detail: '' };
  const lines: CellLine[] = [];
  if (def.type === 'boolean' || def.type === 'enumeration') {
    prio3Cells(def).forEach((cell, i) => {
      lines.push({ ...base, cell, bucket: -1, reports: vector[i] ?? 0, value: 0 });
    });
    return { grouping, lines };
  }
  if (def.type === 'labeled_counter') {
    // The shares hold each label's count, not which device-days had it: a label cell's device-days are those
    // that sent the metric (docs/privacy.md), each cell noised on its own at the plan's scale.
    prio3Cells(def).forEach((cell, i) => {
      lines.push({ ...base, cell, bucket: -1, reports: reports + noise(release.reportsScale), value: vector[i] ?? 0 });
    });
    return { grouping, lines };
  }
  const summary: CellLine = {
    ...base,
    cell: day,
    bucket: -1,
    reports: reports + noise(release.reportsScale),
    value: 0,
  };
  lines.push(summary);
  if (def.type === 'counter') summary.value = vector[0] ?? 0;
  else {
    for (const [bucket, n] of vector.entries()) {
      lines.push({ ...base, cell: day, bucket, reports: 0, value: n * HISTOGRAM_WEIGHT });
    }
  }
  return { grouping, lines };
}
