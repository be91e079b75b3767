// The SDK sending through a relay to the collector's gateway, in-process: a stale gateway key is fetched again
// once, and a refusal by the relay itself keeps the reports. Test-only use of @candor/sdk.
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AEAD_AES_128_GCM,
  candorBrowserRegistry,
  encodeKeyConfigs,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  OHTTP_PATHS,
} from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { type Collector, type Relay, startCollector, startRelay } from '@candor/server';
import { afterEach, describe, expect, it } from 'vitest';
import { generateX25519KeyPair } from '../src/open/hpke.js';

const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

async function parties(): Promise<{ collector: Collector; relay: Relay }> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-ohttp-sdk-'));
  const collector = await startCollector({ keysDir: join(dir, 'keys'), dashboardDir: null, log: { level: 'silent' } });
  closing.push(() => collector.close());
  const relay = await startRelay({ gateway: collector.url + OHTTP_PATHS.gateway, log: { level: 'silent' } });
  closing.push(() => relay.close());
  return { collector, relay };
}

function device(collector: Collector, relay: { url: string; keysUrl?: string }, fetchImpl: typeof fetch = fetch) {
  let now = Date.now() - 86_400_000;
  const candor = createCandor({
    registry: candorBrowserRegistry,
    collector: collector.url,
    relay,
    appVersion: '3.4.0',
    consent: { regime: 'opt-out' },
    storage: memoryQueueStorage(),
    flushIntervalMs: 0,
    pageLifecycle: false,
    fetch: fetchImpl,
    now: () => now,
  });
  const sendOneDay = async () => {
    await candor.ready;
    candor.counter('page_load.count').add(2);
    await candor.flush();
    now += 86_400_000;
    await candor.flush();
  };
  return { candor, sendOneDay };
}

describe('the SDK through a relay to the gateway', () => {
  it('a gateway key the gateway no longer holds is answered ohttp-key; the SDK fetches the keys again once', async () => {
    const { collector, relay } = await parties();
    // A key server that first hands out a configuration the gateway does not hold (as after a rotation).
    let served = 0;
    const stale = encodeKeyConfigs([
      {
        keyId: 200,
        kem: KEM_X25519_HKDF_SHA256,
        publicKey: generateX25519KeyPair().publicKey,
        algorithms: [{ kdf: KDF_HKDF_SHA256, aead: AEAD_AES_128_GCM }],
      },
    ]);
    const keyServer = createServer(async (_req, res) => {
      served++;
      const body =
        served === 1 ? stale : new Uint8Array(await (await fetch(collector.url + OHTTP_PATHS.keys)).arrayBuffer());
      res.writeHead(200, { 'content-type': 'application/ohttp-keys', 'cache-control': 'max-age=60' }).end(body);
    });
    await new Promise<void>((ready) => keyServer.listen(0, '127.0.0.1', () => ready()));
    closing.push(() => new Promise((done) => keyServer.close(done)));
    const keysUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/keys`;

    const { candor, sendOneDay } = device(collector, { url: relay.url, keysUrl });
    await sendOneDay();
    expect(served).toBe(2);
    expect(candor.transparencyLog().map((e) => e.status)).toEqual(['accepted']);
    expect(collector.stats.accepted).toBe(1);
    // The report key and the upload each went through once more after the ohttp-key refusal.
    expect(relay.stats.relayed).toBeGreaterThanOrEqual(3);
    await candor.shutdown();
  });

  it('a refusal by the relay itself (a wrong URL) keeps the reports queued for a retry', async () => {
    const { collector, relay } = await parties();
    let posts = 0;
    // The relay URL answers the key fetch, then 404s the upload: as a relay whose route moved would.
    const flaky = (async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input) === relay.url && ++posts === 2) {
        return new Response('{"type":"https://candor.dev/problems/not-found"}', {
          status: 404,
          headers: { 'content-type': 'application/problem+json' },
        });
      }
      return fetch(input, init);
    }) as typeof fetch;
    const { candor, sendOneDay } = device(collector, { url: relay.url }, flaky);
    await sendOneDay();
    expect(candor.queuedReports()).toBe(1);
    expect(candor.transparencyLog().map((e) => [e.status, e.httpStatus])).toEqual([['retrying', 404]]);
    expect(collector.stats.accepted).toBe(0);
    // Once the relay answers again, the same report arrives.
    await candor.flush();
    expect(candor.queuedReports()).toBe(0);
    expect(collector.stats.accepted).toBe(1);
    await candor.shutdown();
  });
});
