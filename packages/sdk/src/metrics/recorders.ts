/**
 * One recorder per registry metric: the handle the app calls and the place its value waits until it is folded
 * into the day's aggregate (day/aggregate.ts), which clamps it to the day's bounds. Each recording call first
 * checks `gate.recording` (consent given or presumed, private mode off) and returns at once when it is false, so
 * private mode and missing consent record nothing at all.
 */
import type { EventExtra, MetricDefinition } from '@candor/protocol';
import { contributionBounds } from '@candor/protocol/privacy/contribution';
import { crashKey } from '../crash/signature.js';
import type { DropReason } from '../errors.js';
import { siteOrigin, siteReducer } from '../site/reduce.js';
import { Distribution } from './distribution.js';

export interface Gate {
  /** Consent given (or presumed under opt-out) and private mode off. */
  recording: boolean;
  /** Something was recorded since the last report. */
  dirty: boolean;
  /** Marks the first value of a collection period (remembers its UTC day). */
  touch(): void;
  /** A developer mistake: thrown in development, counted in production. */
  misuse(reason: DropReason, message: string): undefined;
  /** A sample dropped for a reason that is not a mistake (a bound reached): always only counted. */
  drop(reason: DropReason): undefined;
}

export interface Recorder {
  readonly name: string;
  /**
   * Takes what was recorded since the last take and resets the recorder in the same synchronous step, so nothing
   * recorded while the day's aggregate is being updated is lost or counted twice. Undefined when nothing was.
   */
  take(): unknown;
  clear(): void;
}

const isCount = (n: number) => n >= 0 && n % 1 === 0;
const isAmount = (n: number) => n >= 0 && n < Number.POSITIVE_INFINITY;

export class CounterRecorder implements Recorder {
  private value = 0;
  constructor(
    readonly name: string,
    private readonly gate: Gate,
  ) {}
  add(n = 1): undefined {
    const gate = this.gate;
    if (!gate.recording) return;
    if (!isCount(n))
      return gate.misuse('invalid_value', `counter "${this.name}".add(${String(n)}): expected a non-negative integer`);
    if (!gate.dirty) gate.touch();
    this.value += n;
  }
  take(): number | undefined {
    const value = this.value;
    this.value = 0;
    return value > 0 ? value : undefined;
  }
  clear(): void {
    this.value = 0;
  }
}

export class LabeledCounterRecorder implements Recorder {
  private values: Record<string, number> = {};
  private readonly labels: Set<string>;
  constructor(
    readonly name: string,
    private readonly gate: Gate,
    labels: readonly string[],
  ) {
    this.labels = new Set(labels);
  }
  add(label: string, n = 1): undefined {
    const gate = this.gate;
    if (!gate.recording) return;
    if (!this.labels.has(label)) {
      return gate.misuse(
        'unknown_label',
        `labeled counter "${this.name}": unknown label "${String(label)}" (declared: ${[...this.labels].join(', ')})`,
      );
    }
    if (!isCount(n))
      return gate.misuse(
        'invalid_value',
        `labeled counter "${this.name}".add("${label}", ${String(n)}): expected a non-negative integer`,
      );
    if (!gate.dirty) gate.touch();
    this.values[label] = (this.values[label] ?? 0) + n;
  }
  take(): Record<string, number> | undefined {
    const values = this.values;
    this.values = {};
    return Object.keys(values).length ? values : undefined;
  }
  clear(): void {
    this.values = {};
  }
}

/**
 * Booleans and enumerations are current state ("dark mode is on"): the last value set rides along into every
 * day's aggregate after it, until it is set again or consent is withdrawn. With `ldp` in the registry the value
 * is randomized once per daily report (day/aggregate.ts dailyMetrics).
 */
export class ChoiceRecorder<T extends string | boolean> implements Recorder {
  private value: T | undefined;
  private readonly allowed: Set<T>;
  constructor(
    readonly name: string,
    private readonly gate: Gate,
    private readonly domain: readonly T[],
  ) {
    this.allowed = new Set(domain);
  }
  set(value: T): undefined {
    const gate = this.gate;
    if (!gate.recording) return;
    if (!this.allowed.has(value)) {
      const expected = typeof this.domain[0] === 'boolean' ? 'true or false' : `one of ${this.domain.join(', ')}`;
      return gate.misuse('invalid_value', `"${this.name}".set(${JSON.stringify(value)}): expected ${expected}`);
    }
    if (!gate.dirty) gate.touch();
    this.value = value;
  }
  take(): T | undefined {
    return this.value;
  }
  clear(): void {
    this.value = undefined;
  }
}

/** A quantity is current state too ("open tabs, last seen that day"): see ChoiceRecorder. */
export class QuantityRecorder implements Recorder {
  private value: number | undefined;
  constructor(
    readonly name: string,
    private readonly gate: Gate,
  ) {}
  set(value: number): undefined {
    const gate = this.gate;
    if (!gate.recording) return;
    if (!isAmount(value))
      return gate.misuse(
        'invalid_value',
        `quantity "${this.name}".set(${String(value)}): expected a non-negative number`,
      );
    if (!gate.dirty) gate.touch();
    this.value = value;
  }
  take(): number | undefined {
    return this.value;
  }
  clear(): void {
    this.value = undefined;
  }
}

export class DistributionRecorder implements Recorder {
  private distribution = new Distribution();
  constructor(
    readonly name: string,
    private readonly gate: Gate,
    /** The largest sample value (larger samples are clamped to it). */
    private readonly max: number,
  ) {}
  record(value: number): undefined {
    const gate = this.gate;
    if (!gate.recording) return;
    if (!isAmount(value))
      return gate.misuse(
        'invalid_value',
        `distribution "${this.name}".record(${String(value)}): expected a non-negative number`,
      );
    if (!gate.dirty) gate.touch();
    this.distribution.record(Math.min(value, this.max));
  }
  take() {
    const distribution = this.distribution;
    this.distribution = new Distribution();
    return distribution.count ? distribution.toJSON() : undefined;
  }
  clear(): void {
    this.distribution = new Distribution();
  }
}

/**
 * Page timings per site. The URL is reduced on the spot to its registrable domain when the public suffix list is
 * loaded; until it arrives (it loads on first use) the sample is held under scheme://host (path, query and
 * fragment gone) and reduced before it is folded into the day (day/resolve.ts). A URL without a public
 * registrable domain is recorded as nothing.
 */
export class SiteRecorder implements Recorder {
  private sites = new Map<string, Distribution>();
  constructor(
    readonly name: string,
    private readonly gate: Gate,
    private readonly max: number,
    private readonly maxSites: number,
  ) {}
  record(url: string, ms: number): undefined {
    const gate = this.gate;
    if (!gate.recording) return;
    if (typeof url !== 'string')
      return gate.misuse('invalid_value', `site "${this.name}".record(url, ms): url must be a string`);
    if (!isAmount(ms))
      return gate.misuse(
        'invalid_value',
        `site "${this.name}".record(url, ${String(ms)}): expected a non-negative number`,
      );
    const reduce = siteReducer.reduce;
    if (!reduce) void siteReducer.load().catch(() => undefined);
    const key = reduce ? reduce(url) : siteOrigin(url);
    if (key === null) return;
    let distribution = this.sites.get(key);
    if (!distribution) {
      if (this.sites.size >= this.maxSites) return gate.drop('too_many_entries');
      distribution = new Distribution();
      this.sites.set(key, distribution);
    }
    if (!gate.dirty) gate.touch();
    distribution.record(Math.min(ms, this.max));
  }
  /** Keyed by registrable domain, or by scheme://host while the public suffix list was still loading. */
  take() {
    const sites = this.sites;
    this.sites = new Map();
    if (!sites.size) return undefined;
    const out: Record<string, ReturnType<Distribution['toJSON']>> = {};
    for (const [key, distribution] of sites) out[key] = distribution.toJSON();
    return out;
  }
  clear(): void {
    this.sites = new Map();
  }
}

export class EventRecorder implements Recorder {
  private events: Record<string, string | number | boolean>[] = [];
  constructor(
    readonly name: string,
    private readonly gate: Gate,
    private readonly extras: Record<string, EventExtra>,
    private readonly maxEvents: number,
  ) {}
  record(extras: Record<string, unknown> = {}): undefined {
    const gate = this.gate;
    if (!gate.recording) return;
    if (typeof extras !== 'object' || extras === null)
      return gate.misuse('invalid_value', `event "${this.name}".record(extras): extras must be an object`);
    const clean: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(extras)) {
      if (value === undefined) continue;
      const declared = Object.hasOwn(this.extras, key) ? this.extras[key] : undefined;
      if (!declared) {
        return gate.misuse(
          'unknown_extra',
          `event "${this.name}": extra "${key}" is not declared (declared: ${Object.keys(this.extras).join(', ') || 'none'})`,
        );
      }
      const ok =
        declared.type === 'enumeration'
          ? typeof value === 'string' && declared.values.includes(value)
          : declared.type === 'boolean'
            ? typeof value === 'boolean'
            : typeof value === 'number' && isCount(value);
      if (!ok) {
        const expected =
          declared.type === 'enumeration'
            ? `one of ${declared.values.join(', ')}`
            : declared.type === 'boolean'
              ? 'a boolean'
              : 'a non-negative integer';
        return gate.misuse(
          'invalid_value',
          `event "${this.name}": extra "${key}" = ${JSON.stringify(value)}, expected ${expected}`,
        );
      }
      clean[key] = declared.type === 'quantity' ? Math.min(value as number, declared.max) : (value as string | boolean);
    }
    if (this.events.length >= this.maxEvents) return gate.drop('too_many_entries');
    if (!gate.dirty) gate.touch();
    this.events.push(clean);
  }
  take() {
    const events = this.events;
    this.events = [];
    return events.length ? events : undefined;
  }
  clear(): void {
    this.events = [];
  }
}

export class CrashRecorder implements Recorder {
  /** Normalised type+frames (see crash/signature.ts) -> count. Hashed only when the report is built. */
  private crashes = new Map<string, { type: string; count: number }>();
  constructor(
    readonly name: string,
    private readonly gate: Gate,
    private readonly maxSignatures: number,
  ) {}
  record(error: unknown): undefined {
    const gate = this.gate;
    if (!gate.recording) return;
    const { type, key } = crashKey(error);
    const seen = this.crashes.get(key);
    if (seen) {
      seen.count++;
      return;
    }
    if (this.crashes.size >= this.maxSignatures) return gate.drop('too_many_entries');
    if (!gate.dirty) gate.touch();
    this.crashes.set(key, { type, count: 1 });
  }
  /** Unhashed: `key` is the normalised frames, hashed into a signature before it is folded (day/resolve.ts). */
  take() {
    const crashes = this.crashes;
    this.crashes = new Map();
    if (!crashes.size) return undefined;
    return [...crashes].map(([key, { type, count }]) => ({ type, key, count }));
  }
  clear(): void {
    this.crashes = new Map();
  }
}

export class BooleanRecorder extends ChoiceRecorder<boolean> {}
export class EnumerationRecorder extends ChoiceRecorder<string> {}

export type AnyRecorder =
  | CounterRecorder
  | LabeledCounterRecorder
  | BooleanRecorder
  | EnumerationRecorder
  | QuantityRecorder
  | DistributionRecorder
  | SiteRecorder
  | EventRecorder
  | CrashRecorder;

/**
 * Builds the recorder for one registry metric. Sample values are clamped here and the number of distinct keys
 * held in memory is capped by the day's bounds; the day's cumulative bounds are applied when the recorded values
 * are folded into the day's aggregate.
 */
export function createRecorder(name: string, def: MetricDefinition, gate: Gate): AnyRecorder {
  const bounds = contributionBounds(def);
  switch (def.type) {
    case 'counter':
      return new CounterRecorder(name, gate);
    case 'labeled_counter':
      return new LabeledCounterRecorder(name, gate, def.labels ?? []);
    case 'boolean':
      return new BooleanRecorder(name, gate, [true, false]);
    case 'enumeration':
      return new EnumerationRecorder(name, gate, def.values ?? []);
    case 'quantity':
      return new QuantityRecorder(name, gate);
    case 'timing_distribution':
    case 'memory_distribution':
      return new DistributionRecorder(name, gate, bounds.value);
    case 'site':
      return new SiteRecorder(name, gate, bounds.value, bounds.keys);
    case 'event':
      return new EventRecorder(name, gate, def.extras ?? {}, bounds.keys);
    case 'crash':
      return new CrashRecorder(name, gate, bounds.keys);
  }
}
