/**
 * Reads the few device details candor reports from the browser's navigator, then coarsens them. Only the OS
 * name and major version, the model family (Android user agents name the model) and the language are read.
 */
import type { SystemInput } from './coarse.js';

export function detectSystem(nav: { userAgent?: string; language?: string } | undefined): SystemInput {
  const ua = nav?.userAgent ?? '';
  const language = nav?.language;
  const android = /Android (\d+)[^;)]*(?:;\s*([^;)]+?))?(?:\s+Build\/|\)|;)/.exec(ua);
  if (android)
    return { os: 'android', osMajor: android[1], modelFamily: android[2] === 'K' ? undefined : android[2], language };
  const ios = /(iPhone|iPad)[^)]*?OS (\d+)/.exec(ua);
  if (ios) return { os: 'ios', osMajor: ios[2], modelFamily: ios[1], language };
  const windows = /Windows NT (\d+)/.exec(ua);
  if (windows) return { os: 'windows', osMajor: windows[1], language };
  const mac = /Mac OS X (\d+)/.exec(ua);
  if (mac) return { os: 'macos', osMajor: mac[1], modelFamily: 'mac', language };
  const chromeos = /CrOS \S+ (\d+)/.exec(ua);
  if (chromeos) return { os: 'chromeos', osMajor: chromeos[1], language };
  if (/Linux/.test(ua)) return { os: 'linux', language };
  return { os: 'other', language };
}
