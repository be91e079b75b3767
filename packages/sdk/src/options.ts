/**
 * What an app passes to createCandor, with the defaults and the checks that name every bad option. The options
 * are checked at run time too: a JavaScript app (or loaded JSON) can pass anything.
 */
import type { Registry } from '@candor/protocol';
import type { RelayOptions } from './ohttp/relay.js';
import type { QueueStorage } from './queue/storage.js';
import { coarseAppVersion, type SystemInput } from './system/coarse.js';

export type ConsentState = 'unknown' | 'granted' | 'denied';
export type ConsentRegime = 'opt-in' | 'opt-out';
export type Mode = 'development' | 'production';

export interface CandorOptions<R extends Registry = Registry> {
  /** The metric registry; every name, label, value and extra is checked against it. */
  registry: R;
  /** Collector base URL; keys at GET /v1/keys, uploads to POST /v1/reports. */
  collector: string;
  /**
   * Send through an Oblivious HTTP relay (RFC 9458) run by someone else, so the collector never sees the
   * device's address: `url` is the relay; the gateway's keys come from `keysUrl` (default: the collector's
   * /ohttp-keys).
   */
  relay?: RelayOptions;
  /** The app's version; only major.minor leaves the device. */
  appVersion: string;
  /** Device details (coarsened). In browsers they are read from navigator when left out. */
  system?: SystemInput;
  /** The default when the person has not chosen; `state` seeds a choice the app already knows. */
  consent?: { regime: ConsentRegime; state?: ConsentState };
  /** development: misuse throws a CandorUsageError. production (default): the sample is dropped and counted. */
  mode?: Mode;
  /** Offline queue storage. Default: IndexedDB in browsers, memory elsewhere (use fileQueueStorage in Node). */
  storage?: QueueStorage;
  fetch?: typeof fetch;
  /** Uniform [0, 1): LDP randomization, send-time jitter and retry jitter. Report ids always use crypto. */
  random?: () => number;
  /** Milliseconds since the epoch: the report day and scheduling. */
  now?: () => number;
  /** Mean time between automatic sends, jittered to 0.5x-1.5x. 0 turns all timers off (flush() drives sends). */
  flushIntervalMs?: number;
  maxQueueBytes?: number;
  maxQueueReports?: number;
  transparencyLogSize?: number;
  /** Retry backoff: first delay and cap. */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** Flush with keepalive on pagehide / visibilitychange to hidden. Default: on when a document exists. */
  pageLifecycle?: boolean;
}

export interface FlushOptions {
  /** Use fetch keepalive so the upload survives the page going away (used on page hide). */
  keepalive?: boolean;
  /**
   * Development mode only, for trying an integration (with `candor tail`, say): ends the current UTC day now and
   * sends its report. The day still has one report: what is recorded later that day counts toward the next day.
   * In production mode it is refused (thrown in development, counted as invalid_value in production).
   */
  endDay?: boolean;
}

/** The tunable numbers, with defaults filled in. */
export interface Settings {
  flushIntervalMs: number;
  maxQueueBytes: number;
  maxQueueReports: number;
  transparencyLogSize: number;
  retryBaseMs: number;
  retryCapMs: number;
}

const DEFAULTS: Settings = {
  flushIntervalMs: 60_000,
  maxQueueBytes: 512 * 1024,
  maxQueueReports: 500,
  transparencyLogSize: 100,
  retryBaseMs: 5_000,
  retryCapMs: 15 * 60_000,
};

export function resolveSettings(options: CandorOptions): Settings {
  return {
    flushIntervalMs: options.flushIntervalMs ?? DEFAULTS.flushIntervalMs,
    maxQueueBytes: options.maxQueueBytes ?? DEFAULTS.maxQueueBytes,
    maxQueueReports: options.maxQueueReports ?? DEFAULTS.maxQueueReports,
    transparencyLogSize: options.transparencyLogSize ?? DEFAULTS.transparencyLogSize,
    retryBaseMs: options.retryBaseMs ?? DEFAULTS.retryBaseMs,
    retryCapMs: options.retryCapMs ?? DEFAULTS.retryCapMs,
  };
}

/** Whether a value passed as the registry has the shape of one (JavaScript callers can pass anything). */
export function isRegistry(value: unknown): value is Registry {
  const registry = value as Partial<Registry> | null | undefined;
  return typeof registry?.app === 'string' && typeof registry.metrics === 'object' && registry.metrics !== null;
}

/** Every problem with the options, each naming the option and what was expected. Empty when they are fine. */
export function optionProblems(options: CandorOptions): string[] {
  const problems: string[] = [];
  if (!isRegistry(options?.registry)) {
    problems.push('registry: expected a metric registry (see defineRegistry in @candor/protocol)');
  }
  if (typeof options?.collector !== 'string' || !/^https?:\/\/[^/?#]+/.test(options.collector)) {
    problems.push(`collector: expected an http(s) base URL, got ${JSON.stringify(options?.collector)}`);
  }
  if (options?.relay && !/^https?:\/\/[^/?#]+/.test(options.relay.url))
    problems.push('relay.url: expected an http(s) URL');
  if (typeof options?.appVersion !== 'string' || coarseAppVersion(options.appVersion) === null) {
    problems.push(`appVersion: expected a version such as "3.4.1", got ${JSON.stringify(options?.appVersion)}`);
  }
  if (options?.consent && options.consent.regime !== 'opt-in' && options.consent.regime !== 'opt-out') {
    problems.push(`consent.regime: expected "opt-in" or "opt-out", got ${JSON.stringify(options.consent.regime)}`);
  }
  if (options?.mode !== undefined && options.mode !== 'development' && options.mode !== 'production') {
    problems.push(`mode: expected "development" or "production", got ${JSON.stringify(options.mode)}`);
  }
  return problems;
}
