import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { AuditResult } from '../audit.js';
import { CATEGORIES } from '../detect/types.js';
import { groupFindings } from './group.js';

const MAX_ROWS = 5000;

const SEVERITY_COLOURS: Record<string, string> = {
  critical: '#9b1c1c',
  high: '#c2410c',
  medium: '#a16207',
  low: '#4b5563',
};

let chartSource: string | undefined;

/** chart.js's UMD build, read from the installed package so the report needs no network. */
function chartJs(): string {
  if (chartSource === undefined) {
    const entry = createRequire(import.meta.url).resolve('chart.js');
    chartSource = readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
  }
  return chartSource;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON placed inside a <script> element: "<" is escaped so no value can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** A self-contained report: totals, a bar chart of categories per destination, and every finding. */
export function renderHtml(result: AuditResult): string {
  const charts = result.domains
    .filter((d) => d.findings > 0)
    .map((d, i) => ({
      id: `chart-${i}`,
      domain: d.domain,
      labels: CATEGORIES.filter((c) => d.categories[c]),
      counts: CATEGORIES.filter((c) => d.categories[c]).map((c) => d.categories[c] ?? 0),
    }));
  const destinations = result.domains
    .map((d) => {
      const chart = charts.find((c) => c.domain === d.domain);
      return `<section class="destination">
  <h3>${escapeHtml(d.domain)} ${d.maxSeverity ? `<span class="sev" style="background:${SEVERITY_COLOURS[d.maxSeverity]}">${d.maxSeverity}</span>` : ''}</h3>
  <p>${d.requests} request(s) to ${d.hosts.map(escapeHtml).join(', ')}${d.countries.length ? `; servers in ${d.countries.map(escapeHtml).join(', ')}` : ''}; ${d.findings} finding(s)</p>
  ${chart ? `<div class="chart"><canvas id="${chart.id}" role="img" aria-label="findings by category sent to ${escapeHtml(d.domain)}"></canvas></div>` : '<p>Nothing personal found.</p>'}
</section>`;
    })
    .join('\n');
  const groups = groupFindings(result.findings);
  const rows = groups
    .slice(0, MAX_ROWS)
    .map(({ first: f, field, count }) => {
      const where = `${escapeHtml(basename(f.file))}#${f.entry}${count > 1 ? `<br><small>and ${count - 1} more</small>` : ''}`;
      return `<tr><td><span class="sev" style="background:${SEVERITY_COLOURS[f.severity]}">${f.severity}</span></td><td>${escapeHtml(f.category)}<br><small>${escapeHtml(f.detector)}</small></td><td>${where}</td><td>${escapeHtml(f.host)}</td><td>${f.location}</td><td><code>${escapeHtml(field)}</code></td><td>${escapeHtml(f.decoding.join(' › '))}</td><td><code>${escapeHtml(f.evidence)}</code>${f.note ? `<br><small>${escapeHtml(f.note)}</small>` : ''}</td></tr>`;
    })
    .join('\n');
  const more =
    groups.length > MAX_ROWS
      ? `<p>… and ${groups.length - MAX_ROWS} more kinds of finding; the JSON report (--json) lists every one.</p>`
      : '';
  const warnings = result.warnings
    .map(
      (w) =>
        `<li>${escapeHtml(w.file)}${w.entry !== undefined ? ` entry ${w.entry}` : ''}: ${escapeHtml(w.message)}</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>candor audit report</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #111; }
.sev { color: #fff; border-radius: 3px; padding: 0 .4em; font-size: .8em; text-transform: uppercase; }
.destinations { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 1rem; }
.destination { border: 1px solid #ddd; border-radius: 6px; padding: .5rem 1rem; }
.chart { position: relative; height: 12rem; }
table { border-collapse: collapse; width: 100%; font-size: .9em; }
td, th { border-bottom: 1px solid #eee; padding: .3rem; text-align: left; vertical-align: top; }
code { word-break: break-all; }
</style>
</head>
<body>
<h1>candor audit</h1>
<p>${result.files.length} file(s), ${result.requests} request(s). ${result.summary.findings} finding(s): ${['critical', 'high', 'medium', 'low'].map((s) => `${result.summary.bySeverity[s as 'low']} ${s}`).join(', ')}.</p>
<h2>Destinations</h2>
<div class="destinations">
${destinations}
</div>
<h2>Findings</h2>\n<p>The same leak repeated (same category, host and field) is shown once, with the first entry it was found in.</p>
<table>
<thead><tr><th>severity</th><th>category</th><th>first entry</th><th>host</th><th>location</th><th>field</th><th>decoding</th><th>evidence</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${more}
${warnings ? `<h2>Warnings</h2><ul>${warnings}</ul>` : ''}
<script>${chartJs().replace(/<\/script/gi, '<\\/script')}</script>
<script id="chart-data" type="application/json">${scriptJson(charts)}</script>
<script>
for (const c of JSON.parse(document.getElementById('chart-data').textContent)) {
  new Chart(document.getElementById(c.id), {
    type: 'bar',
    data: { labels: c.labels, datasets: [{ label: 'findings sent to ' + c.domain, data: c.counts, backgroundColor: '#c2410c' }] },
    options: { indexAxis: 'y', maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}
</script>
</body>
</html>
`;
}
