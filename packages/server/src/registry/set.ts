import { type Registry, RegistrySchema } from '@candor/protocol';

/** Orders registry versions "YYYY.M.N" numerically. */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The registries one collector serves: several apps, and several versions of each, since phones update at their
 * own pace. A report is checked against exactly the version it names; queries and the dictionary use each
 * app's newest version.
 */
export class RegistrySet {
  private readonly byKey = new Map<string, Registry>();
  private readonly newest = new Map<string, Registry>();

  constructor(registries: readonly Registry[]) {
    if (registries.length === 0) throw new Error('a collector needs at least one registry');
    for (const registry of registries) {
      const parsed = RegistrySchema.safeParse(registry);
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        throw new Error(`registry "${registry.app}": ${first?.path.join('.')}: ${first?.message}`);
      }
      const key = `${registry.app}@${registry.version}`;
      if (this.byKey.has(key)) throw new Error(`registry ${registry.app} version ${registry.version} is given twice`);
      this.byKey.set(key, registry);
      const current = this.newest.get(registry.app);
      if (!current || compareVersions(registry.version, current.version) > 0) this.newest.set(registry.app, registry);
    }
  }

  /** The registry a report names, or undefined when that app or version is not loaded. */
  get(app: string, version: string): Registry | undefined {
    return this.byKey.get(`${app}@${version}`);
  }

  /** The registry a checked report was checked against: ingest refuses reports naming any other, so it exists. */
  checkedAgainst(report: { app: string; registry: string }): Registry {
    const registry = this.get(report.app, report.registry);
    if (!registry) throw new Error(`no registry ${report.app} ${report.registry} for a checked report`);
    return registry;
  }

  /** The newest loaded version of an app. */
  latest(app: string): Registry | undefined {
    return this.newest.get(app);
  }

  /** Loaded apps, in the order they were first given (the first is the default app of the query API). */
  apps(): string[] {
    return [...this.newest.keys()];
  }

  versions(app: string): string[] {
    return [...this.byKey.values()]
      .filter((r) => r.app === app)
      .map((r) => r.version)
      .sort(compareVersions);
  }

  all(): Registry[] {
    return [...this.byKey.values()];
  }

  /**
   * Every metric of every loaded registry, as one registry: the words the personal-data firewall may skip (metric
   * names a registry declares). Not for checking values: two apps may define the same name differently.
   */
  vocabulary(): Registry {
    const first = this.all()[0] as Registry;
    const metrics: Registry['metrics'] = {};
    for (const registry of this.all()) Object.assign(metrics, registry.metrics);
    return { app: first.app, version: first.version, metrics };
  }
}
