import { type FieldNames, fieldNames } from './fields.js';
import type { Detection } from './types.js';

/** An Android build fingerprint ("brand/product/device:10/BUILD/INCREMENTAL:user/release-keys") names one build. */
const BUILD_FINGERPRINT = /^[\w.-]+\/[\w.-]+\/[\w.-]+:[\w.]+\/[\w.-]+\/[\w.-]+:\w+\/[\w-]+$/;

export function detectFingerprintValue(value: string, _names: FieldNames, out: Detection[]): void {
  if (value.length >= 30 && value.length <= 200 && value.includes(':') && BUILD_FINGERPRINT.test(value))
    out.push({ category: 'device-fingerprint', detector: 'build-fingerprint' });
}

/**
 * Device attributes that are harmless one at a time but, sent together, narrow a person down. The auditor counts
 * the distinct kinds in one request; a single value never makes a fingerprint.
 */
const ATTRIBUTE_KIND = new Map<string, string>();
const KINDS: Record<string, string[]> = {
  model: ['model', 'mod', 'devicemodel', 'phonemodel', 'hwmodel', 'device', 'product'],
  manufacturer: ['manufacturer', 'brand', 'make', 'vendor'],
  os: ['osversion', 'os', 'androidversion', 'sdkint', 'apilevel', 'systemversion', 'platformversion'],
  rom: ['miuiver', 'romversion', 'rom', 'buildid', 'build', 'buildnumber', 'incremental', 'firmware', 'miuiversion'],
  screen: ['screen', 'screensize', 'resolution', 'screenwidth', 'screenheight', 'dpi', 'density', 'screenres'],
  carrier: ['carrier', 'operator', 'networkoperator', 'mccmnc', 'simoperator', 'isp'],
  network: ['networktype', 'network', 'nettype', 'wifi', 'connectiontype'],
  locale: ['locale', 'region', 'country', 'timezone', 'tz'],
  hardware: ['cpu', 'cpuabi', 'ram', 'totalmemory', 'storage', 'battery', 'board', 'hardware'],
};
for (const [kind, names] of Object.entries(KINDS)) for (const name of names) ATTRIBUTE_KIND.set(name, kind);

/** The kind of device attribute a field names, if any ("$os_version" -> "os"). */
export function deviceAttributeKind(field: string): string | undefined {
  return ATTRIBUTE_KIND.get(fieldNames(field).last);
}

/** Four or more kinds of device attribute in one request make a fingerprint. */
export const FINGERPRINT_MIN_KINDS = 4;
