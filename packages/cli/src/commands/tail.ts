// `candor tail`: a development collector for checking an integration. It opens, checks and firewalls uploads
// exactly as `candor serve` does, prints each report (app, version, metrics and how much each holds) or the
// problem that rejected it, and stores nothing: no report reaches a query, so your own few reports are seen
// without lowering k or releasing anything.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry, type Report } from '@candor/protocol';
import { startCollector } from '@candor/server';
import { EXIT, parseCommandArgs } from '../errors.js';
import { loadRegistry } from '../registry/file.js';
import { allowedOrigins, SERVE_OPTIONS, toCollectorOptions } from './serve.js';

const USAGE = `usage: candor tail [options]

Runs a development collector that prints every upload as it arrives: each report's app, registry version,
day and metrics (with counts, not a record of anyone), or the problem that rejected it. Nothing is stored or
released to queries. Point your app's collector URL at it while you integrate, then switch to candor serve.

options:
  --host HOST           address to listen on (default 127.0.0.1)
  --port PORT           port (default 8080; 0 picks a free one)
  --registry FILE       your app's metrics file; repeatable (default: candor's example browser registry)
  --allow-origin ORIGIN let pages on ORIGIN upload (CORS); repeat or comma-separate
  --keys DIR            HPKE keys (default .candor/keys, the same keys candor serve uses)
  --json                one JSON line per upload instead of text
  -h, --help            this help`;

const TAIL_OPTIONS = {
  host: SERVE_OPTIONS.host,
  port: SERVE_OPTIONS.port,
  keys: SERVE_OPTIONS.keys,
  registry: SERVE_OPTIONS.registry,
  'allow-origin': SERVE_OPTIONS['allow-origin'],
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What one metric value holds, in a few words: its size, not a copy of the data. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `"${value}"`;
  if (Array.isArray(value)) return `${value.length} ${value.length === 1 ? 'entry' : 'entries'}`;
  if (typeof value === 'object' && value !== null) {
    const v = value as { count?: unknown; buckets?: unknown };
    if (typeof v.count === 'number' && typeof v.buckets === 'object') return `${v.count} samples`;
    const keys = Object.keys(value);
    return `${keys.length} ${keys.length === 1 ? 'key' : 'keys'}`;
  }
  return typeof value;
}

export function describeReport(report: Report): string {
  const metrics = Object.entries(report.metrics).map(([name, value]) => `${name}=${describeValue(value)}`);
  const head = `${report.app} ${report.registry}  app ${report.appVersion}  ${report.day}  ${report.system.os} ${report.system.osMajor}`;
  return `${head}  ${metrics.length ? metrics.join(' ') : '(active, no values)'}`;
}

export async function run(argv: string[]): Promise<number> {
  const values = parseCommandArgs('tail', USAGE, argv, TAIL_OPTIONS);
  if (typeof values === 'number') return values;
  const base = toCollectorOptions({ host: values.host, port: values.port, keys: values.keys });
  const registries = [];
  const warn = (line: string) => console.error(`candor tail: ${line}`);
  for (const file of values.registry ?? []) registries.push(await loadRegistry(file, undefined, warn));
  if (registries.length === 0) registries.push(candorBrowserRegistry);
  const time = () => new Date().toISOString().slice(11, 19);
  const print = (line: Record<string, unknown>, text: string) =>
    console.log(values.json ? JSON.stringify({ time: new Date().toISOString(), ...line }) : `${time()}  ${text}`);
  // Dedupe state stays out of the serve collector's folder, so the two never overwrite each other's.
  const stateDir = await mkdtemp(join(tmpdir(), 'candor-tail-'));
  const collector = await startCollector({
    ...base,
    registries,
    allowOrigins: allowedOrigins(values['allow-origin']),
    store: 'duckdb::memory:',
    stateDir,
    createQueryToken: false,
    dashboardDir: null,
    rateLimit: false,
    log: { level: 'warn' },
    sink: {
      async accept(reports) {
        for (const report of reports) print({ accepted: report }, `report    ${describeReport(report)}`);
      },
      async close() {},
    },
    onAnswer(answer) {
      if (answer.status < 300) {
        const { accepted, duplicates } = JSON.parse(answer.body) as { accepted: number; duplicates: number };
        print(
          { status: answer.status, accepted, duplicates },
          `accepted  ${accepted} report(s)${duplicates ? `, ${duplicates} duplicate(s) dropped` : ''}`,
        );
        return;
      }
      const problem = JSON.parse(answer.body) as { type: string; detail?: string; title: string };
      print(
        { status: answer.status, problem },
        `REJECTED  ${answer.status} ${problem.type.replace(/^https:\/\/candor\.dev\/problems\//, '')}: ${problem.detail ?? problem.title}`,
      );
    },
  }).catch(async (error: unknown) => {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  });
  console.error(`candor tail: development collector on ${collector.url} (stores nothing; Ctrl-C to stop)`);
  console.error(`  apps: ${registries.map((r) => `${r.app} ${r.version}`).join(', ')}`);
  console.error(`  point your app at collector: '${collector.url}'; each upload is printed below`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await collector.close();
  await rm(stateDir, { recursive: true, force: true });
  return EXIT.ok;
}
