import { type FieldNames, fieldIs } from './fields.js';
import type { Detection } from './types.js';

const IMEI_FIELDS = new Set(['imei', 'imei1', 'imei2', 'deviceimei', 'imeisv']);
const IMSI_FIELDS = new Set(['imsi', 'subscriberid']);
const ICCID_FIELDS = new Set(['iccid', 'simserial', 'simserialnumber']);
const MEID_FIELDS = new Set(['meid', 'esn']);
const MAC_FIELDS = new Set(['mac', 'macaddress', 'wifimac', 'bssid', 'btmac', 'bluetoothmac', 'macaddr']);
const SERIAL_FIELDS = new Set(['serial', 'serialno', 'serialnumber', 'sn', 'roserialno', 'deviceserial', 'hwserial']);

const MAC = /^([0-9a-f]{2})([:-])[0-9a-f]{2}(?:\2[0-9a-f]{2}){4}$/i;
/** Placeholders an OS reports instead of a real address; they identify nobody. */
const PLACEHOLDER_MACS = new Set(['000000000000', '020000000000', 'ffffffffffff']);

/** Luhn checksum, as used by IMEI and ICCID check digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Reporting-body prefixes GSMA has allocated for IMEI type allocation codes; other 15-digit numbers are not IMEIs. */
const IMEI_REPORTING_BODIES = new Set([
  '01',
  '10',
  '30',
  '33',
  '35',
  '44',
  '45',
  '49',
  '50',
  '51',
  '52',
  '53',
  '54',
  '86',
  '91',
  '98',
  '99',
]);

function allDigits(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return value.length > 0;
}

/** No name to go by: a bare value, a protobuf field number ("#4"), or a path segment. */
function unnamed(names: FieldNames): boolean {
  return names.last === '' || /^#?\d*$/.test(names.raw) || names.raw.startsWith('path');
}

function repeated(value: string): boolean {
  return /^(.)\1*$/.test(value);
}

export function detectHardware(value: string, names: FieldNames, out: Detection[]): void {
  const length = value.length;
  if (length >= 14 && length <= 20 && allDigits(value) && !repeated(value)) {
    if (length === 15 && fieldIs(names, IMSI_FIELDS)) out.push({ category: 'hardware-id', detector: 'imsi' });
    else if (
      length === 15 &&
      luhnValid(value) &&
      // A field named for something else ("id", "pixel") says what the number is; only a nameless one (a
      // protobuf field, free text) is judged by its shape alone.
      (fieldIs(names, IMEI_FIELDS) || (unnamed(names) && IMEI_REPORTING_BODIES.has(value.slice(0, 2))))
    )
      out.push({ category: 'hardware-id', detector: 'imei' });
    else if ((length === 14 || length === 16) && fieldIs(names, IMEI_FIELDS))
      out.push({ category: 'hardware-id', detector: 'imei' });
    else if ((length === 19 || length === 20) && value.startsWith('89') && luhnValid(value))
      out.push({ category: 'hardware-id', detector: 'iccid' });
    else if (length === 18 && fieldIs(names, MEID_FIELDS)) out.push({ category: 'hardware-id', detector: 'meid' });
    else if (fieldIs(names, ICCID_FIELDS)) out.push({ category: 'hardware-id', detector: 'iccid' });
    return;
  }
  if (length === 14 && /^[a-f][0-9a-f]{13}$/i.test(value)) {
    // Hex MEIDs start with a manufacturer code of A0 or above.
    if (fieldIs(names, MEID_FIELDS) || /^[a-f][0-9a-f]/i.test(value))
      out.push({ category: 'hardware-id', detector: 'meid' });
    return;
  }
  if (length === 17) {
    const match = MAC.exec(value);
    if (match) {
      const bare = value.replace(/[:-]/g, '').toLowerCase();
      if (!PLACEHOLDER_MACS.has(bare)) out.push({ category: 'hardware-id', detector: 'mac' });
      return;
    }
  }
  if (
    length === 12 &&
    /^[0-9a-f]{12}$/i.test(value) &&
    fieldIs(names, MAC_FIELDS) &&
    !PLACEHOLDER_MACS.has(value.toLowerCase())
  ) {
    out.push({ category: 'hardware-id', detector: 'mac' });
    return;
  }
  if (
    fieldIs(names, SERIAL_FIELDS) &&
    /^[A-Za-z0-9]{6,24}$/.test(value) &&
    !/^unknown$/i.test(value) &&
    !repeated(value)
  ) {
    out.push({ category: 'hardware-id', detector: 'serial' });
  }
}
