/**
 * Device details leave the device only in coarse form: a model family ("Redmi Note 8 Pro" -> "redmi note"), an OS
 * name from a closed list and its major version, the language without region ("en-GB" -> "en"), and the app
 * version as major.minor. Finer values (build numbers, exact models, regions, carriers, screens) are never kept.
 */
import type { SystemInfo } from '@candor/protocol';
import type { OS_NAMES } from '../limits.js';

export interface SystemInput {
  modelFamily?: string;
  os?: string;
  osMajor?: number | string;
  language?: string;
}

type OsName = (typeof OS_NAMES)[number];

/** Leading words of a model name up to the first one holding a digit, at most two: the family, not the model. */
export function coarseModelFamily(model: string | undefined): string {
  const words: string[] = [];
  for (const raw of (model ?? '').toLowerCase().split(/[\s_,/()]+/)) {
    if (!raw) continue;
    if (!/^[a-z][a-z-]*$/.test(raw)) break;
    words.push(raw);
    if (words.length === 2) break;
  }
  const family = words.join(' ').slice(0, 32).trim();
  return family || 'other';
}

const OS_ALIASES: [RegExp, OsName][] = [
  [/android/, 'android'],
  [/ios|iphone|ipad/, 'ios'],
  [/windows|win32|win64/, 'windows'],
  [/mac ?os|os x|darwin|macintosh/, 'macos'],
  [/chrome ?os|cros/, 'chromeos'],
  [/linux|ubuntu|debian|fedora/, 'linux'],
];

export function coarseOs(os: string | undefined): OsName {
  const name = (os ?? '').toLowerCase();
  for (const [pattern, value] of OS_ALIASES) if (pattern.test(name)) return value;
  return 'other';
}

export function coarseOsMajor(version: number | string | undefined): number {
  const major = typeof version === 'number' ? Math.floor(version) : Number.parseInt(String(version ?? ''), 10);
  return Number.isFinite(major) && major >= 0 ? Math.min(major, 999) : 0;
}

export function coarseLanguage(tag: string | undefined): string {
  const language = (tag ?? '').toLowerCase().split(/[-_]/)[0] ?? '';
  return /^[a-z]{2,3}$/.test(language) ? language : 'und';
}

/** "3.4.1" -> "3.4"; "3" -> "3.0". Null when there is no leading number. */
export function coarseAppVersion(version: string): string | null {
  const match = /^v?(\d{1,4})(?:\.(\d{1,4}))?/.exec(version.trim());
  if (!match) return null;
  return `${match[1]}.${match[2] ?? '0'}`;
}

export function coarseSystem(input: SystemInput): SystemInfo {
  return {
    modelFamily: coarseModelFamily(input.modelFamily),
    os: coarseOs(input.os),
    osMajor: coarseOsMajor(input.osMajor),
    language: coarseLanguage(input.language),
  };
}
