// `candor bench fuzz [--cases N]`: property-based fuzzing of ingest with hostile uploads sealed for real
// (fast-check; generator in @candor/server testing/hostile-uploads.ts), honest uploads interleaved. Default
// 1,000,000 cases; every figure below must hold for the run to pass (exit code 1 otherwise).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector } from '@candor/server';
import { fuzzCollector } from '@candor/server/testing/fuzz';

const DEFAULT_CASES = 1_000_000;

function casesFrom(flags: string[]): number {
  const flag = flags.find((f) => f.startsWith('--cases'));
  if (!flag) return DEFAULT_CASES;
  const value = Number(flag.split('=')[1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--cases: "${flag}" needs a positive integer`);
  return value;
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

export async function benchFuzz(flags: string[]): Promise<void> {
  const cases = casesFrom(flags);
  const dir = await mkdtemp(join(tmpdir(), 'candor-bench-fuzz-'));
  const collector = await startCollector({
    keysDir: join(dir, 'keys'),
    store: `duckdb:${join(dir, 'fuzz.duckdb')}`,
    dashboardDir: null,
    rateLimit: false,
    log: { level: 'silent' },
  });
  try {
    const step = Math.max(1, Math.floor(cases / 10));
    let printed = 0;
    const result = await fuzzCollector(collector, {
      cases,
      seed: Date.now() % 2 ** 31,
      onProgress: (done) => {
        if (done - printed >= step) {
          printed = done;
          process.stdout.write(`  ${fmt(done)} cases...\n`);
        }
      },
    });
    const serverErrors = Object.entries(result.statuses)
      .filter(([status]) => Number(status) >= 500)
      .reduce((n, [, count]) => n + count, 0);
    const accepted = Object.entries(result.statuses)
      .filter(([status]) => Number(status) < 400)
      .reduce((n, [, count]) => n + count, 0);
    const honestOk =
      result.honestAccepted === result.honestSent && result.honestReportsStored === result.honestReportsAccepted;
    console.log(
      `cases                         ${fmt(result.cases)} hostile uploads in ${result.seconds.toFixed(1)} s (${fmt(result.cases / result.seconds)}/s)`,
    );
    console.log(
      `statuses                      ${Object.entries(result.statuses)
        .map(([status, count]) => `${status}: ${fmt(count)}`)
        .join(', ')}`,
    );
    console.log(`5xx                           ${fmt(serverErrors)}   (must be 0)`);
    console.log(`hostile uploads accepted      ${fmt(accepted)}   (must be 0)`);
    console.log(`rows stored from hostile input ${fmt(result.hostileRowsStored)}   (must be 0)`);
    console.log(`peak memory (RSS)             ${fmt(result.peakRssBytes / 2 ** 20)} MiB`);
    console.log(
      `honest uploads interleaved    ${fmt(result.honestAccepted)} of ${fmt(result.honestSent)} accepted, ${fmt(result.honestReportsStored)} of ${fmt(result.honestReportsAccepted)} reports stored: ${honestOk ? 'all accepted' : 'NOT all accepted'}`,
    );
    for (const f of result.failures) console.log(`  failure: ${f.attack} answered ${f.status}`);
    if (serverErrors || accepted || result.hostileRowsStored !== 0 || !honestOk) process.exitCode = 1;
  } finally {
    await collector.close();
    await rm(dir, { recursive: true, force: true });
  }
}
