import { basename } from 'node:path';
import type { AuditResult } from '../audit.js';
import { SEVERITIES } from '../detect/types.js';

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
    lines.push('', 'Findings (most serious first):');
    const ordered = [...result.findings].sort(
      (a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity),
    );
    for (const f of ordered.slice(0, MAX_LISTED)) {
      const chain = f.decoding.length ? ` via ${f.decoding.join(' > ')}` : '';
      lines.push(
        `  ${f.severity.toUpperCase().padEnd(8)} ${`${f.category}/${f.detector}`.padEnd(40)} ${basename(f.file)}#${f.entry} ${f.host} ${f.location}:${f.field || '(whole)'}${chain}`,
        `           ${clip(f.evidence, 100)}${f.note ? `  (${f.note})` : ''}`,
      );
    }
    if (ordered.length > MAX_LISTED)
      lines.push(`  … and ${ordered.length - MAX_LISTED} more; use --json or --html for all.`);
  }
  if (result.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const w of result.warnings.slice(0, 20))
      lines.push(`  ${w.file}${w.entry !== undefined ? ` entry ${w.entry}` : ''}: ${w.message}`);
    if (result.warnings.length > 20) lines.push(`  … and ${result.warnings.length - 20} more`);
  }
  return lines.join('\n');
}
