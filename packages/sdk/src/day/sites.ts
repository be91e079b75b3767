import type { Registry } from '@candor/protocol';
import type { Delta, DistributionValue } from './aggregate.js';

/** A site key still held as scheme://host (the public suffix list was loading when it was recorded). */
export const isOrigin = (key: string): boolean => key.includes('://');

const typeOf = (registry: Registry, name: string) =>
  Object.hasOwn(registry.metrics, name) ? registry.metrics[name]?.type : undefined;

/** Whether a delta holds crash frames to hash or hosts to reduce before it can be folded (day/resolve.ts). */
export function needsResolving(delta: Delta, registry: Registry): boolean {
  return Object.entries(delta.metrics).some(([name, value]) => {
    const type = typeOf(registry, name);
    return type === 'crash' || (type === 'site' && Object.keys(value as object).some(isOrigin));
  });
}

/**
 * The delta without sites still held as scheme://host: what may be written to storage as it is (page hide).
 * Hosts are never persisted unreduced; those samples are dropped and counted by `dropped(samples)`.
 */
export function withoutUnreducedSites(delta: Delta, registry: Registry, dropped: (samples: number) => void): Delta {
  const metrics: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(delta.metrics)) {
    if (typeOf(registry, name) !== 'site') {
      metrics[name] = value;
      continue;
    }
    const sites: Record<string, DistributionValue> = {};
    for (const [key, d] of Object.entries(value as Record<string, DistributionValue>)) {
      if (isOrigin(key)) dropped(d.count);
      else sites[key] = d;
    }
    if (Object.keys(sites).length) metrics[name] = sites;
  }
  return { day: delta.day, metrics };
}
