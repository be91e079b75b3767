/**
 * A hand-written yes/no check of a batch's shape: the same rules as ReportBatchSchema (report/schema.ts) and each
 * metric's valueSchemaFor (report/values.ts), compiled once per registry. Why not zod alone: the collector runs
 * this on every report of every upload, and zod's safeParse of a 10-report batch (copying every object it
 * checks) cost about as much as opening the HPKE envelope in `candor bench collector`. zod stays the one schema:
 * a batch this check refuses is parsed by zod, whose issues name the field; a batch this check accepts is one
 * zod accepts too (report/shape.test.ts runs both on the fuzzer's hostile uploads and asserts equal verdicts).
 */
import { ACTIVITY_WINDOW_DAYS, MAX_WEEKS_SINCE_FIRST_USE } from '../activity/section.js';
import { MAX_BUCKET_INDEX } from '../metrics/buckets.js';
import { contributionBounds } from '../privacy/contribution.js';
import type { MetricDefinition, Registry } from '../registry/schema.js';
import { MAX_REPORTS_PER_BATCH, OS_NAMES, REPORT_VERSION, type ReportBatch } from './schema.js';
import { SITE_PATTERN } from './values.js';

type Check = (value: unknown) => boolean;

const ID = /^[0-9a-f]{32}$/;
const APP = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
const APP_VERSION = /^\d{1,4}\.\d{1,4}$/;
const REGISTRY_VERSION = /^\d{4}\.\d{1,2}\.\d+$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MODEL_FAMILY = /^[a-z0-9][a-z0-9 -]{0,31}$/;
const LANGUAGE = /^[a-z]{2,3}$/;
const CRASH_TYPE = /^[A-Za-z_$][\w$.]{0,63}$/;
const SIGNATURE = /^[0-9a-f]{16}$/;
const OS = new Set<string>(OS_NAMES);

/** A plain object as JSON.parse makes it (zod's objects and records refuse arrays and null). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** zod's number(): finite (JSON.parse turns 1e400 into Infinity). */
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** zod's number().int(): a safe integer. */
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** True when every own key of `value` is one of `allowed` and each required one is present. */
function hasOnlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>, required: number): boolean {
  const keys = Object.keys(value);
  for (const key of keys) if (!allowed.has(key)) return false;
  return keys.length >= required;
}

const DISTRIBUTION_KEYS = new Set(['sum', 'count', 'buckets']);

/**
 * A bucket key's index, or -1 unless the key is the schema's /^(?:0|[1-9]\d{0,2})$/ (one to three digits, no
 * leading zero). A char test, not the regex and Number(): it runs for every bucket of every distribution.
 */
function bucketKeyIndex(key: string): number {
  const length = key.length;
  if (length === 0 || length > 3 || (length > 1 && key.charCodeAt(0) === 48)) return -1;
  let index = 0;
  for (let i = 0; i < length; i++) {
    const digit = key.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    index = index * 10 + digit;
  }
  return index;
}

function isDistribution(value: unknown): boolean {
  if (!isRecord(value) || !hasOnlyKeys(value, DISTRIBUTION_KEYS, 3)) return false;
  const { sum, count, buckets } = value;
  if (!isNumber(sum) || sum < 0 || !isInt(count) || count <= 0 || !isRecord(buckets)) return false;
  for (const key of Object.keys(buckets)) {
    const index = bucketKeyIndex(key);
    if (index < 0 || index > MAX_BUCKET_INDEX) return false;
    const n = buckets[key];
    if (!isInt(n) || n <= 0) return false;
  }
  return true;
}

const CRASH_KEYS = new Set(['type', 'signature', 'count']);

function isCrash(value: unknown): boolean {
  if (!isRecord(value) || !hasOnlyKeys(value, CRASH_KEYS, 3)) return false;
  const { type, signature, count } = value;
  return (
    isString(type) &&
    CRASH_TYPE.test(type) &&
    isString(signature) &&
    SIGNATURE.test(signature) &&
    isInt(count) &&
    count > 0
  );
}

/** The shape check of one metric's value, as valueSchemaFor builds it in zod. */
function valueCheckFor(def: MetricDefinition): Check {
  // Secret shares (prio3/spec.ts): rare, so they always take zod's path rather than a second copy of that rule.
  if (def.prio3) return () => false;
  const bounds = contributionBounds(def);
  const count = (v: unknown) => isInt(v) && v >= 0 && v <= bounds.value;
  switch (def.type) {
    case 'counter':
      return count;
    case 'quantity':
      return (v) => isNumber(v) && v >= 0 && v <= bounds.value;
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'labeled_counter': {
      const labels = new Set(def.labels);
      return (v) => {
        if (!isRecord(v)) return false;
        for (const key of Object.keys(v)) if (!labels.has(key) || !count(v[key])) return false;
        return true;
      };
    }
    case 'enumeration': {
      const values = new Set(def.values);
      return (v) => isString(v) && values.has(v);
    }
    case 'timing_distribution':
    case 'memory_distribution':
      return isDistribution;
    case 'site':
      return (v) => {
        if (!isRecord(v)) return false;
        for (const key of Object.keys(v)) if (!SITE_PATTERN.test(key) || !isDistribution(v[key])) return false;
        return true;
      };
    case 'crash':
      return (v) => Array.isArray(v) && v.length <= bounds.keys && v.every(isCrash);
    case 'event': {
      const extras = new Map<string, Check>();
      for (const [name, extra] of Object.entries(def.extras ?? {})) {
        if (extra.type === 'enumeration') {
          const values = new Set(extra.values);
          extras.set(name, (v) => isString(v) && values.has(v));
        } else if (extra.type === 'boolean') extras.set(name, (v) => typeof v === 'boolean');
        else extras.set(name, (v) => isInt(v) && v >= 0 && v <= extra.max);
      }
      const isEvent = (e: unknown) => {
        if (!isRecord(e)) return false;
        for (const key of Object.keys(e)) {
          const check = extras.get(key);
          if (!check?.(e[key])) return false;
        }
        return true;
      };
      return (v) => Array.isArray(v) && v.length <= bounds.keys && v.every(isEvent);
    }
  }
}

const BATCH_KEYS = new Set(['v', 'reports']);
/** Every report field; all but the optional `activity` are required. */
const REPORT_KEYS = new Set(['id', 'app', 'appVersion', 'registry', 'day', 'kind', 'system', 'metrics', 'activity']);
const ACTIVITY_KEYS = new Set(['sincePrevious', 'activeDays7', 'activeDays28', 'weeksSinceFirstUse']);

const inRange = (v: unknown, min: number, max: number) => isInt(v) && v >= min && v <= max;

function isActivity(value: unknown): boolean {
  if (!isRecord(value) || !hasOnlyKeys(value, ACTIVITY_KEYS, ACTIVITY_KEYS.size)) return false;
  return (
    inRange(value.sincePrevious, 0, ACTIVITY_WINDOW_DAYS) &&
    inRange(value.activeDays7, 1, 7) &&
    inRange(value.activeDays28, 1, ACTIVITY_WINDOW_DAYS) &&
    inRange(value.weeksSinceFirstUse, 0, MAX_WEEKS_SINCE_FIRST_USE)
  );
}
const SYSTEM_KEYS = new Set(['modelFamily', 'os', 'osMajor', 'language']);

function isSystem(value: unknown): boolean {
  if (!isRecord(value) || !hasOnlyKeys(value, SYSTEM_KEYS, 4)) return false;
  const { modelFamily, os, osMajor, language } = value;
  return (
    isString(modelFamily) &&
    MODEL_FAMILY.test(modelFamily) &&
    isString(os) &&
    OS.has(os) &&
    isInt(osMajor) &&
    osMajor >= 0 &&
    osMajor <= 999 &&
    isString(language) &&
    LANGUAGE.test(language)
  );
}

/**
 * Compiles the shape check for batches whose reports all name `registry`: true only when zod's ReportBatchSchema
 * accepts the batch and every metric is the registry's and has its value shape. Day window, totals and
 * distribution agreement are checked after, by createReportChecker, as for the zod path.
 */
export function createShapeCheck(registry: Registry): (batch: unknown) => batch is ReportBatch {
  const metrics = new Map<string, Check>();
  for (const [name, def] of Object.entries(registry.metrics)) metrics.set(name, valueCheckFor(def));

  const isReport = (value: unknown): boolean => {
    if (!isRecord(value)) return false;
    const { id, app, appVersion, registry: version, day, kind, system, metrics: values, activity } = value;
    const required = activity === undefined ? REPORT_KEYS.size - 1 : REPORT_KEYS.size;
    if (!hasOnlyKeys(value, REPORT_KEYS, required)) return false;
    if (activity !== undefined && !isActivity(activity)) return false;
    if (!isString(id) || !ID.test(id) || !isString(app) || !APP.test(app)) return false;
    if (!isString(appVersion) || !APP_VERSION.test(appVersion)) return false;
    if (!isString(version) || !REGISTRY_VERSION.test(version) || !isString(day) || !DAY.test(day)) return false;
    if (kind !== 'daily' || !isSystem(system) || !isRecord(values)) return false;
    for (const name of Object.keys(values)) {
      const check = metrics.get(name);
      if (!check?.(values[name])) return false;
    }
    return true;
  };

  return (batch): batch is ReportBatch => {
    if (!isRecord(batch) || !hasOnlyKeys(batch, BATCH_KEYS, 2) || batch.v !== REPORT_VERSION) return false;
    const reports = batch.reports;
    if (!Array.isArray(reports) || reports.length < 1 || reports.length > MAX_REPORTS_PER_BATCH) return false;
    return reports.every(isReport);
  };
}
