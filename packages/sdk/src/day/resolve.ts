/**
 * Turns what recorders took (synchronously, so it can be kept even on page hide) into values ready to fold:
 * crash frames are hashed into signatures, and sites held as scheme://host while the public suffix list was
 * loading are reduced to their registrable domain. A host is never folded, stored in the day or sent unreduced:
 * when the list cannot be loaded those samples are dropped and counted. Only a delta that needs it (see
 * sites.ts needsResolving) loads this module, a chunk of its own in the browser bundle.
 */
import type { Registry } from '@candor/protocol';
import type { DropReason } from '../errors.js';
import type { CrashValue, Delta, DistributionValue } from './aggregate.js';

/**
 * What resolving needs from the SDK core, passed in rather than imported: this module is loaded on demand, and
 * importing core modules here would split them into a shared chunk the core would then load eagerly.
 */
export interface ResolveTools {
  registry: Registry;
  hash(crashKey: string): Promise<string>;
  loadReducer(): Promise<(url: string) => string | null>;
  drop(reason: DropReason, n: number): void;
}

export interface RawCrash {
  type: string;
  key: string;
  count: number;
}

const isOrigin = (key: string) => key.includes('://');

export async function resolveDelta(delta: Delta, tools: ResolveTools): Promise<Delta> {
  const metrics: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(delta.metrics)) {
    const registry = tools.registry;
    const type = Object.hasOwn(registry.metrics, name) ? registry.metrics[name]?.type : undefined;
    if (type === 'crash') {
      metrics[name] = await Promise.all(
        (value as RawCrash[]).map(
          async (c): Promise<CrashValue> => ({ type: c.type, signature: await tools.hash(c.key), count: c.count }),
        ),
      );
    } else if (type === 'site') {
      const sites = await reduceSites(value as Record<string, DistributionValue>, tools);
      if (Object.keys(sites).length) metrics[name] = sites;
    } else {
      metrics[name] = value;
    }
  }
  return { day: delta.day, metrics };
}

async function reduceSites(
  value: Record<string, DistributionValue>,
  { loadReducer, drop }: ResolveTools,
): Promise<Record<string, DistributionValue>> {
  if (!Object.keys(value).some(isOrigin)) return value;
  let reduce: ((url: string) => string | null) | null = null;
  try {
    reduce = await loadReducer();
  } catch {
    reduce = null;
  }
  const out: Record<string, DistributionValue> = {};
  for (const [key, d] of Object.entries(value)) {
    if (!isOrigin(key)) {
      out[key] = addDistribution(out[key], d);
      continue;
    }
    if (!reduce) {
      drop('site_list_unavailable', d.count);
      continue;
    }
    const domain = reduce(key);
    if (domain !== null) out[domain] = addDistribution(out[domain], d);
  }
  return out;
}

function addDistribution(a: DistributionValue | undefined, b: DistributionValue): DistributionValue {
  if (!a) return b;
  const buckets = { ...a.buckets };
  for (const [index, n] of Object.entries(b.buckets)) buckets[index] = (buckets[index] ?? 0) + n;
  return { sum: a.sum + b.sum, count: a.count + b.count, buckets };
}
