// `candor conformance`: a collector that tests a client under development against docs/protocol.md.
import { writeFile } from 'node:fs/promises';
import { CONFORMANCE_PATHS, deviationLine, startConformanceCollector, summaryMarkdown } from '@candor/server';
import { parseCommandArgs } from '../errors.js';
import { loadRegistry } from '../registry/file.js';

const USAGE = `usage: candor conformance [options]

Runs a collector that stores nothing and checks every upload from a client under test against
docs/protocol.md: suite, envelope, key id, gzip, report schema, identifiers and personal data, registry values
and contribution bounds, days, fresh report ids, one report per day, and retries (the first readable upload is
answered 503 with Retry-After; the same reports must come again, resealed, no sooner). Point the client at the
printed URL. When the retry test is settled and an upload was accepted, it prints the summary and exits
0 (pass) or 1 (deviations found).

options:
  --registry FILE      the app's metrics file (YAML or JSON), as for candor serve; repeat it for several apps
                       (default: candor's example browser registry)
  --host HOST          listen address (default 127.0.0.1)
  --port N             port (default 8090; 0 picks a free one)
  --retry-after S      seconds asked for in the retry test's 503 (default 2)
  --retry-grace S      seconds past Retry-After before a retry counts as missing (default 60)
  --timeout S          give up and print the summary after S seconds (default 600)
  --keep-running       do not exit when the run is complete (Ctrl-C prints the summary)
  --json FILE          also write the summary as JSON
  --markdown FILE      also write the summary as Markdown`;

export async function run(argv: string[]): Promise<number> {
  const options = {
    registry: { type: 'string', multiple: true },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8090' },
    'retry-after': { type: 'string', default: '2' },
    'retry-grace': { type: 'string', default: '60' },
    timeout: { type: 'string', default: '600' },
    'keep-running': { type: 'boolean', default: false },
    json: { type: 'string' },
    markdown: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const values = parseCommandArgs('conformance', USAGE, argv, options);
  if (typeof values === 'number') return values;
  const numbers: Record<string, number> = {};
  for (const name of ['port', 'retry-after', 'retry-grace', 'timeout'] as const) {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) {
      console.error(`candor conformance: --${name} must be a number >= 0, got "${values[name]}"`);
      return 2;
    }
    numbers[name] = n;
  }

  const registries = [];
  for (const file of values.registry ?? []) registries.push(await loadRegistry(file));
  const collector = await startConformanceCollector({
    registries,
    host: values.host,
    port: numbers.port,
    retryAfterSeconds: numbers['retry-after'],
    retryGraceMs: (numbers['retry-grace'] ?? 60) * 1000,
    onUpload: (upload) => {
      const note = upload.retryTest ? ' (503 retry test)' : '';
      console.log(
        `upload ${upload.n}: ${upload.reports} report(s), answered ${upload.status}${note}, ${upload.deviations.length} deviation(s)`,
      );
      for (const d of upload.deviations) console.log(`  ${deviationLine(d)}`);
    },
  });
  console.log(`candor conformance collector on ${collector.url}`);
  console.log(`  point the client's collector URL here; summary at ${collector.url}${CONFORMANCE_PATHS.markdown}`);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = await new Promise<'complete' | 'timeout' | 'interrupted'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), (numbers.timeout ?? 600) * 1000);
    const stop = () => resolve('interrupted');
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (!values['keep-running']) {
      void collector.session.whenComplete().then(() => resolve('complete'));
    }
  });
  clearTimeout(timer);
  const summary = collector.summary();
  await collector.close();
  if (finished === 'timeout') console.log('\ntimed out before the run was complete');
  console.log(`\n${summaryMarkdown(summary)}`);
  if (values.json) await writeFile(values.json, `${JSON.stringify(summary, null, 2)}\n`);
  if (values.markdown) await writeFile(values.markdown, summaryMarkdown(summary));
  return summary.result === 'pass' ? 0 : 1;
}
