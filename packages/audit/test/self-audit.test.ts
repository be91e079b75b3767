// The self-audit: every request candor's own SDK makes during a simulated fleet run (private-mode browsing
// included, consenting and refusing phones alike) is recorded as a HAR, written to disk and audited like any
// other app's capture. The audit that names the leaks in the fixtures must find nothing here.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AuditResult, auditFiles, type Exchange, harFromExchanges, recordingFetch } from '@candor/audit';
import { candorBrowserRegistry, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { createCandor } from '@candor/sdk';
import { type Collector, startCollector } from '@candor/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simulateFleet } from '../../cli/src/simulate/fleet.js';
import { tempDir } from './helpers.js';

let collector: Collector;
let exchanges: Exchange[];
let result: AuditResult;
let privateOnly: Exchange[];
const dir = tempDir();

/** The simulated fleet's clock; the collector shares it so the days it reports fall in the accepted window. */
const NOW = Date.UTC(2026, 10, 22, 12);

beforeAll(async () => {
  collector = await startCollector({
    port: 0,
    keysDir: join(dir, 'keys'),
    k: 5,
    rateLimit: false,
    log: { level: 'silent' },
    now: () => NOW,
  });
  const recorder = recordingFetch(fetch);
  const fleet = await simulateFleet({
    target: collector.url,
    devices: 40,
    minutes: 8,
    days: 3,
    seed: 11,
    now: NOW,
    fetch: recorder.fetch,
  });
  expect(fleet.activity.privatePageLoads).toBeGreaterThan(0);
  expect(fleet.uploadsAccepted).toBeGreaterThan(0);

  // One phone used only in private mode, from its first moment: it must not even fetch the collector's keys.
  const quiet = recordingFetch(fetch);
  const phone = createCandor({
    registry: candorBrowserRegistry,
    collector: collector.url,
    appVersion: '3.4',
    system: { modelFamily: 'redmi note', os: 'android', osMajor: 10, language: 'en' },
    consent: { regime: 'opt-in' },
    mode: 'production',
    fetch: quiet.fetch,
    flushIntervalMs: 0,
  });
  phone.setPrivate(true);
  phone.setConsent('granted');
  phone.counter('page_load.count').add(3);
  phone.site('page_load.time_by_site').record('https://mail.example.org/inbox/4711?q=secret', 1200);
  await phone.flush();
  await phone.shutdown();
  privateOnly = quiet.exchanges;

  exchanges = recorder.exchanges;
  const file = join(dir, 'candor-sdk.har');
  writeFileSync(
    file,
    JSON.stringify(harFromExchanges([...exchanges, ...privateOnly], { name: 'candor self-audit', version: '1' })),
  );
  result = await auditFiles([file]);
}, 120_000);

afterAll(async () => {
  await collector?.close();
});

it('records the SDK traffic: key fetches and sealed report uploads', () => {
  const paths = new Set(exchanges.map((x) => `${x.method} ${new URL(x.url).pathname}`));
  expect(paths).toEqual(new Set(['GET /v1/keys', 'POST /v1/reports']));
  const uploads = exchanges.filter((x) => x.method === 'POST');
  expect(uploads.length).toBeGreaterThan(20);
  for (const upload of uploads) {
    expect(upload.requestHeaders?.find(([name]) => name.toLowerCase() === 'content-type')?.[1]).toBe(
      SEALED_CONTENT_TYPE,
    );
    expect(upload.status).toBeLessThan(300);
  }
  expect(result.requests).toBe(exchanges.length + privateOnly.length);
});

it('private-mode-only use sends nothing at all', () => {
  expect(privateOnly).toEqual([]);
});

it('finds nothing in candor’s own traffic', () => {
  expect(result.findings).toEqual([]);
  expect(result.warnings).toEqual([]);
  expect(result.summary.findings).toBe(0);
});

it('would notice if the SDK ever sent an install id: the same traffic with one added is flagged', async () => {
  const installId = 'c0ffee00-1234-4abc-9def-00112233aabb';
  const tagged = exchanges.map((x) => ({
    ...x,
    requestHeaders: [...(x.requestHeaders ?? []), ['X-Install-Id', installId] as [string, string]],
  }));
  const file = join(dir, 'tagged.har');
  writeFileSync(file, JSON.stringify(harFromExchanges(tagged)));
  const flagged = await auditFiles([file]);
  const categories = new Set(flagged.findings.map((f) => `${f.category}/${f.detector}`));
  expect(categories).toEqual(new Set(['persistent-id/device-id-field', 'persistent-id/recurs-across-requests']));
  expect(flagged.findings.filter((f) => f.detector === 'recurs-across-requests')).toHaveLength(tagged.length);
});
