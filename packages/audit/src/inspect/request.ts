import { getDomain } from 'tldts';
import type { CapturedRequest } from '../capture/har-entry.js';
import {
  DecodeContext,
  type DecodeLimits,
  decodeBody,
  decodeString,
  decodeUrlParts,
  type Leaf,
} from '../decode/index.js';
import { FINGERPRINT_MIN_KINDS } from '../detect/fingerprint.js';
import { detectPersonalData } from '../detect/index.js';
import type { KnownValues } from '../detect/known.js';
import { CATEGORY_SEVERITY, type Category } from '../detect/types.js';
import type { Finding, FindingLocation } from '../findings.js';
import { type LinkTracker, namesSharedValue, type Occurrence } from '../link/index.js';
import type { LeafAnalyser } from './analysis.js';
import { decodeCredentials } from './credentials.js';
import { headerField, isProtocolHeader, parseCookieHeader } from './headers.js';
import { type Parties, refererNamesAPage } from './page-address.js';
import { keepsDetection, partyDetections } from './parties.js';

export interface InspectContext {
  analyser: LeafAnalyser;
  destinations: DestinationCache;
  known: KnownValues;
  link: LinkTracker;
  limits: DecodeLimits;
}

export interface Destination {
  host: string;
  domain: string;
}

export interface Inspection extends Destination {
  findings: Finding[];
  warnings: string[];
  /** The entry never reached the network (data:, blob:, about: and the like), so nothing was sent. */
  local?: boolean;
}

/** Schemes whose requests leave the device; devtools also records data:, blob: and about: entries. */
const NETWORK_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

const MAX_EVIDENCE = 300;

/** Where requests went: host and registrable domain, remembered per host (a capture has few hosts). */
export class DestinationCache {
  private readonly byHost = new Map<string, Destination>();

  of(url: URL | undefined): Destination {
    if (!url) return { host: '(invalid url)', domain: '(invalid url)' };
    const hostname = url.hostname;
    let destination = this.byHost.get(hostname);
    if (!destination) {
      const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
      // Unlike the SDK's registrableDomain, any suffix is accepted: captures hold test and private hosts too.
      destination = { host, domain: getDomain(host, { allowPrivateDomains: false }) ?? host };
      if (this.byHost.size > 10_000) this.byHost.clear();
      this.byHost.set(hostname, destination);
    }
    return destination;
  }
}

/**
 * Decodes everything one request carried (path, query, custom headers, cookies, body, WebSocket messages) and
 * runs the detectors on every value. Identifier-like values go to the link tracker, which decides after the whole
 * capture which of them recur.
 *
 * `firstParty` is the registrable domain of the site being visited, when known: what a request to the site itself
 * carries is the person's business with that site and is not reported (values given with --known excepted),
 * though its identifiers still count when they turn up at a third party.
 */
export function inspectRequest(
  request: CapturedRequest,
  requestNumber: number,
  ctx: InspectContext,
  firstParty?: string,
): Inspection {
  let url: URL | undefined;
  try {
    url = new URL(request.url);
  } catch {
    url = undefined;
  }
  if (url && !NETWORK_SCHEMES.has(url.protocol))
    return { host: '', domain: '', findings: [], warnings: [], local: true };
  const { host, domain } = ctx.destinations.of(url);
  const own = firstParty !== undefined && domain === firstParty;
  const parties: Parties = { destination: domain, ...(firstParty !== undefined ? { firstParty } : {}) };
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const attributes = new Map<string, { field: string; value: string; location: FindingLocation }>();
  let location: FindingLocation = 'url';

  /** The place fields a finding and a link occurrence share. */
  const where = (leaf: Leaf) => ({
    file: request.file,
    entry: request.entry,
    host,
    domain,
    location,
    field: leaf.field,
    decoding: leaf.decoding,
  });

  const add = (category: Category, detector: string, leaf: Leaf, note?: string): void => {
    if (own && category !== 'known-value') return;
    const key = `${category}|${detector}|${location}|${leaf.field}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push({
      category,
      severity: CATEGORY_SEVERITY[category],
      detector,
      ...where(leaf),
      evidence: leaf.value.length > MAX_EVIDENCE ? `${leaf.value.slice(0, MAX_EVIDENCE)}…` : leaf.value,
      ...(note ? { note } : {}),
    });
  };

  const sink = (leaf: Leaf): void => {
    const known = ctx.known.match(leaf.value);
    if (known) add('known-value', `known-${known.form}`, leaf, `${known.name} (${known.form})`);
    if (leaf.unnamedNumber) return;
    const analysis = ctx.analyser.analyse(leaf.value, leaf.field, leaf.jsonNumber === true, leaf.structured === true);
    for (const detection of analysis.detections)
      if (keepsDetection(detection, leaf.field, parties)) add(detection.category, detection.detector, leaf);
    if (!own) {
      const structured = leaf.structured === true;
      for (const d of partyDetections(leaf.value, leaf.field, location, analysis.detections, parties, structured))
        add(d.category, d.detector, leaf);
    }
    if (leaf.value.length <= 128 && namesSharedValue(leaf.field)) ctx.link.markShared(leaf.value);
    if (analysis.candidate) {
      const occurrence: Occurrence = { request: requestNumber, ...where(leaf) };
      if (own) occurrence.firstParty = true;
      ctx.link.observe(leaf.value, occurrence);
    }
    const kind = analysis.attributeKind;
    if (kind && !attributes.has(kind)) attributes.set(kind, { field: leaf.field, value: leaf.value, location });
  };

  const decode = new DecodeContext(ctx.limits, sink);
  if (!url) decode.warn(`request URL "${request.url.slice(0, 100)}" is not a valid URL`);
  if (url) {
    location = 'url';
    url.pathname.split('/').forEach((segment, i) => {
      if (segment === '') return;
      let text = segment;
      try {
        text = decodeURIComponent(segment);
      } catch {
        // keep the raw segment
      }
      decodeString(decode, text, `path[${i - 1}]`, []);
    });
    location = 'query';
    for (const [name, value] of url.searchParams) decodeString(decode, value, name, []);
  }
  location = 'header';
  let contentEncoding: string | undefined;
  for (const header of request.headers) {
    const lower = header.name.toLowerCase();
    if (lower === 'content-encoding') contentEncoding = header.value;
    if (lower === 'referer' && !own && refererNamesAPage(header.value, parties)) {
      const leaf = { field: 'referer', value: header.value, decoding: [] };
      add('browsing-history', 'referer', leaf);
      // A full Referer carries the page's query too: a site search, or an address typed into a form sent by GET,
      // reaches every third party on that page.
      for (const d of detectPersonalData(header.value, 'referer'))
        if (d.category === 'search-query') add(d.category, d.detector, leaf);
      decodeUrlParts(decode, header.value, 'referer', []);
    }
    if (isProtocolHeader(lower)) continue;
    if (lower === 'authorization' || lower === 'proxy-authorization') decodeCredentials(decode, header.value, lower);
    else decodeString(decode, header.value, headerField(lower), []);
  }
  location = 'cookie';
  const cookieHeader = request.headers.find((h) => h.name.toLowerCase() === 'cookie');
  const cookies =
    request.cookies.length > 0 ? request.cookies : cookieHeader ? parseCookieHeader(cookieHeader.value) : [];
  for (const cookie of cookies) decodeString(decode, cookie.value, cookie.name, []);
  location = 'body';
  if (request.body) {
    if (request.body.text !== undefined || request.body.bytes !== undefined)
      decodeBody(decode, request.body, '', contentEncoding);
    else for (const param of request.body.params ?? []) decodeString(decode, param.value, param.name, ['form']);
  }
  request.socketMessages.forEach((message, i) => {
    decodeString(decode, message, `ws[${i}]`, []);
  });

  if (attributes.size >= FINGERPRINT_MIN_KINDS) {
    const parts = [...attributes.values()];
    location = parts[0]?.location ?? 'body';
    const fields = parts.map((p) => p.field);
    add(
      'device-fingerprint',
      'device-attributes',
      {
        field: commonParent(fields),
        value: parts.map((p) => `${p.field}=${p.value}`).join(', '),
        decoding: [],
      },
      `${attributes.size} kinds of device detail: ${[...attributes.keys()].join(', ')}`,
    );
  }
  return { host, domain, findings, warnings: [...decode.warnings] };
}

/** The deepest path that contains all the given paths ("a.b.c", "a.b.d" -> "a.b"). */
function commonParent(fields: string[]): string {
  const split = fields.map((f) => f.split('.'));
  const first = split[0] ?? [];
  let n = 0;
  while (n < first.length - 1 && split.every((s) => s[n] === first[n] && s.length > n + 1)) n++;
  return first.slice(0, n).join('.');
}
