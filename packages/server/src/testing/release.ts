import { candorBrowserRegistry, type Registry, type Report } from '@candor/protocol';
import { ActivityService } from '../query/activity.js';
import { QueryService } from '../query/service.js';
import { discreteLaplace, type Noise, type RandomSource } from '../release/noise.js';
import { Releaser } from '../release/releaser.js';
import { flattenReport } from '../store/rows.js';
import type { ReportStore } from '../store/types.js';
import { seededRandom } from './reports.js';

/** A seeded uniform source: the same seed gives the same noise, so two worlds can be compared noise for noise. */
export function seededSource(seed: number): RandomSource {
  const random = seededRandom(seed);
  return { below: (n) => Math.floor(random() * n) };
}

/** Seeded discrete Laplace noise (for tests and the privacy benchmark's repeatable runs). */
export function seededNoise(seed: number): Noise {
  return discreteLaplace(seededSource(seed));
}

/** No noise at all: only for tests about plumbing (what is stored, summed and served), never about privacy. */
export const NO_NOISE_FOR_PLUMBING_TESTS: Noise = () => 0;

/** A store, its releaser and query service on a clock the test moves. */
export interface ReleaseRig {
  store: ReportStore;
  releaser: Releaser;
  queries: QueryService;
  activity: ActivityService;
  registry: Registry;
  clock: { now: Date };
  send(reports: Report[]): Promise<void>;
}

export function releaseRig(
  store: ReportStore,
  noise: Noise,
  now: Date,
  registry: Registry = candorBrowserRegistry,
): ReleaseRig {
  const clock = { now };
  const releaser = new Releaser({ registry, store, noise, now: () => clock.now });
  return {
    store,
    releaser,
    queries: new QueryService({ registry, store, releaser }),
    activity: new ActivityService({ registry, store, releaser }),
    registry,
    clock,
    send: (reports) => store.append(reports.flatMap((r) => flattenReport(r, registry))),
  };
}
