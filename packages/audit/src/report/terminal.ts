import { basename } from 'node:path';
import type { AuditResult } from '../audit.js';
import { SEVERITIES } from '../detect/types.js';
import { groupFindings } from './group.js';

const MAX_LISTED = 40;

function megabytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

function clip(text: string, width: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > width ? `${oneLine.slice(0, width - 1)}…` : oneLine;
}

/** The human summary: totals, each destination with what it received, then the most serious findings. */
export function renderTerminal(result: AuditResult): string {
  const lines: string[] = [];
  const { summary } = result;
  lines.push(
    `candor audit: ${result.files.length} file(s), ${result.requests} request(s), ${megabytes(result.bytes)} of entries`,
  );
  const counts = [...SEVERITIES].reverse().map((s) => `${summary.bySeverity[s]} ${s}`);
  lines.push(
    summary.findings === 0
      ? 'No findings: nothing personal was found in this traffic.'
      : `${summary.findings} finding(s): ${counts.join(', ')}`,
  );
  if (result.domains.length > 0) {
    lines.push('', 'Destinations:');
    for (const d of result.domains) {
      const where = d.countries.length ? ` [${d.countries.join(', ')}]` : '';
      const categories = Object.entries(d.categories)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ');
      lines.push(`  ${d.domain}${where}: ${d.requests} request(s) to ${d.hosts.join(', ')}`);
      if (categories) lines.push(`      ${d.maxSeverity?.toUpperCase()}: ${categories}`);
    }
  }
  if (result.findings.length > 0) {
    lines.push('', 'Findings, most serious first (the same leak repeated is listed once):');
    const groups = groupFindings(result.findings);
    for (const g of groups.slice(0, MAX_LISTED)) {
      const f = g.first;
      const chain = f.decoding.length ? ` via ${f.decoding.join(' > ')}` : '';
      const where =
        g.count > 1 ? `${g.count} times, first ${basename(f.file)}#${f.entry}` : `${basename(f.file)}#${f.entry}`;
      lines.push(
        `  ${f.severity.toUpperCase().padEnd(8)} ${`${f.category}/${f.detector}`.padEnd(40)} ${where} ${f.host} ${f.location}:${g.field || '(whole)'}${chain}`,
        `           ${clip(f.evidence, 100)}${f.note ? `  (${clip(f.note, 100)})` : ''}`,
      );
    }
    if (groups.length > MAX_LISTED)
      lines.push(`  … and ${groups.length - MAX_LISTED} more kinds; use --json or --html for every finding.`);
  }
  if (result.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const w of result.warnings.slice(0, 20))
      lines.push(`  ${w.file}${w.entry !== undefined ? ` entry ${w.entry}` : ''}: ${w.message}`);
    if (result.warnings.length > 20) lines.push(`  … and ${result.warnings.length - 20} more`);
  }
  return lines.join('\n');
}
