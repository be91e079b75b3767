import { REPORT_VERSION, type Registry, type Report } from '@candor/protocol';
import { structureProblem } from '../check/batch.js';
import { findStructureProblem } from '../check/structure.js';
import { PiiFirewall } from '../firewall/firewall.js';
import { createRegistryChecker } from '../registry/check.js';
import { RegistrySet } from '../registry/set.js';

export type MessageCheck =
  | { ok: true; report: Report; registry: Registry }
  /** `personal`: the message carries personal data, so not even a dead letter may keep it. */
  | { ok: false; reason: string; personal?: boolean }
  /** No registry for the report's app (or its version) in this writer: another writer may have one. */
  | { ok: false; unknownApp: string };

const decoder = new TextDecoder();

/**
 * Checks a queued message with the collector's own checks — the PII firewall, then the schema and registry
 * checker — as a batch of one, so whatever the collector refuses never reaches ClickHouse, including reports
 * queued before a check was tightened.
 */
export function createMessageChecker(registries: readonly Registry[]): (data: Uint8Array) => MessageCheck {
  // The collector's own pieces: each report is checked against the registry version it names, as at ingest.
  const set = new RegistrySet(registries);
  const check = createRegistryChecker(set);
  const firewall = new PiiFirewall(set.vocabulary());
  return (data) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(data));
    } catch {
      return { ok: false, reason: 'queued message is not JSON' };
    }
    const { app, registry: version } = (parsed ?? {}) as { app?: unknown; registry?: unknown };
    if (typeof app !== 'string') return { ok: false, reason: 'queued message has no app' };
    // RegistrySet keeps Maps, so an app named "__proto__" or "constructor" finds nothing.
    const registry = typeof version === 'string' ? set.get(app, version) : undefined;
    if (!registry) {
      if (set.latest(app) === undefined || typeof version === 'string') return { ok: false, unknownApp: app };
      return { ok: false, reason: 'queued message has no registry version' };
    }
    const batch = { v: REPORT_VERSION, reports: [parsed] };
    // Structure first, as at ingest: a message nested too deep is refused as such, not as personal data.
    const structure = findStructureProblem(batch);
    if (structure) return { ok: false, reason: structureProblem(structure).detail ?? 'bad structure' };
    const hit = firewall.scan(batch);
    if (hit && 'tooDeep' in hit) return { ok: false, reason: 'nested deeper than any report' };
    if (hit) {
      return { ok: false, personal: true, reason: `${hit.metric} ${hit.field}: looks like ${hit.detector}` };
    }
    const checked = check(batch, { structureChecked: true });
    if (!checked.ok) return { ok: false, reason: checked.problem.detail ?? checked.problem.title };
    const [report] = checked.batch.reports;
    if (!report) return { ok: false, reason: 'queued message holds no report' };
    return { ok: true, report, registry };
  };
}
