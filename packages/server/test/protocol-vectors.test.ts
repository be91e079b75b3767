// The collector against the protocol's vectors (packages/protocol/vectors/v1): it opens every published envelope
// to its plaintext, seals the same bytes with the fixed ephemeral key, and gives every report vector its
// published verdict, both through createVerdictChecker and over HTTP from a running collector.

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { candorBrowserRegistry, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerdictChecker } from '../src/conformance/verdict.js';
import { type Collector, HpkeRecipient, openEnvelope, sealBase, sealEnvelope, startCollector } from '../src/index.js';
import { writePrivateFile } from '../src/keys/files.js';

const vector = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../protocol/vectors/v1/${name}`, import.meta.url), 'utf8'));

interface EnvelopeVector {
  name: string;
  keyId: number;
  recipientPrivateKey: string;
  recipientPublicKey: string;
  ephemeralPrivateKey: string;
  enc: string;
  info: string;
  sharedSecret: string;
  key: string;
  baseNonce: string;
  json: string;
  plaintext: string;
  sealed: string;
}
interface RefusedEnvelope {
  name: string;
  sealed: string;
  status: number;
  type: string;
}
interface ReportVector {
  name: string;
  receivedAt: string;
  batch: { reports: { day?: unknown }[] };
  expect: { status: number; accepted?: number; type?: string; metric?: string; field?: string; detector?: string };
}

const envelopes = vector('envelopes.json') as { accepted: EnvelopeVector[]; refused: RefusedEnvelope[] };
const reports = vector('reports.json') as ReportVector[];
const bytes = (hex: string) => Buffer.from(hex, 'hex');

describe('protocol vectors: envelopes, opened by the collector', () => {
  it.each(envelopes.accepted.map((v) => [v.name, v] as const))('%s', (_, v) => {
    const recipient = new HpkeRecipient(bytes(v.recipientPrivateKey));
    expect(recipient.publicKey.toString('hex')).toBe(v.recipientPublicKey);
    const schedule = recipient.setup(bytes(v.enc), bytes(v.info));
    expect(schedule.sharedSecret.toString('hex')).toBe(v.sharedSecret);
    expect(schedule.key.toString('hex')).toBe(v.key);
    expect(schedule.baseNonce.toString('hex')).toBe(v.baseNonce);
    const opened = openEnvelope(bytes(v.sealed), (id) => (id === v.keyId ? recipient : undefined), 1 << 20);
    expect(opened.ok && opened.plaintext.toString('utf8')).toBe(v.json);
    // The collector's own node:crypto seal, given the same ephemeral key, makes the same bytes.
    const { enc, ciphertext } = sealBase(
      bytes(v.recipientPublicKey),
      bytes(v.info),
      new Uint8Array(0),
      bytes(v.plaintext),
      bytes(v.ephemeralPrivateKey),
    );
    expect(Buffer.concat([bytes(v.sealed).subarray(0, 7), enc, ciphertext]).toString('hex')).toBe(v.sealed);
    expect(gunzipSync(bytes(v.plaintext)).toString('utf8')).toBe(v.json);
  });
});

describe('protocol vectors: report verdicts', () => {
  it.each(reports.map((r) => [r.name, r] as const))('%s', async (_, r) => {
    const verdict = createVerdictChecker({ registry: candorBrowserRegistry, now: () => Date.parse(r.receivedAt) });
    expect(await verdict(r.batch)).toMatchObject(r.expect);
  });
});

/** Moves every report's day by the days between the vector's receivedAt and now, so day checks see the same gap. */
function shiftDays(batch: ReportVector['batch'], receivedAt: string): unknown {
  const DAY_MS = 86_400_000;
  const shift = Math.floor(Date.now() / DAY_MS) - Math.floor(Date.parse(receivedAt) / DAY_MS);
  return {
    ...batch,
    reports: batch.reports.map((report) => {
      const day = typeof report.day === 'string' ? Date.parse(`${report.day}T00:00:00Z`) : Number.NaN;
      return Number.isNaN(day) ? report : { ...report, day: new Date(day + shift * DAY_MS).toISOString().slice(0, 10) };
    }),
  };
}

describe('protocol vectors: a running collector gives the same answers', () => {
  let dir: string;
  let collector: Collector;
  const first = envelopes.accepted[0] as EnvelopeVector;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'candor-vectors-'));
    const keysDir = join(dir, 'keys');
    for (const [i, v] of envelopes.accepted.entries()) {
      const key = {
        id: v.keyId,
        publicKey: bytes(v.recipientPublicKey).toString('base64url'),
        privateKey: bytes(v.recipientPrivateKey).toString('base64url'),
        createdAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
        retiresAt: null,
      };
      await writePrivateFile(keysDir, `hpke-${v.keyId}.json`, JSON.stringify(key));
    }
    collector = await startCollector({
      keysDir,
      store: 'duckdb::memory:',
      dashboardDir: null,
      rateLimit: false,
      createQueryToken: false,
      log: { level: 'silent' },
    });
  });
  afterAll(async () => {
    await collector?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = async (body: Uint8Array<ArrayBuffer>) => {
    const response = await fetch(`${collector.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': SEALED_CONTENT_TYPE },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it.each(envelopes.refused.map((v) => [v.name, v] as const))('refused envelope: %s', async (_, v) => {
    const answer = await post(new Uint8Array(bytes(v.sealed)));
    expect(answer.status).toBe(v.status);
    expect(answer.body.type).toBe(v.type);
  });

  it.each(reports.map((r) => [r.name, r] as const))('report vector: %s', async (_, r) => {
    const batch = JSON.stringify(shiftDays(r.batch, r.receivedAt));
    const answer = await post(new Uint8Array(sealEnvelope(first.keyId, bytes(first.recipientPublicKey), batch)));
    expect(answer.status).toBe(r.expect.status);
    if (r.expect.status === 202) expect(answer.body.accepted).toBe(r.expect.accepted);
    else {
      const { status: _status, accepted: _accepted, ...problem } = r.expect;
      expect(answer.body).toMatchObject(problem);
    }
  });
});
