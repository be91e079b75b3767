/**
 * Local differential privacy, tested statistically: many simulated devices each randomize their true value
 * once per report on the device; the server-side estimator (protocol estimateFromRandomized) recovers the true
 * share within its expected error. Seeded, so the test is deterministic, yet the bound is the real one.
 */
import { candorBrowserRegistry, estimateFromRandomized, responseProbabilities } from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { describe, expect, it } from 'vitest';
import { DAY_MS, T0 } from './support/setup.js';

/** Small seeded PRNG (mulberry32) so the simulation is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const registry = candorBrowserRegistry;

async function simulate(
  devices: number,
  truth: (i: number) => { dark: boolean; engine: string },
  random: () => number,
) {
  const sent: { dark: boolean; engine: string }[] = [];
  for (let i = 0; i < devices; i++) {
    let captured: Record<string, unknown> = {};
    let now = T0;
    const candor = createCandor({
      now: () => now,
      registry,
      collector: 'https://collector.test',
      appVersion: '1.0',
      consent: { regime: 'opt-out' },
      storage: memoryQueueStorage(),
      random,
      flushIntervalMs: 0,
      pageLifecycle: false,
      // Capture the report before sealing through the transparency log: exactly what was sent.
      fetch: async (input) =>
        String(input).endsWith('/v1/keys')
          ? Response.json({ keys: [{ id: 1, kem: 32, kdf: 1, aead: 1, publicKey: PUBLIC_KEY }] })
          : new Response(null, { status: 202 }),
    });
    await candor.ready;
    const t = truth(i);
    candor.boolean('settings.dark_mode').set(t.dark);
    candor.enumeration('settings.default_search_engine').set(t.engine as 'google');
    now += DAY_MS;
    await candor.flush();
    captured = candor.transparencyLog().find((e) => e.report.kind === 'daily')?.report.metrics ?? {};
    sent.push({
      dark: captured['settings.dark_mode'] as boolean,
      engine: captured['settings.default_search_engine'] as string,
    });
  }
  return sent;
}

// A valid X25519 public key (RFC 9180 A.1 pkRm); nothing is opened in this test.
const PUBLIC_KEY = Buffer.from('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d', 'hex').toString(
  'base64url',
);

describe('randomized response', () => {
  it('the estimator recovers the true shares within 4 standard errors over 2000 devices', async () => {
    const n = 2000;
    const random = seeded(20261122);
    const engines = registry.metrics['settings.default_search_engine'].values;
    // True population: 30% dark mode; engines 60% google, 25% duckduckgo, 15% ecosia.
    const truth = (i: number) => ({
      dark: i % 10 < 3,
      engine: i % 20 < 12 ? 'google' : i % 20 < 17 ? 'duckduckgo' : 'ecosia',
    });
    const sent = await simulate(n, truth, random);

    const darkEps = registry.metrics['settings.dark_mode'].ldp.epsilon;
    const darkReported = sent.filter((s) => s.dark).length;
    const dark = estimateFromRandomized(darkReported, n, darkEps, 2);
    expect(Math.abs(dark.share - 0.3)).toBeLessThan(4 * dark.standardError);
    // Randomization really happened: the raw reported share is pulled towards 1/2, far from the truth.
    const { p, q } = responseProbabilities(darkEps, 2);
    expect(darkReported / n).toBeCloseTo(0.3 * p + 0.7 * q, 1);
    expect(Math.abs(darkReported / n - 0.3)).toBeGreaterThan(0.05);

    const engineEps = registry.metrics['settings.default_search_engine'].ldp.epsilon;
    const trueShares: Record<string, number> = { google: 0.6, duckduckgo: 0.25, ecosia: 0.15 };
    for (const engine of engines) {
      const reported = sent.filter((s) => s.engine === engine).length;
      const estimate = estimateFromRandomized(reported, n, engineEps, engines.length);
      const trueShare = trueShares[engine] ?? 0;
      expect(Math.abs(estimate.share - trueShare), engine).toBeLessThan(4 * estimate.standardError);
    }
    // Some devices reported an engine nobody uses: each single answer is deniable.
    expect(sent.some((s) => s.engine === 'yandex')).toBe(true);
  }, 60_000);

  it('metrics without ldp in the registry are sent as recorded', async () => {
    const sent: unknown[] = [];
    for (let i = 0; i < 50; i++) {
      let now = T0;
      const candor = createCandor({
        now: () => now,
        registry,
        collector: 'https://collector.test',
        appVersion: '1.0',
        consent: { regime: 'opt-out' },
        flushIntervalMs: 0,
        pageLifecycle: false,
        fetch: async (input) =>
          String(input).endsWith('/v1/keys')
            ? Response.json({ keys: [{ id: 1, kem: 32, kdf: 1, aead: 1, publicKey: PUBLIC_KEY }] })
            : new Response(null, { status: 202 }),
      });
      await candor.ready;
      candor.enumeration('settings.text_size').set('large');
      now += DAY_MS;
      await candor.flush();
      sent.push(candor.transparencyLog().find((e) => e.report.kind === 'daily')?.report.metrics['settings.text_size']);
    }
    expect(new Set(sent)).toEqual(new Set(['large']));
  });
});
