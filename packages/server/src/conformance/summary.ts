import type { ConformanceSummary } from './session.js';

const MARK = { pass: 'pass', fail: '**FAIL**', untested: 'not reached' } as const;

/** The summary as Markdown, to attach to a review. */
export function summaryMarkdown(summary: ConformanceSummary): string {
  const lines = [
    `# candor conformance: ${summary.result === 'pass' ? 'PASS' : 'FAIL'}`,
    '',
    `Protocol ${summary.protocol}; run ${summary.startedAt} to ${summary.finishedAt}; ${summary.uploads.length} upload(s), ${summary.keyFetches} key fetch(es).`,
    '',
    '| rule | what the client must do | result |',
    '| --- | --- | --- |',
    ...summary.rules.map(
      (r) =>
        `| ${r.rule} | ${r.title.replaceAll('|', '\\|')} | ${MARK[r.result]}${r.deviations ? ` (${r.deviations})` : ''} |`,
    ),
    '',
    '## Uploads',
    '',
  ];
  for (const upload of summary.uploads) {
    const note = upload.retryTest ? ' with Retry-After: the retry test' : '';
    lines.push(
      `- upload ${upload.n} at +${(upload.atMs / 1000).toFixed(1)} s: ${upload.reports} report(s), answered ${upload.status}${note}`,
    );
    for (const d of upload.deviations) lines.push(`  - ${deviationLine(d)}`);
  }
  if (summary.sessionDeviations.length) {
    lines.push('', '## Across uploads', '');
    for (const d of summary.sessionDeviations) lines.push(`- ${deviationLine(d)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function deviationLine(d: { rule: string; detail: string; metric?: string; field?: string }): string {
  const where = [d.metric, d.field].filter(Boolean).join(' ');
  return `${d.rule}: ${d.detail}${where ? ` [${where}]` : ''}`;
}
