import { fieldNames } from '../detect/fields.js';
import type { Category, Detection } from '../detect/types.js';
import type { FindingLocation } from '../findings.js';
import { isCookieIdentifier } from '../link/index.js';
import { carriesPageAddress, type Parties } from './page-address.js';

/** Parameters that carry a cookie's value ("cookie=..."), judged like the cookie. */
const COOKIE_FIELDS = new Set(['cookie', 'cookies', 'cookievalue']);
const SITE_ACCOUNT = /(?:^|[.[])account_?(?:id)?\]?$/i;
const IDENTIFIER_CATEGORIES = new Set<Category>(['persistent-id', 'platform-id', 'account-id', 'hardware-id']);

/**
 * Whether a detector's finding stands once it is known who sent the value where. Page addresses are judged here
 * instead (see carriesPageAddress); on the web, the account a third-party tag names is the site's account with
 * that service (Pardot's account_id), not the visitor's.
 */
export function keepsDetection(detection: Detection, field: string, parties: Parties): boolean {
  if (detection.detector === 'url') return false;
  return !(detection.detector === 'account-field' && parties.firstParty !== undefined && SITE_ACCOUNT.test(field));
}

/**
 * What a value means for the party it reached, beyond what the detectors see in it: a page address of the site
 * being visited, and a third party's cookie holding an id (such a cookie exists to recognise the browser wherever
 * the third party is embedded).
 */
export function partyDetections(
  value: string,
  field: string,
  location: FindingLocation,
  detected: readonly Detection[],
  parties: Parties,
  structured: boolean,
): Detection[] {
  const out: Detection[] = [];
  if (carriesPageAddress(value, field, parties)) out.push({ category: 'browsing-history', detector: 'url' });
  if (
    parties.firstParty !== undefined &&
    (location === 'cookie' || COOKIE_FIELDS.has(fieldNames(field).last)) &&
    !structured &&
    !detected.some((d) => IDENTIFIER_CATEGORIES.has(d.category)) &&
    isCookieIdentifier(value)
  )
    out.push({ category: 'persistent-id', detector: 'third-party-cookie' });
  return out;
}
