// The inspection threads run only from the compiled collector (ingest/pool.ts loads dist/ingest/worker.js), so
// this test starts the built package: the threads must store exactly what the main thread alone stores.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEVICE_DAYS_METRIC, headerKeyId, type Report, type ReportBatch } from '@candor/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Server from '../index.js';
import type { CellLine } from '../release/types.js';
import { postRaw, sealForCollector } from '../testing/client.js';
import { sampleBatch, seededRandom } from '../testing/reports.js';

const BUILT = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
if (!existsSync(BUILT)) {
  const message = `inspection thread test: ${BUILT} is missing; run \`npm run build\` first`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n*** SKIPPED: ${message} ***\n`);
}

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-pool-'));
  dirs.push(dir);
  return dir;
}

/** The built collector with `workers` inspection threads (0: all on the main thread), storing in memory. */
async function start(keysDir: string, workers: number) {
  const { startCollector } = (await import(BUILT)) as typeof Server;
  return startCollector({
    keysDir,
    store: 'duckdb::memory:',
    rateLimit: false,
    dashboardDir: null,
    log: { level: 'silent' },
    workers,
  });
}

/**
 * Uploads in order, answered one after another: a batch with a report twice, its replay, a fresh one, one holding
 * a stored report among new ones, a bad one.
 */
function uploads(): (ReportBatch | string)[] {
  const random = seededRandom(31);
  const first = sampleBatch(8, random);
  const withCopy = { ...first, reports: [...first.reports, first.reports[2] as Report] };
  const second = sampleBatch(6, random);
  const mixed = { ...second, reports: [...sampleBatch(3, random).reports, first.reports[5] as Report] };
  const overBound = sampleBatch(2, random);
  (overBound.reports[0] as Report).metrics['page_load.count'] = 10 ** 9;
  return [withCopy, JSON.stringify(withCopy), second, mixed, overBound, 'not json'];
}

async function run(workers: number): Promise<{ answers: string[]; lines: CellLine[] }> {
  const collector = await start(join(await tempDir(), 'keys'), workers);
  try {
    const answers: string[] = [];
    for (const batch of uploads()) {
      const answer = await postRaw(collector.url, await sealForCollector(collector.url, batch));
      const body = JSON.parse(answer.body) as { accepted?: number; duplicates?: number; type?: string };
      answers.push(`${answer.status} ${body.type?.split('/').pop() ?? `${body.accepted}/${body.duplicates}`}`);
    }
    const day = (uploads()[2] as ReportBatch).reports[0]?.day as string;
    const lines = await collector.store.dayLines('candor-browser', day);
    return { answers, lines };
  } finally {
    await collector.close();
  }
}

describe.skipIf(!existsSync(BUILT))('inspection threads', () => {
  it('store the same rows and answer the same as the main thread alone', async () => {
    const threaded = await run(2);
    const alone = await run(0);
    expect(threaded.answers).toEqual([
      '202 8/1',
      '202 0/9',
      '202 6/0',
      '202 3/1',
      '422 invalid-value',
      '400 malformed',
    ]);
    expect(alone.answers).toEqual(threaded.answers);
    // 17 distinct reports were stored, each once.
    const deviceDays = threaded.lines.filter((l) => l.metric === DEVICE_DAYS_METRIC && l.by === 'day');
    expect(deviceDays).toHaveLength(1);
    expect(deviceDays[0]).toMatchObject({ reports: 17 });
    expect(threaded.lines).toEqual(alone.lines);
  });

  it('accept an upload sealed to a key rotated in moments ago, which the threads have not read yet', async () => {
    const { rotateKeys } = (await import(BUILT)) as typeof Server;
    const keysDir = join(await tempDir(), 'keys');
    const collector = await start(keysDir, 2);
    try {
      // `candor keys rotate`, then SIGHUP: the collector serves the new key at once; each thread re-reads its own
      // copy of the keys at most every few seconds, and read it when it started, just now.
      const rotated = await rotateKeys(keysDir, 60_000);
      await collector.reloadKeys();
      const sealed = await sealForCollector(collector.url, sampleBatch(3, seededRandom(7)));
      expect(headerKeyId(sealed)).toBe(rotated.id);
      const answer = await postRaw(collector.url, sealed);
      expect({ status: answer.status, body: JSON.parse(answer.body) }).toEqual({
        status: 202,
        body: { accepted: 3, duplicates: 0 },
      });
    } finally {
      await collector.close();
    }
  });
});
