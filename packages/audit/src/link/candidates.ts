import { fieldNames } from '../detect/fields.js';

/**
 * Field names whose values are the same for every install of an app (API keys, app ids, SDK versions): they
 * recur in every request but do not single out a person, so they are not linkability candidates.
 */
const APP_LEVEL_FIELDS = new Set([
  // Analytics property and pixel ids name the site or app being measured, not the visitor.
  'tid',
  'measurementid',
  'propertyid',
  'siteid',
  'pixelid',
  'containerid',
  'writekey',
  'appkey',
  'apikey',
  'key',
  'appid',
  'appsecret',
  'projectid',
  'project',
  'sdkkey',
  'sdkversion',
  'version',
  'appversion',
  'libversion',
  'clientversion',
  'build',
  'v',
  'channel',
  'tokentype',
  'kid',
  'alg',
  'typ',
]);

const TOKEN = /^[A-Za-z0-9_+/=.-]+$/;
/** Host names, package names and file names ("cdn.example.net", "com.example.app", "app.3f9a.js"). */
const DOTTED_NAME = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
/** Two long digit runs joined by a dot: Google Analytics' client id ("1234567890.1700000000") and its kin. */
const DOTTED_DIGITS = /^\d{6,}\.\d{6,}$/;

/** A millisecond or second Unix time between 2001 and 2100: a timestamp recurs by chance, it does not link. */
function looksLikeTimestamp(digits: string): boolean {
  const n = Number(digits);
  return (
    (digits.length === 13 && n > 978307200000 && n < 4102444800000) ||
    (digits.length === 10 && n > 978307200 && n < 4102444800)
  );
}

const marks = new Uint8Array(128);

/** Whether the value has at least `n` different characters (token characters are ASCII). */
function hasDistinctChars(value: string, n: number): boolean {
  marks.fill(0);
  let distinct = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) & 127;
    if (marks[c] === 0) {
      marks[c] = 1;
      if (++distinct >= n) return true;
    }
  }
  return false;
}

/**
 * Could this value be an identifier? Long enough to be unique, made of token characters, with digits and a mix
 * of characters: words, versions, dates, decimals, host and file names and timestamps are not.
 */
export function isIdentifierCandidate(value: string, field: string): boolean {
  const length = value.length;
  if (length < 8 || length > 128 || !TOKEN.test(value)) return false;
  let digits = 0;
  let letters = 0;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
  }
  if (digits === 0) return false;
  if (letters === 0) {
    const plainNumber = digits === length && length >= 12 && !looksLikeTimestamp(value);
    if (!plainNumber && !DOTTED_DIGITS.test(value)) return false;
  } else if (value.includes('.') && DOTTED_NAME.test(value)) return false;
  if (!hasDistinctChars(value, 6)) return false;
  return !APP_LEVEL_FIELDS.has(fieldNames(field).last);
}
