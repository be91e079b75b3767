import type { FieldNames } from './fields.js';
import type { Category, Detection } from './types.js';

const DIGEST = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
/** A hash of an identifier is still the identifier: anyone holding the input can compute it and match. */
const HASHED_KINDS: Array<{ pattern: RegExp; category: Category; detector: string }> = [
  { pattern: /email|^em$|^hem$|mail/, category: 'contact', detector: 'hashed-email' },
  { pattern: /phone|msisdn|mobile/, category: 'contact', detector: 'hashed-phone' },
  { pattern: /imei|meid|serial|mac/, category: 'hardware-id', detector: 'hashed-hardware-id' },
  { pattern: /androidid|adid|idfa|gaid|oaid/, category: 'platform-id', detector: 'hashed-platform-id' },
];

export function detectHashed(value: string, names: FieldNames, out: Detection[]): void {
  if (names.last === '' || !DIGEST.test(value)) return;
  for (const kind of HASHED_KINDS) {
    if (kind.pattern.test(names.last)) {
      out.push({ category: kind.category, detector: kind.detector });
      return;
    }
  }
}
