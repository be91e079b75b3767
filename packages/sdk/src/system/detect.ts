/**
 * Reads the few device details candor reports from the browser's navigator, then coarsens them. Only the OS
 * name and major version, the model family (Android user agents name the model) and the language are read.
 */
import type { SystemInput } from './coarse.js';

export function detectSystem(nav: { userAgent?: string; language?: string } | undefined): SystemInput {
  const ua = nav?.userAgent ?? '';
  const language = nav?.language;
  let m: RegExpExecArray | null;
  if ((m = /Android (\d+)[^;)]*(?:;\s*([^;)]+?))?(?:\s+Build\/|\)|;)/.exec(ua))) {
    return { os: 'android', osMajor: m[1], modelFamily: m[2] === 'K' ? undefined : m[2], language };
  }
  if ((m = /(iPhone|iPad)[^)]*?OS (\d+)/.exec(ua))) return { os: 'ios', osMajor: m[2], modelFamily: m[1], language };
  if ((m = /Windows NT (\d+)/.exec(ua))) return { os: 'windows', osMajor: m[1], language };
  if ((m = /Mac OS X (\d+)/.exec(ua))) return { os: 'macos', osMajor: m[1], modelFamily: 'mac', language };
  if ((m = /CrOS \S+ (\d+)/.exec(ua))) return { os: 'chromeos', osMajor: m[1], language };
  if (/Linux/.test(ua)) return { os: 'linux', language };
  return { os: 'other', language };
}
