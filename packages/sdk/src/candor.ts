/** The SDK instance as an app sees it (createCandor in client.ts makes one). */
import type { Registry, SystemInfo } from '@candor/protocol';
import type { ErrorCounters } from './errors.js';
import type {
  BooleanHandle,
  CounterHandle,
  CrashHandle,
  DistributionHandle,
  EnumerationHandle,
  EventHandle,
  ExtrasOf,
  LabeledCounterHandle,
  LabelOf,
  MetricNameOf,
  QuantityHandle,
  SiteHandle,
  ValueOf,
} from './metrics/types.js';
import type { ConsentState, FlushOptions } from './options.js';
import type { TransparencyEntry } from './transparency/log.js';
import type { UploadFailure } from './transport/diagnose.js';

export interface Candor<R extends Registry = Registry> {
  readonly consent: ConsentState;
  readonly isPrivate: boolean;
  /** Resolves once the stored queue, consent and day aggregate are loaded. */
  readonly ready: Promise<void>;
  /** A snapshot of the internal error counters. */
  readonly errors: ErrorCounters;
  /** The coarse system info every report carries. */
  readonly system: SystemInfo;
  /** The metric registry (the transparency view reads its descriptions and units). */
  readonly registry: R;
  /** Why the last upload or key fetch failed (CORS, network, an HTTP status and problem type); null if none yet. */
  readonly lastFailure: UploadFailure | null;
  setConsent(state: 'granted' | 'denied'): void;
  setPrivate(on: boolean): void;
  withPrivate<T>(fn: () => T | Promise<T>): Promise<T>;
  counter(name: MetricNameOf<R, 'counter'>): CounterHandle;
  labeledCounter<N extends MetricNameOf<R, 'labeled_counter'>>(name: N): LabeledCounterHandle<LabelOf<R, N>>;
  boolean(name: MetricNameOf<R, 'boolean'>): BooleanHandle;
  quantity(name: MetricNameOf<R, 'quantity'>): QuantityHandle;
  timing(name: MetricNameOf<R, 'timing_distribution'>): DistributionHandle;
  memory(name: MetricNameOf<R, 'memory_distribution'>): DistributionHandle;
  enumeration<N extends MetricNameOf<R, 'enumeration'>>(name: N): EnumerationHandle<ValueOf<R, N>>;
  site(name: MetricNameOf<R, 'site'>): SiteHandle;
  event<N extends MetricNameOf<R, 'event'>>(name: N): EventHandle<ExtrasOf<R, N>>;
  crash(name: MetricNameOf<R, 'crash'>): CrashHandle;
  /**
   * Folds what was recorded into the day's stored aggregate, turns any ended day into its report, then seals and
   * uploads what is queued at once (a pending retry wait is cancelled); resolves when the attempt has finished.
   */
  flush(options?: FlushOptions): Promise<void>;
  /** The last N reports exactly as sent, decoded, with time, collector and outcome (oldest first). */
  transparencyLog(): TransparencyEntry[];
  /** Called after every upload attempt; returns an unsubscribe function. */
  onTransparencyLog(listener: (log: TransparencyEntry[]) => void): () => void;
  /** Number of reports waiting in the offline queue. */
  queuedReports(): number;
  /** Sends what it can, stops timers and listeners; later recording calls do nothing. */
  shutdown(): Promise<void>;
}
