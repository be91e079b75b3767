import { deviceAttributeKind } from '../detect/fingerprint.js';
import { detectPersonalData } from '../detect/index.js';
import type { Detection } from '../detect/types.js';
import { isIdentifierCandidate } from '../link/index.js';

/** What the detectors conclude about one value under one field name. */
export interface LeafAnalysis {
  detections: Detection[];
  /** Identifier-like: watched for recurrence across requests. */
  candidate: boolean;
  /** The kind of device detail the field names, counted towards a fingerprint. */
  attributeKind?: string;
}

const MAX_CACHED_VALUE = 256;
const MAX_CACHE_ENTRIES = 100_000;

/**
 * Runs the value detectors, memoised by field and value: telemetry repeats the same fields with the same values
 * (model, OS, event names) in every event of every batch, and the detectors are pure functions of the two.
 */
export class LeafAnalyser {
  // Keyed by field, then value: no key strings are built on the hot path.
  private readonly cache = new Map<string, Map<string, LeafAnalysis>>();
  private readonly numberCache = new Map<string, Map<string, LeafAnalysis>>();
  private entries = 0;

  analyse(value: string, field: string, jsonNumber: boolean, structured = false): LeafAnalysis {
    // Identifier-like values are mostly unique (request ids, nonces): caching them would only churn memory.
    // A value that decoded to a structured record is linked by its fields, not as one opaque value.
    const candidate = !structured && isIdentifierCandidate(value, field);
    if (value.length > MAX_CACHED_VALUE || candidate) return analyse(value, field, jsonNumber, candidate);
    const cache = jsonNumber ? this.numberCache : this.cache;
    let byValue = cache.get(field);
    if (!byValue) {
      byValue = new Map();
      cache.set(field, byValue);
    }
    let analysis = byValue.get(value);
    if (!analysis) {
      analysis = analyse(value, field, jsonNumber, candidate);
      if (++this.entries > MAX_CACHE_ENTRIES) {
        this.cache.clear();
        this.numberCache.clear();
        this.entries = 0;
      }
      byValue.set(value, analysis);
    }
    return analysis;
  }
}

function analyse(value: string, field: string, jsonNumber: boolean, candidate: boolean): LeafAnalysis {
  let detections = detectPersonalData(value, field);
  if (jsonNumber && detections.length > 0) {
    // Counters, sizes and random numbers pass a Luhn check one time in ten: a number must be named an id.
    const byShapeAlone = new Set(detectPersonalData(value).map((d) => d.detector));
    detections = detections.filter((d) => !byShapeAlone.has(d.detector));
  }
  const kind = value !== '' && !/^(?:unknown|null|none)$/i.test(value) ? deviceAttributeKind(field) : undefined;
  return { detections, candidate, ...(kind ? { attributeKind: kind } : {}) };
}
