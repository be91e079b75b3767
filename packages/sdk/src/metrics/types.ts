/**
 * Compile-time view of a registry: metric names by type, labels and values of each metric, so that with a
 * registry declared through `defineRegistry` a typo in a metric name or label is a type error. With a registry
 * only known at run time (loaded JSON) the types relax to strings and the run-time checks still apply.
 */
import type { MetricType, Registry } from '@candor/protocol';

type Metrics<R extends Registry> = R['metrics'];

export type MetricNameOf<R extends Registry, T extends MetricType> = string extends keyof Metrics<R>
  ? string
  : { [K in keyof Metrics<R>]: Metrics<R>[K]['type'] extends T ? K : never }[keyof Metrics<R>] & string;

export type LabelOf<R extends Registry, N extends string> = Metrics<R>[N] extends { labels: readonly (infer L)[] }
  ? L & string
  : string;

export type ValueOf<R extends Registry, N extends string> = Metrics<R>[N] extends { values: readonly (infer V)[] }
  ? V & string
  : string;

type ExtraValue<E> = E extends { type: 'enumeration'; values: readonly (infer V)[] }
  ? V
  : E extends { type: 'boolean' }
    ? boolean
    : number;

export type ExtrasOf<R extends Registry, N extends string> = Metrics<R>[N] extends { extras: infer X }
  ? { [K in keyof X]?: ExtraValue<X[K]> }
  : Record<string, string | number | boolean>;

export interface CounterHandle {
  add(n?: number): void;
}
export interface LabeledCounterHandle<L extends string = string> {
  add(label: L, n?: number): void;
}
export interface BooleanHandle {
  set(value: boolean): void;
}
export interface QuantityHandle {
  set(value: number): void;
}
export interface DistributionHandle {
  record(value: number): void;
}
export interface EnumerationHandle<V extends string = string> {
  set(value: V): void;
}
export interface SiteHandle {
  /** A URL in; only its registrable domain (eTLD+1) is kept. Non-web, IP, localhost and intranet URLs: nothing. */
  record(url: string, ms: number): void;
}
export interface EventHandle<X = Record<string, string | number | boolean>> {
  record(extras?: X): void;
}
export interface CrashHandle {
  record(error: unknown): void;
}
