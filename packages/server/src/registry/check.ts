import {
  createShapeCheck,
  MAX_REPORTS_PER_BATCH,
  type Registry,
  type Report,
  type ReportCheckerOptions,
} from '@candor/protocol';
import { type BatchCheck, type BatchCheckOptions, createBatchChecker } from '../check/batch.js';
import { type Problem, problem } from '../problem.js';
import type { RegistrySet } from './set.js';

interface Located {
  app?: unknown;
  registry?: unknown;
  day?: unknown;
  metrics?: unknown;
}

/** A metric whose `expires` day has passed on the report's day: not recorded by the SDK, refused here (as Glean). */
function expiredMetric(report: Located, registry: Registry): Problem | null {
  if (typeof report.day !== 'string' || typeof report.metrics !== 'object' || report.metrics === null) return null;
  for (const metric of Object.keys(report.metrics)) {
    if (!Object.hasOwn(registry.metrics, metric)) continue;
    const expires = registry.metrics[metric]?.expires;
    if (expires && expires !== 'never' && report.day > expires) {
      return problem(422, 'expired-metric', 'A metric has expired', {
        detail: `${metric} expired on ${expires}; its values are no longer accepted (registry ${registry.app} ${registry.version})`,
        metric,
        field: 'expires',
      });
    }
  }
  return null;
}

/** `make`'s result for each registry, made the first time that registry is asked for. */
function perRegistry<T>(make: (registry: Registry) => T): (registry: Registry) => T {
  const made = new Map<Registry, T>();
  return (registry) => {
    let value = made.get(registry);
    if (value === undefined) {
      value = make(registry);
      made.set(registry, value);
    }
    return value;
  };
}

/** A batch's reports by the registry each names; `unloaded` for the first that names none loaded; null if malformed. */
type Grouped = { groups: Map<Registry, unknown[]> } | { unloaded: { app: string; version: string } } | null;

function groupByRegistry(parsed: unknown, registries: RegistrySet): Grouped {
  const reports = (parsed as { reports?: unknown } | null)?.reports;
  if (!Array.isArray(reports) || reports.length === 0 || reports.length > MAX_REPORTS_PER_BATCH) return null;
  const groups = new Map<Registry, unknown[]>();
  for (const report of reports as Located[]) {
    if (typeof report !== 'object' || report === null) return null;
    const { app, registry: version } = report;
    if (typeof app !== 'string' || typeof version !== 'string') return null;
    const registry = registries.get(app, version);
    if (!registry) return { unloaded: { app, version } };
    const group = groups.get(registry);
    if (group) group.push(report);
    else groups.set(registry, [report]);
  }
  return { groups };
}

/**
 * The batch one registry's checks see. One group is the whole batch as sent, so the schema's problems name the
 * batch's own report indexes; several keep every key of the batch but its reports, so a key beside them is refused
 * as in one group.
 */
function batchOfGroup(parsed: unknown, groups: Map<Registry, unknown[]>, group: unknown[]): unknown {
  return groups.size === 1 ? parsed : { ...(parsed as object), reports: group };
}

/**
 * Checks an opened batch against the registry each report names (its app and registry version), so one
 * collector serves several apps and registry versions. Reports of each (app, version) go through that
 * registry's batch checker; any failure rejects the whole upload, as with one registry.
 */
export function createRegistryChecker(
  registries: RegistrySet,
  options: ReportCheckerOptions = {},
): (parsed: unknown, check?: BatchCheckOptions) => BatchCheck {
  const checkerFor = perRegistry((registry) => createBatchChecker(registry, options));
  const fallback = checkerFor(registries.all()[0] as Registry);

  return (parsed, check = {}) => {
    const grouped = groupByRegistry(parsed, registries);
    // A malformed batch gets the schema's own problem, which names the bad field; any registry's checker says it.
    if (!grouped) return fallback(parsed, check);
    if ('unloaded' in grouped) {
      const { app, version } = grouped.unloaded;
      const loaded = registries.versions(app);
      return {
        ok: false,
        problem: loaded.length
          ? problem(422, 'unknown-registry', 'This registry version is not loaded', {
              detail: `app "${app}" is loaded with registry ${loaded.join(', ')}, not ${version}`,
              metric: '(report)',
              field: 'registry',
            })
          : problem(422, 'unknown-app', 'This app is not served by this collector', {
              detail: `no registry for app "${app}" is loaded (candor serve --registry FILE)`,
              metric: '(report)',
              field: 'app',
            }),
      };
    }
    const { groups } = grouped;
    const v = (parsed as { v?: unknown }).v;
    const accepted: Report[] = [];
    for (const [registry, group] of groups) {
      const result = checkerFor(registry)(batchOfGroup(parsed, groups, group), check);
      if (!result.ok) return result;
      // Expiry is judged only on reports whose day the checker accepted as a real day inside the window.
      for (const report of result.batch.reports) {
        const expired = expiredMetric(report, registry);
        if (expired) return { ok: false, problem: expired };
      }
      accepted.push(...result.batch.reports);
    }
    return { ok: true, batch: { v: v as 1, reports: accepted } };
  };
}

/**
 * Whether a parsed batch has the shape of the registries its reports name (report/shape.ts): a yes/no check that
 * reads only the schema's own structure, never deeper, so it may run before the firewall and tell it which values
 * hold nothing to check (PiiFirewall.scan `shaped`). False for anything else, which then gets the whole walk and
 * zod's named problems.
 */
export function createShapeGate(registries: RegistrySet): (parsed: unknown) => boolean {
  const checkFor = perRegistry(createShapeCheck);
  return (parsed) => {
    const grouped = groupByRegistry(parsed, registries);
    if (!grouped || 'unloaded' in grouped) return false;
    const { groups } = grouped;
    for (const [registry, group] of groups) if (!checkFor(registry)(batchOfGroup(parsed, groups, group))) return false;
    return true;
  };
}
