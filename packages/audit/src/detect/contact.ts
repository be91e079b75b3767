import { parse } from 'tldts';
import { type FieldNames, fieldIs } from './fields.js';
import type { Detection } from './types.js';

/** The part after "@", read from a bounded slice: labels cannot contain dots, so matching stays linear. */
const EMAIL_DOMAIN = /^[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.([A-Za-z]{2,24})(?![A-Za-z0-9])/;
const EMAIL_LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const MAX_AT_SIGNS = 16;
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
  if (value.includes('@') && hasEmail(value)) out.push({ category: 'contact', detector: 'email' });
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

/**
 * A domain mail can be sent to: a registrable name under a real (ICANN) top-level domain. Cookie and config
 * strings ("effcl@0.totcl@0") and internal names ("svc@build.local") have the shape of an address but not this.
 */
function deliverable(domain: string): boolean {
  const parsed = parse(domain, { allowPrivateDomains: false });
  return parsed.isIcann === true && parsed.domainWithoutSuffix !== null && parsed.domainWithoutSuffix !== '';
}

/**
 * Looks at each "@" (at most 16): a local-part character before it and a domain after it. Done by hand around
 * indexOf rather than with one unanchored pattern, which backtracks quadratically on long hostile strings; this
 * runs on the collector's hot path.
 */
function hasEmail(value: string): boolean {
  let at = value.indexOf('@');
  for (let n = 0; at !== -1 && n < MAX_AT_SIGNS; n++) {
    if (at > 0 && EMAIL_LOCAL_CHAR.test(value[at - 1] as string)) {
      const match = EMAIL_DOMAIN.exec(value.slice(at + 1, at + 256));
      if (match && !FILE_SUFFIXES.has((match[1] ?? '').toLowerCase()) && deliverable(match[0])) return true;
    }
    at = value.indexOf('@', at + 1);
  }
  return false;
}
