import { type DictionaryEntry, prio3Circuit, prio3Kind, type Registry, type ReleasePlan } from '@candor/protocol';

/** The public data dictionary at GET /v1/registry: what is collected, why, and what protects it. */
export function dataDictionary(registry: Registry, plan: ReleasePlan) {
  const { epsilon, delta } = plan.budget;
  const metrics: DictionaryEntry[] = Object.entries(registry.metrics).map(([name, def]) => {
    const releases = plan.releases.filter((r) => r.metric === name).map((r) => ({ by: r.by, epsilon: r.epsilon }));
    const protections = [
      `each device-day is protected by epsilon = ${epsilon}, delta = ${delta} (differential privacy, released once per day)`,
      'one report per device per day, each value bounded',
    ];
    if (def.prio3) {
      protections.push(
        `secret-shared on the device (${prio3Circuit(prio3Kind(def))}) between two aggregators that each see only a random share and add their own noise`,
      );
    }
    if (def.ldp) protections.push(`randomized on the device (local DP, epsilon ${def.ldp.epsilon})`);
    if (def.type === 'site')
      protections.push('domain only (eTLD+1); a site is named only when many device-days have it');
    return {
      name,
      type: def.type,
      category: def.category,
      description: def.description,
      purpose: def.purpose,
      sensitivity: def.sensitivity,
      owner: def.owner,
      expires: def.expires,
      ...(def.unit ? { unit: def.unit } : {}),
      ...(def.values ? { values: [...def.values] } : {}),
      ...(def.labels ? { labels: [...def.labels] } : {}),
      releases,
      protections,
    };
  });
  return { app: registry.app, version: registry.version, metrics };
}
