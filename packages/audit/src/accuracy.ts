import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { auditFiles, auditRequests } from './audit.js';
import type { CapturedRequest } from './capture/har-entry.js';
import type { Category } from './detect/types.js';
import type { Finding } from './findings.js';

/**
 * Accuracy of the audit against a labelled corpus of real captures (packages/audit/test/corpus): each capture's
 * real leaks written by hand as (category, host, field). Findings are compared as groups (one per category, host
 * and field with array indexes as [*]), since a tracker sends the same field in every hit.
 */
export const LABEL_CATEGORIES = ['identifier', 'page-address', 'contact', 'search-query', 'other'] as const;
export type LabelCategory = (typeof LABEL_CATEGORIES)[number];

const Label = z.strictObject({
  category: z.enum(LABEL_CATEGORIES),
  host: z.string(),
  /** The field path; "*" matches any run of characters. */
  field: z.string(),
  note: z.string().optional(),
});
const Labels = z.strictObject({ about: z.string(), files: z.record(z.string(), z.array(Label)) });
export type CorpusLabel = z.infer<typeof Label>;

/** The label category a finding counts under. */
function labelCategory(category: Category): LabelCategory {
  switch (category) {
    case 'browsing-history':
      return 'page-address';
    case 'persistent-id':
    case 'platform-id':
    case 'account-id':
    case 'hardware-id':
      return 'identifier';
    case 'contact':
      return 'contact';
    case 'search-query':
      return 'search-query';
    default:
      return 'other';
  }
}

export interface FindingGroup {
  file: string;
  category: LabelCategory;
  host: string;
  field: string;
  example: Finding;
}

export interface CategoryScore {
  /** Finding groups, and those a label accounts for. */
  groups: number;
  matchedGroups: number;
  /** Labels, and those some finding group matches. */
  labels: number;
  foundLabels: number;
  /** matchedGroups / groups; undefined when nothing was found. */
  precision?: number;
  /** foundLabels / labels; undefined when nothing was labelled. */
  recall?: number;
}

export interface AccuracyReport {
  files: Array<{ file: string; requests: number; labels: number; groups: number }>;
  byCategory: Record<LabelCategory, CategoryScore>;
  unexpected: FindingGroup[];
  missed: Array<CorpusLabel & { file: string }>;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function matches(label: CorpusLabel, group: FindingGroup): boolean {
  return label.category === group.category && label.host === group.host && globToRegExp(label.field).test(group.field);
}

/**
 * Audits every labelled capture in `dir` (or only the named ones) and scores the findings against
 * `dir/labels.json`.
 */
export async function scoreCorpus(dir: string, only?: string[]): Promise<AccuracyReport> {
  const labels = Labels.parse(JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')));
  if (only) {
    const unknown = only.filter((name) => !(name in labels.files));
    if (unknown.length > 0) throw new Error(`no labels for ${unknown.join(', ')} in ${join(dir, 'labels.json')}`);
  }
  const byCategory = Object.fromEntries(
    LABEL_CATEGORIES.map((c) => [c, { groups: 0, matchedGroups: 0, labels: 0, foundLabels: 0 }]),
  ) as Record<LabelCategory, CategoryScore>;
  const report: AccuracyReport = { files: [], byCategory, unexpected: [], missed: [] };
  for (const [name, fileLabels] of Object.entries(labels.files)) {
    if (only && !only.includes(name)) continue;
    const result = await auditFiles([join(dir, name)]);
    const groups = new Map<string, FindingGroup>();
    for (const finding of result.findings) {
      const category = labelCategory(finding.category);
      const field = finding.field.replace(/\[\d+\]/g, '[*]');
      const key = `${category}|${finding.host}|${field}`;
      if (!groups.has(key)) groups.set(key, { file: name, category, host: finding.host, field, example: finding });
    }
    for (const group of groups.values()) {
      const score = byCategory[group.category];
      score.groups++;
      if (fileLabels.some((label) => matches(label, group))) score.matchedGroups++;
      else report.unexpected.push(group);
    }
    for (const label of fileLabels) {
      const score = byCategory[label.category];
      score.labels++;
      if ([...groups.values()].some((group) => matches(label, group))) score.foundLabels++;
      else report.missed.push({ ...label, file: name });
    }
    report.files.push({ file: name, requests: result.requests, labels: fileLabels.length, groups: groups.size });
  }
  for (const score of Object.values(byCategory)) {
    if (score.groups > 0) score.precision = score.matchedGroups / score.groups;
    if (score.labels > 0) score.recall = score.foundLabels / score.labels;
  }
  return report;
}

/** The ways real trackers were seen carrying an e-mail address without hashing it, as request builders. */
function encodedEmailRequests(address: string): Array<{ form: string; request: CapturedRequest }> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const json = JSON.stringify({ user: { email: address } });
  const make = (form: string, url: string, extra: Partial<CapturedRequest> = {}) => ({
    form,
    request: {
      entry: 0,
      file: form,
      method: 'GET',
      url,
      headers: [],
      cookies: [],
      socketMessages: [],
      size: 0,
      ...extra,
    },
  });
  const post = (form: string, mimeType: string, text: string, headers: CapturedRequest['headers'] = []) =>
    make(form, 'https://collect.example.net/e', { method: 'POST', headers, body: { mimeType, text } });
  const base = 'https://collect.example.net/e?';
  return [
    make('plain query', `${base}e=${address}`),
    make('percent-encoded', `${base}e=${encodeURIComponent(address)}`),
    make('percent-encoded twice', `${base}e=${encodeURIComponent(encodeURIComponent(address))}`),
    make('upper case', `${base}e=${encodeURIComponent(address.toUpperCase())}`),
    make('base64', `${base}d=${encodeURIComponent(b64(address))}`),
    make('base64url JSON', `${base}d=${Buffer.from(json).toString('base64url')}`),
    make('hex', `${base}d=${Buffer.from(address).toString('hex')}`),
    make('JSON in a parameter', `${base}d=${encodeURIComponent(json)}`),
    make(
      'page address carrying it',
      `${base}dl=${encodeURIComponent(`https://shop.example.org/welcome?email=${address}`)}`,
    ),
    make('in a fragment', `${base}dl=${encodeURIComponent(`https://shop.example.org/welcome#email=${address}`)}`),
    make('path segment', `https://collect.example.net/u/${encodeURIComponent(address)}/profile`),
    make('cookie', 'https://collect.example.net/e', { cookies: [{ name: 'em', value: encodeURIComponent(address) }] }),
    make('custom header', 'https://collect.example.net/e', { headers: [{ name: 'X-User', value: address }] }),
    post('form body', 'application/x-www-form-urlencoded', `a=1&email=${encodeURIComponent(address)}`),
    post('JSON body', 'application/json', json),
    post('JSON key', 'application/json', JSON.stringify({ [address]: { subscribed: true } })),
    post('text/plain beacon', 'text/plain', `v=1&t=event&uid=${encodeURIComponent(address)}\nv=1&t=pageview`),
    post('base64 JSON body', 'text/plain', b64(json)),
    post(
      'JWT claim',
      'application/json',
      JSON.stringify({
        token: `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ sub: address })).toString('base64url')}.`,
      }),
    ),
    post('free text', 'text/plain', `Contact me at ${address} please`),
    make('Referer of a page with it in the query', 'https://cdn.example.net/w.js', {
      headers: [{ name: 'Referer', value: `https://shop.example.org/welcome?email=${encodeURIComponent(address)}` }],
    }),
    make('base64 of the percent-encoded address', `${base}u=${b64(encodeURIComponent(address))}`),
    make('JSON with an escaped @', `${base}d=${encodeURIComponent(json.replace('@', '\\u0040'))}`),
    make('mailto link', `${base}href=${encodeURIComponent(`mailto:${address}`)}`),
    make(
      'base64 inside JSON inside a form body',
      `${base}f=${encodeURIComponent(JSON.stringify({ e: b64(address) }))}`,
    ),
  ];
}

/**
 * Default e-mail recall on encoded (not hashed) forms: the share of the forms above in which the audit, with no
 * --known value, reports the address as contact data.
 */
export async function encodedEmailRecall(
  address = 'jane.doe@example.org',
): Promise<{ recall: number; forms: number; missed: string[] }> {
  const cases = encodedEmailRequests(address);
  const missed: string[] = [];
  for (const { form, request } of cases) {
    const result = await auditRequests([request]);
    if (!result.findings.some((f) => f.category === 'contact')) missed.push(form);
  }
  return { recall: (cases.length - missed.length) / cases.length, forms: cases.length, missed };
}
