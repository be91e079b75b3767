// The conformance collector against clients that break one rule each: every deviation must be named, and a
// client that follows docs/protocol.md must pass. The collector's clock is a fake one the test moves, so the
// retry test needs no waiting.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { defineRegistry, encodeHeader, infoFor, PATHS, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { sealBase } from '../open/hpke.js';
import { type ConformanceCollector, startConformanceCollector } from './server.js';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const YESTERDAY = '2026-11-21';

function report(overrides: Record<string, unknown> = {}, metrics: Record<string, unknown> = { 'page_load.count': 3 }) {
  return {
    id: randomBytes(16).toString('hex'),
    app: 'candor-browser',
    appVersion: '3.4',
    registry: '2026.11.1',
    day: YESTERDAY,
    kind: 'daily',
    system: { modelFamily: 'pixel', os: 'android', osMajor: 14, language: 'en' },
    metrics,
    ...overrides,
  };
}

interface SealOptions {
  info?: (header: Uint8Array) => Uint8Array;
  header?: Uint8Array;
  ephemeral?: Uint8Array;
  gzip?: boolean;
}

let collector: ConformanceCollector | null = null;
let clock = NOW;
afterEach(async () => {
  await collector?.close();
  collector = null;
});

async function start(retryAfterSeconds = 2, retryGraceMs = 60_000) {
  clock = NOW;
  collector = await startConformanceCollector({ retryAfterSeconds, retryGraceMs, now: () => clock });
  const keys = (await (await fetch(collector.url + PATHS.keys)).json()) as {
    keys: { id: number; publicKey: string }[];
  };
  const key = keys.keys[0] as { id: number; publicKey: string };
  const c = collector;
  const send = async (reports: unknown[], options: SealOptions = {}, headers: Record<string, string> = {}) => {
    const header = options.header ?? encodeHeader(key.id);
    const json = Buffer.from(JSON.stringify({ v: 1, reports }));
    const { enc, ciphertext } = sealBase(
      Buffer.from(key.publicKey, 'base64url'),
      (options.info ?? infoFor)(header),
      new Uint8Array(0),
      options.gzip === false ? json : gzipSync(json),
      options.ephemeral,
    );
    const response = await fetch(c.url + PATHS.reports, {
      method: 'POST',
      headers: { 'content-type': SEALED_CONTENT_TYPE, ...headers },
      body: new Uint8Array(Buffer.concat([header, enc, ciphertext])),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after') };
  };
  return { collector: c, send };
}

const rulesFailed = (c: ConformanceCollector) =>
  c
    .summary()
    .rules.filter((r) => r.result === 'fail')
    .map((r) => r.rule);
const deviations = (c: ConformanceCollector) => c.summary().uploads.flatMap((u) => u.deviations);

describe('candor conformance', () => {
  it('passes a client that follows the protocol: 503 with Retry-After, then the same reports resealed', async () => {
    const { collector, send } = await start();
    const reports = [report()];
    expect(await send(reports)).toEqual({ status: 503, retryAfter: '2' });
    clock += 2_000;
    expect((await send(reports)).status).toBe(202);
    await collector.session.whenComplete();
    const summary = collector.summary();
    expect(summary.result).toBe('pass');
    expect(summary.rules.every((r) => r.result === 'pass')).toBe(true);
  });

  it('names a retry sooner than Retry-After', async () => {
    const { collector, send } = await start();
    const reports = [report()];
    await send(reports);
    clock += 500;
    await send(reports);
    expect(rulesFailed(collector)).toEqual(['retry.honoured']);
    expect(deviations(collector)[0]?.detail).toMatch(/retried after 0\.5 s; Retry-After asked for 2 s/);
  });

  it('names a client that never retries', async () => {
    // The deadline runs on real timers: with Retry-After 0 and no grace it passes at once.
    const { collector, send } = await start(0, 0);
    await send([report()]);
    await collector.session.whenComplete();
    expect(rulesFailed(collector)).toEqual(['retry.honoured']);
    expect(collector.summary().sessionDeviations[0]?.detail).toMatch(/no retry within/);
  });

  it('names the wrong suite, the wrong info bytes and a missing gzip', async () => {
    const { collector, send } = await start();
    const suite = Buffer.from(encodeHeader(1));
    suite[6] = 2;
    await send([report()], { header: suite });
    await send([report()], {
      info: (h) => Buffer.concat([Buffer.from('candor report v1'), h]),
    });
    await send([report()], { gzip: false });
    const found = deviations(collector);
    expect(found.map((d) => d.rule)).toEqual(['envelope.suite', 'envelope.opens', 'compression.gzip']);
    expect(found[1]?.detail).toMatch(/info lacks the 0x00 separator/);
    expect(found[2]?.detail).toMatch(/the plaintext is JSON, not gzip/);
  });

  it('names id-like values, unbounded counts, days outside the window and a day not yet ended', async () => {
    const { collector, send } = await start();
    await send([report({ deviceId: 'f3b1c2d4e5a6978812345678' })]);
    await send([report({}, { 'page_load.count': 5000 })]);
    await send([report({ day: '2026-11-10' })]);
    await send([report({ day: '2026-11-22' })]);
    const found = deviations(collector);
    expect(found).toEqual([
      expect.objectContaining({ rule: 'batch.schema', field: '0' }),
      expect.objectContaining({ rule: 'report.personal-data', metric: '(report)', field: 'deviceId' }),
      expect.objectContaining({ rule: 'report.values', metric: 'page_load.count', field: '' }),
      expect.objectContaining({ rule: 'report.values', metric: '(report)', field: 'day' }),
      expect.objectContaining({ rule: 'report.day-ended', field: '0.day' }),
    ]);
  });

  it('names a reused ephemeral key, a reused report id, a second report for one day and a cookie', async () => {
    const { collector, send } = await start();
    const first = [report()];
    await send(first);
    clock += 2_000;
    await send(first); // the retry: accepted
    const ephemeral = randomBytes(32);
    await send([report({ day: '2026-11-20' })], { ephemeral });
    await send([report({ day: '2026-11-19' })], { ephemeral });
    await send(first);
    await send([report()], {}, { cookie: 'session=1' });
    expect(rulesFailed(collector).sort()).toEqual(
      ['envelope.fresh-ephemeral', 'report.ids', 'report.one-per-day', 'upload.headers'].sort(),
    );
  });

  it("checks an app's own registry and its bounds, and refuses another app's reports", async () => {
    const registry = defineRegistry({
      app: 'notes',
      version: '2026.11.1',
      metrics: {
        'notes.saved': {
          type: 'counter',
          category: 'ui',
          description: 'Notes saved in a day.',
          purpose: 'Know whether saving works.',
          sensitivity: 'interaction',
          owner: 'notes@example.com',
          expires: 'never',
          max: 50,
        },
      },
    });
    clock = NOW;
    collector = await startConformanceCollector({ registries: [registry], now: () => clock });
    const c = collector;
    const key = ((await (await fetch(c.url + PATHS.keys)).json()) as { keys: { id: number; publicKey: string }[] })
      .keys[0] as { id: number; publicKey: string };
    const post = async (reports: unknown[]) => {
      const header = encodeHeader(key.id);
      const json = gzipSync(JSON.stringify({ v: 1, reports }));
      const { enc, ciphertext } = sealBase(
        Buffer.from(key.publicKey, 'base64url'),
        infoFor(header),
        new Uint8Array(0),
        json,
      );
      const body = new Uint8Array(Buffer.concat([header, enc, ciphertext]));
      return (
        await fetch(c.url + PATHS.reports, { method: 'POST', headers: { 'content-type': SEALED_CONTENT_TYPE }, body })
      ).status;
    };
    const notes = report({ app: 'notes', registry: '2026.11.1' }, { 'notes.saved': 51 });
    expect(await post([notes])).toBe(422);
    expect(await post([report()])).toBe(422);
    expect(deviations(c)).toEqual([
      expect.objectContaining({ rule: 'report.values', metric: 'notes.saved' }),
      expect.objectContaining({ rule: 'report.values', field: 'app' }),
    ]);
  });
});
