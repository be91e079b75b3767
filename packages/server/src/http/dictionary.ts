import type { DictionaryEntry, Registry } from '@candor/protocol';

/** The public data dictionary at GET /v1/registry: what is collected, why, and what protects it. */
export function dataDictionary(registry: Registry, centralDp: boolean, k: number) {
  const metrics: DictionaryEntry[] = Object.entries(registry.metrics).map(([name, def]) => {
    const protections = [`k-threshold (${k} reports)`];
    if (def.ldp) protections.push(`local DP (randomized response, epsilon ${def.ldp.epsilon})`);
    if (centralDp) protections.push('central DP (Laplace noise, daily budget)');
    if (def.type === 'site') protections.push('domain only (eTLD+1)');
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
      protections,
    };
  });
  return { app: registry.app, version: registry.version, metrics };
}
