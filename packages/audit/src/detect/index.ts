import { detectAccount } from './account.js';
import { detectActivity } from './activity.js';
import { detectContact } from './contact.js';
import { fieldNames } from './fields.js';
import { detectFingerprintValue } from './fingerprint.js';
import { detectHardware } from './hardware.js';
import { detectHashed } from './hashed.js';
import { detectLocation } from './location.js';
import { detectPlatform } from './platform.js';
import { detectTrackerId } from './trackers.js';
import type { Detection } from './types.js';
import { detectWeb } from './web.js';

export * from './types.js';

/** Longer strings are scanned only for the patterns that can hide inside text (addresses, URLs, coordinates). */
const MAX_VALUE_LENGTH = 64 * 1024;

/**
 * Runs every value detector on one string. `field` is the value's path or name ("properties.$search_word",
 * "gps_adid"); many detectors need it to tell an identifier from a lookalike (a 16-hex Android ID from a 16-hex
 * crash signature). Detectors never throw and return [] for ordinary values; this runs on the collector's hot
 * path, so each detector is gated by a cheap length or character test before any regular expression.
 */
export function detectPersonalData(value: string, field?: string): Detection[] {
  if (value.length === 0) return [];
  const names = fieldNames(field);
  const out: Detection[] = [];
  if (value.length > MAX_VALUE_LENGTH) value = value.slice(0, MAX_VALUE_LENGTH);
  detectContact(value, names, out);
  detectWeb(value, names, out);
  detectLocation(value, names, out);
  detectActivity(value, names, out);
  if (value.length <= 256) {
    detectHardware(value, names, out);
    detectPlatform(value, names, out);
    detectAccount(value, names, out);
    detectHashed(value, names, out);
    detectFingerprintValue(value, names, out);
  }
  // Some tracker ids are long (Criteo's bundle); the catalogue is a name lookup first, so any length is cheap.
  if (value.length <= 4096) detectTrackerId(value, names, out);
  return dedupe(out);
}

function dedupe(found: Detection[]): Detection[] {
  if (found.length <= 1) return found;
  const seen = new Set<string>();
  return found.filter((d) => {
    const key = `${d.category}/${d.detector}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
