import { type FieldNames, fieldIs } from './fields.js';
import type { Detection } from './types.js';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.([A-Za-z]{2,24})(?![A-Za-z0-9])/;
/** "@2x.png" and similar asset names look like addresses but are file names. */
const FILE_SUFFIXES = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'js', 'css', 'json', 'html']);
const INTERNATIONAL_PHONE = /(?:^|[^\w+])\+(\d[\d ().-]{6,18}\d)(?![\w])/;
const PHONE_FIELDS = new Set([
  'phone',
  'phonenumber',
  'mobile',
  'mobilephone',
  'tel',
  'telephone',
  'msisdn',
  'cellphone',
  'phoneno',
  'mobileno',
]);

export function detectContact(value: string, names: FieldNames, out: Detection[]): void {
  if (value.includes('@')) {
    const match = EMAIL.exec(value);
    if (match && !FILE_SUFFIXES.has((match[1] ?? '').toLowerCase()))
      out.push({ category: 'contact', detector: 'email' });
  }
  if (value.includes('+')) {
    const match = INTERNATIONAL_PHONE.exec(value);
    if (match && digitCount(match[1] ?? '') >= 8 && digitCount(match[1] ?? '') <= 15) {
      out.push({ category: 'contact', detector: 'phone' });
      return;
    }
  }
  if (fieldIs(names, PHONE_FIELDS) && /^[\d ().+-]{7,20}$/.test(value)) {
    const digits = digitCount(value);
    if (digits >= 7 && digits <= 15) out.push({ category: 'contact', detector: 'phone' });
  }
}

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}
