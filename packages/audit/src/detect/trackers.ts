import type { FieldNames } from './fields.js';
import type { Detection } from './types.js';

/**
 * Identifiers common trackers send, by the field or cookie names and value forms their own public documentation
 * gives. Written here from that documentation (the popular tracker lists are under non-commercial licences and
 * are not used). Names are normalised: lowercase letters and digits only ("_fbp" is "fbp", "u_hem" is "uhem").
 */
interface TrackerId {
  names: string[];
  /** The value's documented form; a value of another form under the same name is something else. */
  form: RegExp;
  source: string;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** An opaque token: long, made of token characters, with both letters and digits. */
const TOKEN = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_.:+/=-]{16,256}$/;

export const TRACKER_IDS: readonly TrackerId[] = [
  {
    // Meta Pixel / Conversions API: "fb.{subdomain index}.{creation time}.{random number or fbclid}".
    names: ['fbp', 'fbc'],
    form: /^fb\.\d\.\d{10,13}\.[\w-]+$/,
    source: 'Meta Conversions API, "fbp and fbc parameters"',
  },
  {
    // Meta cookies sent to facebook.com: browser ("datr") and advertising ("fr") cookies.
    names: ['datr', 'fr'],
    form: /^[A-Za-z0-9_.-]{20,}$/,
    source: 'Meta cookies policy',
  },
  {
    // Google Analytics: the _ga cookie "GA1.{n}.{random}.{time}" and the client id "{random}.{time}" it carries
    // as "cid" (also handed to DoubleClick as "gacid"), the _gid cookie the same way.
    names: ['ga', 'gid', 'cid', 'gacid', 'clientid'],
    form: /^(?:GA\d\.\d\.)?\d{6,12}\.\d{9,10}$/,
    source: 'Google Analytics cookie usage; Measurement Protocol "cid"',
  },
  {
    // Legacy ga.js: __utma is "{domain hash}.{visitor id}.{first}.{previous}.{current visit time}.{visits}".
    names: ['utma'],
    form: /^\d+\.\d{6,}\.\d{10}\.\d{10}\.\d{10}\.\d+$/,
    source: 'Google Analytics ga.js cookie usage',
  },
  {
    names: ['googlegid', 'ide', 'dsid', 'nid'],
    form: /^[A-Za-z0-9_.:+/=-]{10,}$/,
    source: 'Google advertising cookies (IDE, DSID, NID) and the google_gid cookie-matching id',
  },
  {
    // Microsoft: the MUID cookie and UET's visitor and session ids, 32 hexadecimal digits.
    names: ['muid', 'uetvid', 'uetsid', 'vid', 'sid'],
    form: /^[0-9a-f]{32}$/i,
    source: 'Microsoft Advertising UET documentation',
  },
  {
    // Click ids: each names one ad click and so the person who made it.
    names: ['gclid', 'dclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'twclid', 'yclid', 'lifatid'],
    form: /^[A-Za-z0-9_.-]{16,}$/,
    source: 'Google Ads, Meta, Microsoft, TikTok, X, Yandex and LinkedIn click tracking',
  },
  { names: ['ttp'], form: /^[A-Za-z0-9_.-]{16,}$/, source: 'TikTok Pixel "_ttp" cookie' },
  {
    names: ['exchangeid', 'kx'],
    form: /^[A-Za-z0-9_.=-]{16,}$/,
    source: 'Klaviyo onsite tracking "$exchange_id" / "_kx"',
  },
  {
    // WordPress.com stats: "_ui" is the anonymous visitor id kept in the tk_ai cookie.
    names: ['ui', 'tkai'],
    form: /^(?=.*\d)[A-Za-z0-9+/_-]{16,40}$/,
    source: 'WordPress.com / Jetpack stats',
  },
  {
    // Pardot: the visitor_id{account} cookie and its signature.
    names: ['visitorid', 'visitoridsign'],
    form: /^(?:\d{6,}|[0-9a-f]{32,})$/i,
    source: 'Salesforce Account Engagement (Pardot) cookies',
  },
  {
    // Cookie syncing: a partner's user id handed over in the sync URL (OpenRTB "buyeruid" and its kin).
    names: [
      'externaluserid',
      'extuid',
      'xuid',
      'bidderuuid',
      'buyeruid',
      'partneruid',
      'puid',
      'dspuid',
      'ovsid',
      'visitor',
      'userid',
      'uid',
    ],
    form: TOKEN,
    source: 'OpenRTB 2.5 user.buyeruid; cookie-sync endpoints of ad exchanges',
  },
  {
    names: ['uid', 'userid', 'visitor'],
    form: UUID,
    source: 'ids in UUID form under user and visitor names',
  },
  { names: ['bundle'], form: /^[A-Za-z0-9%+/=_-]{64,}$/, source: 'Criteo OneTag user bundle' },
  {
    // Snowplow (used by Yotpo and others): "duid" the domain user id, "fp" the browser fingerprint number.
    names: ['duid'],
    form: /^[0-9a-f]{16}$|^[0-9a-f-]{36}$/i,
    source: 'Snowplow tracker protocol',
  },
  { names: ['fp'], form: /^\d{6,12}$/, source: 'Snowplow tracker protocol "fp" (user fingerprint)' },
  {
    // Azure Application Insights: "ai_user" and "ai_session" cookies start with the user or session id.
    names: ['aiuser', 'aisession'],
    form: /^[A-Za-z0-9+/]{5,}\|/,
    source: 'Azure Application Insights cookies',
  },
  {
    names: ['fprnt', 'fingerprint', 'browserfingerprint', 'fpid', 'visitorfingerprint'],
    form: /^(?:[0-9a-f]{16,128}|[A-Za-z0-9_-]{20,})$/i,
    source: 'browser fingerprint hashes sent as ids',
  },
];

const BY_NAME = new Map<string, TrackerId[]>();
for (const id of TRACKER_IDS) for (const name of id.names) BY_NAME.set(name, [...(BY_NAME.get(name) ?? []), id]);

export function detectTrackerId(value: string, names: FieldNames, out: Detection[]): void {
  if (names.last === '') return;
  const ids = BY_NAME.get(names.last);
  if (!ids || value.length < 8 || isUnfilled(value)) return;
  if (ids.some((id) => id.form.test(value))) out.push({ category: 'persistent-id', detector: 'tracker-id' });
}

/**
 * Template placeholders a script failed to fill: "%DID%", "{{user_id}}", "[timestamp]", "${uid}", "@USERID@", and
 * URI-template variables ("{search_term_string}", RFC 6570).
 */
const MACRO =
  /%[A-Z_]{2,}%|\{\{[^}]*\}\}|\$\{[^}]*\}|\{[a-z_][a-z0-9_]*\}|\[[A-Za-z_]{2,}\]|@[A-Z_]{3,}@|__[A-Z][A-Z_]+__/;

export function isUnfilled(value: string): boolean {
  return MACRO.test(value);
}
