import { fieldIs, fieldNames } from '../detect/fields.js';
import { ASSET, isNotAPageField, isServiceUrl, namesAPage, urlsIn } from '../detect/web.js';
import { registrableDomain } from './first-party.js';

/** Where a value travelled: the site being visited (when known) and the registrable domain it was sent to. */
export interface Parties {
  firstParty?: string;
  destination: string;
}

/**
 * Fields trackers document as the page address or the previous page: Google Analytics `dl`/`dr`, comScore `c7`,
 * ad servers' `url`, `u`, `rf`, `ju`, Meta's `dl`/`rl`. Under these a homepage is a page too: it says which site
 * the person was on.
 */
const PAGE_FIELDS = new Set([
  'dl',
  'dr',
  'rl',
  'url',
  'u',
  'rf',
  'ru',
  'ju',
  'c7',
  'c9',
  'ref',
  'referrer',
  'referer',
  'pageurl',
  'page',
  'pageuri',
  'href',
  'location',
  'documentlocation',
  'documenturl',
  'requesturi',
  'fu',
  'pu',
  'firstpage',
  'landingpage',
]);
/** Fields holding the page the person came from; its address is theirs even when it is another site's. */
const REFERRER_FIELDS = new Set(['dr', 'rl', 'r', 'ref', 'referrer', 'referer', 'rf', 'pu', 'prevurl', 'lastpage']);
/** Page paths without a host, the host sent beside them (ga.js `utmp` with `utmhn`, Universal Analytics `dp`). */
const PAGE_PATH_FIELDS = new Set(['utmp', 'dp', 'pagepath', 'path']);

/**
 * Whether a value sent to `parties.destination` carries the address of a page the person visited. With the first
 * party known, that is an address on the first party's site (the homepage included) or the page they came from;
 * without it, any page address not the destination's own, and under a page-address field a homepage too.
 */
export function carriesPageAddress(value: string, field: string, parties: Parties): boolean {
  const hasScheme = value.includes('://');
  if (!hasScheme && (value.charCodeAt(0) !== 0x2f || parties.firstParty === undefined)) return false;
  const names = fieldNames(field);
  if (isNotAPageField(names)) return false;
  if (!hasScheme)
    return (
      parties.firstParty !== undefined &&
      parties.destination !== parties.firstParty &&
      fieldIs(names, PAGE_PATH_FIELDS) &&
      /^\/[^\s]*$/.test(value)
    );
  for (const url of urlsIn(value)) {
    const domain = registrableDomain(url.href) ?? url.hostname;
    if (domain === parties.destination || ASSET.test(url.pathname) || isServiceUrl(url)) continue;
    if (parties.firstParty !== undefined) {
      if (domain === parties.firstParty) return true;
      // The page the person came from, another site's homepage included.
      if (fieldIs(names, REFERRER_FIELDS)) return true;
      continue;
    }
    if (namesAPage(url) || fieldIs(names, PAGE_FIELDS)) return true;
  }
  return false;
}

/**
 * A Referer names a page when it has a path or query: browsers cut it to the origin across sites by default
 * (strict-origin-when-cross-origin), and an origin names only the site. With the first party known, only its
 * pages count: a Referer from a tracker's own frame is the tracker's page.
 */
export function refererNamesAPage(value: string, parties: Parties): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const domain = registrableDomain(url.href) ?? url.hostname;
  if (domain === parties.destination || !namesAPage(url)) return false;
  return parties.firstParty === undefined || domain === parties.firstParty;
}
