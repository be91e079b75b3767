import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { auditFiles } from './audit.js';
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
export function labelCategory(category: Category): LabelCategory {
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

/** Audits every labelled capture in `dir` and scores the findings against `dir/labels.json`. */
export async function scoreCorpus(dir: string): Promise<AccuracyReport> {
  const labels = Labels.parse(JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')));
  const byCategory = Object.fromEntries(
    LABEL_CATEGORIES.map((c) => [c, { groups: 0, matchedGroups: 0, labels: 0, foundLabels: 0 }]),
  ) as Record<LabelCategory, CategoryScore>;
  const report: AccuracyReport = { files: [], byCategory, unexpected: [], missed: [] };
  for (const [name, fileLabels] of Object.entries(labels.files)) {
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
