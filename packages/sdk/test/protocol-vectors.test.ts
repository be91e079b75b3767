// The SDK against the protocol's vectors (packages/protocol/vectors/v1): with the vector's fixed ephemeral key it
// must seal to exactly the published bytes, and its crash signatures must be the published ones.
import { readFileSync } from 'node:fs';
import { encodeHeader, infoFor } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { crashKey, crashSignature } from '../src/crash/signature.js';
import { Distribution } from '../src/metrics/distribution.js';
import { gunzip } from '../src/seal/gzip.js';
import { sealBase } from '../src/seal/hpke.js';
import { siteReducer } from '../src/site/reduce.js';
import { concatBytes, fromHex, toHex } from '../src/util/bytes.js';
import { derivePublicKey, importFixedEphemeral } from './support/fixed-ephemeral.js';

const vector = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../protocol/vectors/v1/${name}`, import.meta.url), 'utf8'));

interface EnvelopeVector {
  name: string;
  keyId: number;
  recipientPublicKey: string;
  ephemeralPrivateKey: string;
  enc: string;
  header: string;
  info: string;
  json: string;
  plaintext: string;
  sealed: string;
}

describe('protocol vectors: envelopes', () => {
  const { accepted } = vector('envelopes.json') as { accepted: EnvelopeVector[] };

  it.each(accepted.map((v) => [v.name, v] as const))('%s: seals to the published bytes', async (_, v) => {
    const header = encodeHeader(v.keyId);
    expect(toHex(header)).toBe(v.header);
    expect(toHex(infoFor(header))).toBe(v.info);
    const ephemeral = await importFixedEphemeral(fromHex(v.ephemeralPrivateKey));
    expect(toHex(await derivePublicKey(fromHex(v.ephemeralPrivateKey)))).toBe(v.enc);
    const { enc, ciphertext } = await sealBase(
      fromHex(v.recipientPublicKey),
      infoFor(header),
      new Uint8Array(0),
      fromHex(v.plaintext),
      ephemeral,
    );
    expect(toHex(concatBytes(header, enc, ciphertext))).toBe(v.sealed);
  });

  it.each(accepted.map((v) => [v.name, v] as const))('%s: the plaintext is gzip of the batch JSON', async (_, v) => {
    expect(new TextDecoder().decode(await gunzip(fromHex(v.plaintext)))).toBe(v.json);
  });
});

describe('protocol vectors: crash signatures', () => {
  const cases = vector('crash-signatures.json') as {
    name: string;
    error?: { name: string; message: string; stack: string };
    type: string;
    key: string;
    signature: string;
  }[];

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    if (c.error) {
      const error = Object.assign(new Error(c.error.message), { name: c.error.name, stack: c.error.stack });
      expect(crashKey(error)).toEqual({ type: c.type, key: c.key });
    }
    expect(await crashSignature(c.key)).toBe(c.signature);
  });
});

describe('protocol vectors: sites and buckets', () => {
  it('sites.json: the SDK reduces every URL to its registrable domain or to nothing', async () => {
    const reduce = await siteReducer.load();
    for (const c of vector('sites.json') as { url: string; site: string | null }[]) {
      expect(reduce(c.url), c.url).toBe(c.site);
    }
  });

  it("buckets.json: the SDK's inlined bucket formula puts every sample in its bucket", () => {
    // Negative samples never reach a distribution: the recorders refuse them before.
    for (const { value, index } of vector('buckets.json').values as { value: number; index: number }[]) {
      if (value < 0) continue;
      const d = new Distribution();
      d.record(value);
      expect(Object.keys(d.toJSON().buckets), String(value)).toEqual([String(index)]);
    }
  });
});
