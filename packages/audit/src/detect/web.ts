import { type FieldNames, fieldIs } from './fields.js';
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
  'keywords',
  'kw',
  'wd',
  'word',
  'term',
  'querytext',
  'searchstring',
  'p',
  'text',
  'search',
]);
/** Field names that, alone, are too generic unless the value sits in a URL's query. */
const WEAK_SEARCH_FIELDS = new Set(['p', 'text', 'word', 'term']);
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
const ASSET = /\.(?:png|jpe?g|gif|webp|svg|ico|css|js|mjs|woff2?|ttf|otf|mp4|webm|mp3)$/i;
/** Where the app itself wants an answer sent (OAuth and webhook callbacks): the app's own address. */
const OWN_ADDRESS_FIELDS = new Set(['redirecturi', 'redirecturl', 'callback', 'callbackurl', 'webhook', 'webhookurl']);
const NOT_A_SEARCH = /^(?:true|false|null|undefined|0|1)$/i;

export function detectWeb(value: string, names: FieldNames, out: Detection[]): void {
  if (value.includes('://')) {
    if (!fieldIs(names, OWN_ADDRESS_FIELDS)) detectUrls(value, out);
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
  if (fieldIs(names, SEARCH_FIELDS) && !WEAK_SEARCH_FIELDS.has(names.last) && isSearchText(value))
    out.push({ category: 'search-query', detector: 'search-field' });
}

/** Words someone typed: not empty, not a flag, and not code (a GraphQL "query" field holds braces). */
function isSearchText(value: string): boolean {
  return (
    value.length <= 512 &&
    value.trim().length > 0 &&
    !NOT_A_SEARCH.test(value) &&
    !/[{}]/.test(value) &&
    /[\p{L}\p{N}]/u.test(value)
  );
}

/** A URL with a path, query or fragment names a page; a bare origin names only a site. */
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
    const namesAPage = url.pathname.length > 1 || url.search.length > 1 || url.hash.length > 1;
    if (!pageFound && namesAPage && !ASSET.test(url.pathname)) {
      out.push({ category: 'browsing-history', detector: 'url' });
      pageFound = true;
    }
    if (!searchFound) {
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
