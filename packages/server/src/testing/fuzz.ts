import { type KeyConfigList, PATHS, SEALED_CONTENT_TYPE } from '@candor/protocol';
import fc from 'fast-check';
import type { Collector } from '../collector.js';
import { sealEnvelope } from '../open/envelope.js';
import { DuckDbStore } from '../store/duckdb/store.js';
import { HOSTILE_APP_VERSION, type HostileCase, hostileCase, sealCase } from './hostile-uploads.js';
import { sampleBatch, seededRandom } from './reports.js';

export interface FuzzResult {
  cases: number;
  /** Answers to hostile uploads by status code. */
  statuses: Record<number, number>;
  /** Hostile cases answered 5xx or 2xx, with the case, for the first few. */
  failures: { status: number; attack: string }[];
  honestSent: number;
  honestAccepted: number;
  /** Stored rows carrying the hostile app version: must be 0. */
  hostileRowsStored: number;
  /** Honest reports stored (counted in the store) and accepted (counted from the answers): must be equal. */
  honestReportsStored: number;
  honestReportsAccepted: number;
  peakRssBytes: number;
  seconds: number;
}

/**
 * Runs `cases` hostile uploads (fast-check, sealed for real) through a running collector in-process, with one
 * honest upload of two reports among every `honestEvery` hostile ones, and counts what happened. Used by the
 * fuzz test and `candor bench fuzz`.
 */
export async function fuzzCollector(
  collector: Collector,
  options: {
    cases: number;
    seed?: number;
    honestEvery?: number;
    /** Hostile uploads in flight at once. Default 16. */
    concurrency?: number;
    onProgress?: (done: number) => void;
  },
): Promise<FuzzResult> {
  const { keys } = (await (await collector.handle(new Request(collector.url + PATHS.keys))).json()) as KeyConfigList;
  const key = keys[0];
  if (!key) throw new Error('collector serves no key');
  const publicKey = Buffer.from(key.publicKey, 'base64url');
  const honestEvery = options.honestEvery ?? 100;
  const random = seededRandom(options.seed ?? 1);
  const statuses: Record<number, number> = {};
  const failures: { status: number; attack: string }[] = [];
  let done = 0;
  let honestSent = 0;
  let honestAccepted = 0;
  let honestReports = 0;
  let peakRss = process.memoryUsage().rss;
  const started = performance.now();

  const sendHonest = async () => {
    const batch = sampleBatch(2, random);
    const response = await collector.handle(
      new Request(`${collector.url}${PATHS.reports}`, {
        method: 'POST',
        headers: { 'content-type': SEALED_CONTENT_TYPE },
        body: new Uint8Array(sealEnvelope(key.id, publicKey, JSON.stringify(batch))),
      }),
    );
    honestSent++;
    if (response.status === 202) {
      honestAccepted++;
      honestReports += batch.reports.length;
    }
    await response.arrayBuffer();
  };

  const send = async (c: HostileCase) => {
    const response = await collector.handle(sealCase(collector.url, key.id, publicKey, c));
    await response.arrayBuffer();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    const refused = response.status >= 400 && response.status < 500;
    if (!refused && failures.length < 20) failures.push({ status: response.status, attack: c.attack });
  };
  // Cases are drawn in chunks and sent `concurrency` at a time with an honest upload in each chunk, so hostile
  // and honest uploads share group commits and inspection threads as they would in production.
  const seed = options.seed ?? 1;
  const concurrency = options.concurrency ?? 16;
  for (let chunk = 0; done < options.cases; chunk++) {
    const size = Math.min(honestEvery, options.cases - done);
    const cases = fc.sample(hostileCase, { numRuns: size, seed: seed + chunk });
    let next = 0;
    await Promise.all([
      sendHonest(),
      ...Array.from({ length: Math.min(concurrency, size) }, async () => {
        while (next < cases.length) await send(cases[next++] as HostileCase);
      }),
    ]);
    done += size;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    options.onProgress?.(done);
  }

  let hostileRowsStored = -1;
  let honestReportsStored = -1;
  if (collector.store instanceof DuckDbStore) {
    await collector.store.flush();
    const count = async (sql: string) =>
      Number((await (collector.store as DuckDbStore).connection.runAndReadAll(sql)).getRowsJS()[0]?.[0]);
    hostileRowsStored = await count(`SELECT count(*) FROM samples WHERE app_version = '${HOSTILE_APP_VERSION}'`);
    honestReportsStored = await count(
      "SELECT coalesce(sum(reports), 0) FROM samples WHERE metric = 'page_load.count' AND bucket = -1",
    );
  }
  return {
    cases: done,
    statuses,
    failures,
    honestSent,
    honestAccepted,
    hostileRowsStored,
    honestReportsStored,
    honestReportsAccepted: honestReports,
    peakRssBytes: peakRss,
    seconds: (performance.now() - started) / 1000,
  };
}
