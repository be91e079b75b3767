import { lastClosedDay, type PrivacyBudget, type Registry, type ReleasePlan, releasePlan } from '@candor/protocol';
import { plainPlan } from '../prio3/release.js';
import type { ReportStore } from '../store/types.js';
import { discreteLaplace, type Noise } from './noise.js';
import { releaseDay } from './release.js';
import type { DayRelease } from './types.js';

export interface ReleaserOptions {
  registry: Registry;
  store: ReportStore;
  budget?: PrivacyBudget;
  /** Defaults to discrete Laplace noise from the OS's CSPRNG; tests inject a seeded or zero source. */
  noise?: Noise;
  now?: () => Date;
  /**
   * The released lines of the registry's secret-shared metrics (prio3/leader.ts); without it (a lone collector)
   * they are not released: no single party can open their values.
   */
  secretShared?: (
    registry: Registry,
    day: string,
    plan: ReleasePlan,
    noise: Noise,
  ) => Promise<{ groupings: DayRelease['groupings']; lines: DayRelease['lines'] }>;
}

/**
 * Releases every closed day once: reads its raw lines, computes the release and stores it, which deletes the
 * day's rows. Runs one day at a time; callers await `catchUp` before reading releases.
 */
export class Releaser {
  readonly plan: ReleasePlan;
  readonly noise: Noise;
  private readonly now: () => Date;
  private running: Promise<string[]> | null = null;

  constructor(private readonly options: ReleaserOptions) {
    this.plan = releasePlan(options.registry, options.budget);
    this.noise = options.noise ?? discreteLaplace();
    this.now = options.now ?? (() => new Date());
  }

  /** The last closed day now. */
  closedThrough(): string {
    return lastClosedDay(this.now());
  }

  /** Releases the closed days not yet released (one pass at a time; a caller during a pass shares it). */
  catchUp(): Promise<string[]> {
    const through = this.closedThrough();
    this.running ??= (async () => {
      try {
        const { store, registry } = this.options;
        const released: string[] = [];
        for (const day of await store.unreleasedDays(registry.app, through)) {
          const lines = await store.dayLines(registry.app, day);
          const release = releaseDay(day, lines, plainPlan(this.plan), this.noise);
          if (this.options.secretShared) {
            const shared = await this.options.secretShared(registry, day, this.plan, this.noise);
            release.groupings.push(...shared.groupings);
            release.lines.push(...shared.lines);
          }
          await store.saveRelease(registry.app, release);
          released.push(day);
        }
        return released;
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }
}
