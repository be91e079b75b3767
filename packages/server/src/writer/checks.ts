import { REPORT_VERSION, type Registry, type Report } from '@candor/protocol';
import { createBatchChecker } from '../check/batch.js';
import { PiiFirewall } from '../firewall/firewall.js';

export type MessageCheck =
  | { ok: true; report: Report; registry: Registry }
  /** `personal`: the message carries personal data, so not even a dead letter may keep it. */
  | { ok: false; reason: string; personal?: boolean }
  /** No registry for the report's app in this writer: another writer may have one. */
  | { ok: false; unknownApp: string };

const decoder = new TextDecoder();

/**
 * Checks a queued message with the collector's own checks — the PII firewall, then the schema and registry
 * checker — as a batch of one, so whatever the collector refuses never reaches ClickHouse, including reports
 * queued before a check was tightened.
 */
export function createMessageChecker(registries: readonly Registry[]): (data: Uint8Array) => MessageCheck {
  const byApp = new Map(
    registries.map((registry) => [
      registry.app,
      { registry, check: createBatchChecker(registry), firewall: new PiiFirewall(registry) },
    ]),
  );
  return (data) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(data));
    } catch {
      return { ok: false, reason: 'queued message is not JSON' };
    }
    const app = (parsed as { app?: unknown } | null)?.app;
    // A Map, so an app named "__proto__" or "constructor" finds nothing rather than an object's prototype.
    const checks = typeof app === 'string' ? byApp.get(app) : undefined;
    if (!checks) {
      if (typeof app === 'string') return { ok: false, unknownApp: app };
      return { ok: false, reason: 'queued message has no app' };
    }
    const batch = { v: REPORT_VERSION, reports: [parsed] };
    const hit = checks.firewall.scan(batch);
    if (hit) {
      return { ok: false, personal: true, reason: `${hit.metric} ${hit.field}: looks like ${hit.detector}` };
    }
    const checked = checks.check(batch);
    if (!checked.ok) return { ok: false, reason: checked.problem.detail ?? checked.problem.title };
    const [report] = checked.batch.reports;
    if (!report) return { ok: false, reason: 'queued message holds no report' };
    return { ok: true, report, registry: checks.registry };
  };
}
