import { createHash } from 'node:crypto';
import type { FieldNames } from './fields.js';
import type { Category, Detection } from './types.js';

const DIGEST = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
/** A hash of an identifier is still the identifier: anyone holding the input can compute it and match. */
const HASHED_KINDS: Array<{ pattern: RegExp; category: Category; detector: string }> = [
  // "hem"/"u_hem" (The Trade Desk UID2, LiveRamp, Lotame), "he" (Bing UET enhanced conversions), "em" (Meta
  // advanced matching, Pinterest, TikTok), "sha256_email_address" (Google enhanced conversions).
  { pattern: /email|^em$|^u?hem$|^he$|mail/, category: 'contact', detector: 'hashed-email' },
  { pattern: /phone|msisdn|mobile|^ph$/, category: 'contact', detector: 'hashed-phone' },
  { pattern: /imei|meid|serial|mac/, category: 'hardware-id', detector: 'hashed-hardware-id' },
  { pattern: /androidid|adid|idfa|gaid|oaid/, category: 'platform-id', detector: 'hashed-platform-id' },
];

/**
 * MD5, SHA-1 and SHA-256 of placeholders (the empty string, "1", "null", ...): what tracker scripts hash when a
 * form field is empty or unset. They say nothing about anyone.
 */
export const PLACEHOLDER_DIGESTS: ReadonlySet<string> = new Set(
  ['', '0', '1', '-1', 'null', 'undefined', 'true', 'false', 'none', 'n/a', '[]', '{}', ' '].flatMap((text) =>
    (['md5', 'sha1', 'sha256'] as const).map((algorithm) => createHash(algorithm).update(text).digest('hex')),
  ),
);

/**
 * Meta's advanced matching ("ud[...]", "udff[...]"): hashed first and last name, city, state, postcode, birth
 * date, gender, country and the advertiser's own user id, which Meta matches to a person.
 */
const USER_DATA_PARENTS = new Set(['ud', 'udff', 'userdata']);
const USER_DATA_KEYS = new Set(['fn', 'ln', 'ct', 'st', 'zp', 'db', 'ge', 'country', 'externalid']);

export function detectHashed(value: string, names: FieldNames, out: Detection[]): void {
  if (names.last === '' || !DIGEST.test(value) || PLACEHOLDER_DIGESTS.has(value.toLowerCase())) return;
  if (USER_DATA_KEYS.has(names.last) && USER_DATA_PARENTS.has(names.lastTwo.slice(0, -names.last.length))) {
    out.push({ category: 'persistent-id', detector: 'hashed-user-data' });
    return;
  }
  for (const kind of HASHED_KINDS) {
    if (kind.pattern.test(names.last)) {
      out.push({ category: kind.category, detector: kind.detector });
      return;
    }
  }
}
