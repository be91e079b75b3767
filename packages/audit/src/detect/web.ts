import { type FieldNames, fieldIs } from './fields.js';
import { isUnfilled } from './trackers.js';
import type { Detection } from './types.js';

const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>\\]+/gi;
const URL_FIELDS = new Set([
  'url',
  'pageurl',
  'currenturl',
  'href',
  'link',
  'referrer',
  'referer',
  'pageuri',
  'uri',
  'location',
  'weburl',
  'visitedurl',
  'downloadurl',
  'fileurl',
  'loadurl',
  'tabUrl'.toLowerCase(),
  'pagepath',
]);
const SCHEMELESS_URL = /^(?:[a-z0-9-]+\.)+[a-z]{2,24}(?::\d+)?\/[^\s]*[^\s/]/i;
const SEARCH_FIELDS = new Set([
  'q',
  'query',
  'searchword',
  'searchquery',
  'searchterm',
  'searchtext',
  'searchkey',
  'searchkeyword',
  'keyword',
  'kw',
  'wd',
  'word',
  'term',
  's',
  'querytext',
  'searchstring',
  'p',
  'text',
  'search',
]);
/** Field names that, alone, are too generic unless the value sits in a URL's query. */
const WEAK_SEARCH_FIELDS = new Set(['p', 'text', 'word', 'term', 's']);
/** Titles search result pages carry ("You searched for pregnancy", WordPress; "Search results for ..."). */
const SEARCH_TITLE = /\b(?:you searched for|search results for|results for|search:)\s+["“]?[\p{L}\p{N}]/iu;
/** A cheap test before SEARCH_TITLE, which runs on most values. */
function mayBeSearchTitle(value: string): boolean {
  return value.includes('earch') || value.includes('esults for');
}
/** Search result pages addressed by path ("/search/pregnancy/"). */
const SEARCH_PATH = /\/(?:search|find|suche|recherche|buscar)\/([^/?#]+)\/?$/i;
const PRIVATE_FIELDS = new Set([
  'incognito',
  'isincognito',
  'incognitomode',
  'incognitotab',
  'private',
  'isprivate',
  'privatemode',
  'isprivatemode',
  'privatebrowsing',
  'inprivate',
  'privacymode',
  'privatetab',
  'inincognito',
  'privatewindow',
]);
const PRIVATE_VALUES =
  /^(?:incognito|inprivate|private[_ -]?(?:mode|browsing|tab|window)|privacy[_ -]?mode|incognito[_ -]?(?:mode|tab))$/i;
const MODE_FIELDS = new Set([
  'mode',
  'tabtype',
  'windowtype',
  'browsingmode',
  'type',
  'downloadtype',
  'tabmode',
  'pagemode',
]);
/** Images, scripts, styles and fonts are resources an app loads, not pages a person visited. */
export const ASSET = /\.(?:png|jpe?g|gif|webp|svg|ico|css|js|mjs|woff2?|ttf|otf|mp4|webm|mp3)$/i;
/**
 * Fields whose URL is not a page someone visited: where the app wants an answer sent (OAuth and webhook
 * callbacks), where a script reports errors or loads from, OAuth scopes and audiences, schema and vocabulary URLs.
 */
const NOT_A_PAGE_FIELDS = new Set([
  'redirecturi',
  'redirecturl',
  'callback',
  'callbackurl',
  'webhook',
  'webhookurl',
  'scope',
  'scopes',
  'audience',
  'aud',
  'iss',
  'issuer',
  'context',
  'type',
  'schema',
  'xmlns',
  'reporturi',
  'reportto',
  'reporturl',
  'dsn',
  'endpoint',
  'errorurl',
  'logurl',
  'apiurl',
  'baseurl',
  'cdn',
  'cdnurl',
  'scripturl',
  'src',
  'image',
  'imageurl',
  'thumbnailurl',
  'contenturl',
  'logo',
  'sameas',
  'availability',
  'itemcondition',
]);
/** A sync or redirect hop between ad servers, not a page: its path says so or its query holds a user id slot. */
const SYNC_OR_REDIRECT_PATH =
  /sync|redir|beacon|pixel|setuid|cookiematch|(?:^|[/_.-])(?:match|rd|click|clk|aclk|tr)(?:$|[/_.-])/i;
const SYNC_QUERY = /[?&](?:[\w-]*uid|[\w-]*user_?id|redir(?:ect)?(?:_?url)?|gdpr_consent)=/i;
/** Error and log collectors: an address of a report, not of a page. */
const LOG_PATH = /(?:^|\/)(?:log|logs|error|errors|report|crash|csp-report|beacon|collect)(?:$|[/_.-])/i;
const NOT_A_SEARCH = /^(?:true|false|null|undefined|0|1)$/i;

export function detectWeb(value: string, names: FieldNames, out: Detection[]): void {
  if (value.includes('://')) {
    if (!fieldIs(names, NOT_A_PAGE_FIELDS)) detectUrls(value, out);
  } else if (names.last !== '' && fieldIs(names, URL_FIELDS) && SCHEMELESS_URL.test(value))
    out.push({ category: 'browsing-history', detector: 'url' });
  if (names.last === '') {
    if (PRIVATE_VALUES.test(value)) out.push({ category: 'private-mode', detector: 'private-mode-value' });
    return;
  }
  if (fieldIs(names, PRIVATE_FIELDS)) {
    out.push({ category: 'private-mode', detector: 'private-mode-field' });
  } else if (PRIVATE_VALUES.test(value) || (fieldIs(names, MODE_FIELDS) && /^(?:private|privacy)$/i.test(value))) {
    out.push({ category: 'private-mode', detector: 'private-mode-value' });
  }
  if (
    fieldIs(names, SEARCH_FIELDS) &&
    !WEAK_SEARCH_FIELDS.has(names.last) &&
    isSearchText(value) &&
    !isButtonLabel(value, names)
  )
    out.push({ category: 'search-query', detector: 'search-field' });
  else if (value.length <= 512 && mayBeSearchTitle(value) && SEARCH_TITLE.test(value))
    out.push({ category: 'search-query', detector: 'search-title' });
}

/** A form's submit button sends its own label: "search=Search", "q=Go". */
const BUTTON_LABELS = new Set(['search', 'go', 'submit', 'find', 'ok', 'send']);

function isButtonLabel(value: string, names: FieldNames): boolean {
  const label = value.trim().toLowerCase();
  return label === names.last || BUTTON_LABELS.has(label);
}

/**
 * Words someone typed: with a letter in them, not a flag, not code (a GraphQL "query" field holds braces), not
 * a size ("q=60" image quality, "wd=1024x702"), not a list of meta keywords.
 */
function isSearchText(value: string): boolean {
  return (
    value.length <= 512 &&
    value.trim().length > 0 &&
    !NOT_A_SEARCH.test(value) &&
    !/[{}]/.test(value) &&
    /\p{L}/u.test(value) &&
    !/^\d+\s*[x×*]\s*\d+$/.test(value) &&
    (value.match(/,/g)?.length ?? 0) < 3
  );
}

/**
 * A URL with a path, query or fragment names a page; a bare origin names only a site. Images, scripts and the
 * like, sync and redirect hops, error reports and unfilled templates are not pages.
 */
export function namesAPage(url: URL): boolean {
  if (url.pathname.length <= 1 && url.search.length <= 1 && url.hash.length <= 1) return false;
  return !ASSET.test(url.pathname) && !isServiceUrl(url);
}

/** An address a service uses for itself: a sync or redirect hop, an error or log report, an unfilled template. */
export function isServiceUrl(url: URL): boolean {
  const href = url.href;
  return (
    SYNC_OR_REDIRECT_PATH.test(url.pathname) ||
    SYNC_QUERY.test(url.search) ||
    LOG_PATH.test(url.pathname) ||
    isUnfilled(decodeSafely(href))
  );
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Fields whose URL is never a page address (callbacks, scopes, schema and asset URLs). */
export function isNotAPageField(names: FieldNames): boolean {
  return fieldIs(names, NOT_A_PAGE_FIELDS);
}

/** Every http(s) URL in a value. */
export function urlsIn(value: string): URL[] {
  const out: URL[] = [];
  URL_IN_TEXT.lastIndex = 0;
  for (let match = URL_IN_TEXT.exec(value); match; match = URL_IN_TEXT.exec(value)) {
    try {
      const url = new URL(match[0]);
      if (url.hostname.includes('.') || url.hostname === 'localhost') out.push(url);
    } catch {
      // not a URL after all
    }
  }
  return out;
}

function detectUrls(value: string, out: Detection[]): void {
  URL_IN_TEXT.lastIndex = 0;
  let pageFound = false;
  let searchFound = false;
  for (let match = URL_IN_TEXT.exec(value); match; match = URL_IN_TEXT.exec(value)) {
    let url: URL;
    try {
      url = new URL(match[0]);
    } catch {
      continue;
    }
    if (!url.hostname.includes('.') && url.hostname !== 'localhost') continue;
    if (!pageFound && namesAPage(url)) {
      out.push({ category: 'browsing-history', detector: 'url' });
      pageFound = true;
    }
    if (!searchFound) {
      const term = SEARCH_PATH.exec(url.pathname)?.[1];
      if (term !== undefined && isSearchText(decodeSafely(term))) {
        out.push({ category: 'search-query', detector: 'url-search-param' });
        searchFound = true;
        continue;
      }
      for (const [key, param] of url.searchParams) {
        const normalised = key.toLowerCase().replace(/[^a-z0-9]/g, '');
        if (SEARCH_FIELDS.has(normalised) && isSearchText(param)) {
          out.push({ category: 'search-query', detector: 'url-search-param' });
          searchFound = true;
          break;
        }
      }
    }
  }
}
