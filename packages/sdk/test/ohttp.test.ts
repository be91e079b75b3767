// The SDK's Oblivious HTTP client (src/ohttp/) against RFC 9458 Appendix A, and the key configuration checks.
import { readFileSync } from 'node:fs';
import {
  acceptsCandorSuite,
  decodeKeyConfig,
  decodeKeyConfigs,
  encodeKeyConfig,
  encodeKeyConfigs,
  ohttpRequestHeader,
  ohttpRequestInfo,
} from '@candor/protocol';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { BHttpDecoder } from 'bhttp-js';
import { describe, expect, it } from 'vitest';
import { decapsulateResponse, encapsulateRequest, responseKeys } from '../src/ohttp/encapsulate.js';
import { OhttpKeys } from '../src/ohttp/relay.js';
import { exportSecret, importEphemeralKeyPair } from '../src/seal/hpke.js';
import { fromHex, toHex } from '../src/util/bytes.js';

const A = JSON.parse(
  readFileSync(new URL('../../protocol/vectors/rfc9458-appendix-a.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const v = (name: string) => fromHex(A[name] as string);

describe('RFC 9458 Appendix A, client side', () => {
  it('decodes the key configuration and encodes it back byte for byte', () => {
    const config = decodeKeyConfig(v('keyConfig'));
    expect(config.keyId).toBe(1);
    expect(config.kem).toBe(0x0020);
    expect(toHex(config.publicKey)).toBe('31e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e798155');
    expect(config.algorithms).toEqual([
      { kdf: 1, aead: 1 },
      { kdf: 1, aead: 3 },
    ]);
    expect(acceptsCandorSuite(config)).toBe(true);
    expect(toHex(encodeKeyConfig(config))).toBe(A.keyConfig);
  });

  it('builds the published info and encapsulated request from the published ephemeral key', async () => {
    expect(toHex(ohttpRequestInfo(ohttpRequestHeader(1)))).toBe(A.info);
    const ephemeral = await importEphemeralKeyPair(v('skE'), v('pkE'));
    const { encapsulated } = await encapsulateRequest(decodeKeyConfig(v('keyConfig')), v('request'), ephemeral);
    expect(toHex(encapsulated)).toBe(A.encapsulatedRequest);
  });

  it('derives the response key and nonce and opens the published encapsulated response', async () => {
    const ephemeral = await importEphemeralKeyPair(v('skE'), v('pkE'));
    const { context } = await encapsulateRequest(decodeKeyConfig(v('keyConfig')), v('request'), ephemeral);
    const keys = await responseKeys(context, v('responseNonce'));
    expect(toHex(keys.key)).toBe(A.aeadKey);
    expect(toHex(keys.nonce)).toBe(A.aeadNonce);
    const response = await decapsulateResponse(context, v('encapsulatedResponse'));
    expect(toHex(response)).toBe(A.response);
    expect(new BHttpDecoder().decodeResponse(response).status).toBe(200);
  });

  it('refuses a response altered in transit', async () => {
    const ephemeral = await importEphemeralKeyPair(v('skE'), v('pkE'));
    const { context } = await encapsulateRequest(decodeKeyConfig(v('keyConfig')), v('request'), ephemeral);
    const altered = v('encapsulatedResponse');
    altered[20] = (altered[20] as number) ^ 1;
    await expect(decapsulateResponse(context, altered)).rejects.toThrow(/authentication/);
  });

  it('is opened by @hpke/core, an independent HPKE, with the same exported response secret', async () => {
    const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
    const recipientKey = await suite.kem.importKey('raw', v('skR').buffer as ArrayBuffer, false);
    const config = decodeKeyConfig(v('keyConfig'));
    const plaintext = new TextEncoder().encode('a binary HTTP request');
    const { encapsulated, context } = await encapsulateRequest(config, plaintext);
    const recipient = await suite.createRecipientContext({
      recipientKey,
      enc: encapsulated.slice(7, 39).buffer,
      info: ohttpRequestInfo(encapsulated.subarray(0, 7)).slice().buffer,
    });
    expect(new Uint8Array(await recipient.open(encapsulated.slice(39).buffer))).toEqual(plaintext);
    const theirs = new Uint8Array(
      await recipient.export(new TextEncoder().encode('message/bhttp response').buffer, 16),
    );
    const ours = await exportSecret(context.exporterSecret, new TextEncoder().encode('message/bhttp response'), 16);
    expect(toHex(ours)).toBe(toHex(theirs));
  });
});

describe('application/ohttp-keys', () => {
  const config = decodeKeyConfig(v('keyConfig'));

  it('round-trips length-prefixed lists and skips configurations of other KEMs', () => {
    const other = encodeKeyConfig({ ...config, keyId: 7, kem: 0x0010 });
    const list = encodeKeyConfigs([config]);
    const mixed = new Uint8Array([0, other.length, ...other, ...list]);
    const decoded = decodeKeyConfigs(mixed);
    expect(decoded.map((c) => c.keyId)).toEqual([1]);
  });

  it('names what is wrong with a bad list', () => {
    expect(() => decodeKeyConfigs(new Uint8Array([0, 50, 1, 2]))).toThrow(/cut short/);
    expect(() => decodeKeyConfigs(encodeKeyConfigs([{ ...config, kem: 0x0010 }]))).toThrow(/only X25519/);
    expect(() => decodeKeyConfig(v('keyConfig').subarray(0, 20))).toThrow(/shorter than an X25519 public key/);
    expect(acceptsCandorSuite({ ...config, algorithms: [{ kdf: 1, aead: 3 }] })).toBe(false);
  });

  const serve = (body: Uint8Array, type = 'application/ohttp-keys', status = 200) =>
    (async () =>
      new Response(body as Uint8Array<ArrayBuffer>, {
        status,
        headers: { 'content-type': type, 'cache-control': 'max-age=60' },
      })) as unknown as typeof fetch;

  it('the SDK takes a served configuration with candor suite and caches it for its max-age', async () => {
    let now = 0;
    let fetches = 0;
    const fetchImpl = (async (...args: Parameters<typeof fetch>) => {
      fetches++;
      return serve(encodeKeyConfigs([config]))(...args);
    }) as typeof fetch;
    const keys = new OhttpKeys(fetchImpl, 'https://collector.example/ohttp-keys', () => now);
    expect((await keys.get()).keyId).toBe(1);
    await keys.get();
    expect(fetches).toBe(1);
    now = 61_000;
    await keys.get();
    expect(fetches).toBe(2);
  });

  it('the SDK refuses a wrong content type, an unsupported suite or a body that is not a key list, naming why', async () => {
    const url = 'https://collector.example/ohttp-keys';
    await expect(new OhttpKeys(serve(encodeKeyConfigs([config]), 'text/html'), url, Date.now).get()).rejects.toThrow(
      /text\/html, not application\/ohttp-keys/,
    );
    const chachaOnly = encodeKeyConfigs([{ ...config, algorithms: [{ kdf: 1, aead: 3 }] }]);
    await expect(new OhttpKeys(serve(chachaOnly), url, Date.now).get()).rejects.toThrow(
      /no X25519 key with HKDF-SHA256/,
    );
    await expect(new OhttpKeys(serve(new Uint8Array(5000)), url, Date.now).get()).rejects.toThrow(/5000 bytes/);
    await expect(
      new OhttpKeys(serve(new Uint8Array(0), 'application/ohttp-keys', 404), url, Date.now).get(),
    ).rejects.toThrow(/answered 404/);
  });
});

describe('a client with a relay whose gateway key cannot be used', () => {
  it('keeps the report, counts the failure and, in development mode, says why', async () => {
    const { createCandor } = await import('../src/client.js');
    const { memoryQueueStorage } = await import('../src/queue/memory.js');
    const { candorBrowserRegistry } = await import('@candor/protocol');
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
    const requests: string[] = [];
    let now = Date.parse('2026-11-20T12:00:00Z');
    try {
      const candor = createCandor({
        registry: candorBrowserRegistry,
        collector: 'https://collector.example',
        relay: { url: 'https://relay.example/' },
        appVersion: '1.0.0',
        consent: { regime: 'opt-out' },
        mode: 'development',
        storage: memoryQueueStorage(),
        flushIntervalMs: 0,
        pageLifecycle: false,
        now: () => now,
        fetch: (async (input: string | URL | Request) => {
          requests.push(String(input));
          return new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } });
        }) as typeof fetch,
      });
      await candor.ready;
      candor.counter('page_load.count').add(1);
      await candor.flush();
      now += 86_400_000;
      await candor.flush();
      expect(candor.queuedReports()).toBe(1);
      expect(candor.errors.sealFailures).toBe(1);
      expect(candor.transparencyLog()).toEqual([]);
      // Only the key configuration was asked for, from the collector: nothing went to the relay.
      expect(requests.filter((r) => !r.includes('no-cors'))[0]).toBe('https://collector.example/ohttp-keys');
      expect(requests.some((r) => r.startsWith('https://relay.example'))).toBe(false);
      expect(warnings.join('\n')).toContain('answered text/html, not application/ohttp-keys');
      await candor.shutdown();
    } finally {
      console.warn = warn;
    }
  });
});
