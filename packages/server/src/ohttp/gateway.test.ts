// The collector's Oblivious HTTP gateway, in-process, with @hpke/core as an independent client: what reaches the
// upload route, what the gateway refuses, and that it is no open proxy to the collector's other routes.
import { createDecipheriv, createHmac } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeKeyConfigs,
  OHTTP_PATHS,
  ohttpRequestHeader,
  ohttpRequestInfo,
  PATHS,
  PROBLEM_OHTTP_KEY,
  SEALED_CONTENT_TYPE,
} from '@candor/protocol';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { BHttpDecoder, BHttpEncoder } from 'bhttp-js';
import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startCollector } from '../collector.js';
import { rotateKeys } from '../keys/keyring.js';
import { OhttpKeys } from '../keys/ohttp.js';
import { RateLimiter } from '../limits/rate.js';
import { sealForCollector } from '../testing/client.js';
import { sampleBatch, seededRandom } from '../testing/reports.js';
import { mountGateway } from './gateway.js';

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

/** A device's side of RFC 9458, written against @hpke/core rather than candor's own HPKE. */
async function encapsulate(keys: Uint8Array, request: Request) {
  const config = decodeKeyConfigs(keys)[0];
  if (!config) throw new Error('no key configuration');
  const header = ohttpRequestHeader(config.keyId);
  const sender = await suite.createSenderContext({
    recipientPublicKey: await suite.kem.deserializePublicKey(config.publicKey.slice().buffer),
    info: ohttpRequestInfo(header).slice().buffer,
  });
  const inner = await new BHttpEncoder().encodeRequest(request);
  const body = Buffer.concat([header, Buffer.from(sender.enc), Buffer.from(await sender.seal(inner.slice().buffer))]);
  const secret = Buffer.from(await sender.export(Buffer.from('message/bhttp response'), 16));
  const open = (response: Buffer): Response => {
    const nonce = response.subarray(0, 16);
    const prk = createHmac('sha256', Buffer.concat([Buffer.from(sender.enc), nonce]))
      .update(secret)
      .digest();
    const key = createHmac('sha256', prk).update('key').update(Buffer.of(1)).digest().subarray(0, 16);
    const iv = createHmac('sha256', prk).update('nonce').update(Buffer.of(1)).digest().subarray(0, 12);
    const decipher = createDecipheriv('aes-128-gcm', key, iv);
    decipher.setAuthTag(response.subarray(response.length - 16));
    return new BHttpDecoder().decodeResponse(
      Buffer.concat([decipher.update(response.subarray(16, response.length - 16)), decipher.final()]),
    );
  };
  return { body, open };
}

async function gatewayWithProbe(rate: RateLimiter | null = null, dir?: string, now: () => number = Date.now) {
  const keysDir = dir ?? join(await mkdtemp(join(tmpdir(), 'candor-gateway-')), 'keys');
  const { keys } = await OhttpKeys.open(keysDir, now);
  const forwarded: Request[] = [];
  const app = new Hono();
  mountGateway(app, {
    keys,
    maxBodyBytes: 10_000,
    rate,
    log: pino({ level: 'silent' }),
    forward: async (request) => {
      forwarded.push(request);
      return new Response('{"accepted":1,"duplicates":0}', {
        status: 202,
        headers: { 'content-type': 'application/json', 'set-cookie': 'tracker=1', server: 'probe' },
      });
    },
  });
  const post = (body: Uint8Array, headers: Record<string, string> = {}) =>
    app.request(OHTTP_PATHS.gateway, {
      method: 'POST',
      headers: { 'content-type': 'message/ohttp-req', ...headers },
      body: body as Uint8Array<ArrayBuffer>,
    });
  return { keys, forwarded, post };
}

describe('the Oblivious HTTP gateway', () => {
  it('hands the upload route only the body and its content type, whatever the device or relay added', async () => {
    const { keys, forwarded, post } = await gatewayWithProbe();
    const { body, open } = await encapsulate(
      keys.encoded,
      new Request(`https://collector.example${PATHS.reports}`, {
        method: 'POST',
        headers: {
          'content-type': SEALED_CONTENT_TYPE,
          'x-forwarded-for': '203.0.113.77',
          forwarded: 'for=203.0.113.77',
          'user-agent': 'probe-ua-inner',
          cookie: 'id=1',
        },
        body: new Uint8Array([1, 2, 3]),
      }),
    );
    const answer = await post(body, { 'x-forwarded-for': '198.51.100.23', 'user-agent': 'probe-ua-outer' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('message/ohttp-res');
    expect(answer.headers.get('cache-control')).toBe('private, no-store');
    const inner = open(Buffer.from(await answer.arrayBuffer()));
    expect(inner.status).toBe(202);
    expect(await inner.json()).toEqual({ accepted: 1, duplicates: 0 });
    // The upload route's own headers beyond its content type stay inside the collector.
    expect(inner.headers.get('set-cookie')).toBeNull();
    expect(inner.headers.get('server')).toBeNull();
    expect(forwarded).toHaveLength(1);
    const request = forwarded[0] as Request;
    expect([...request.headers.keys()].sort()).toEqual(['content-length', 'content-type']);
    expect(request.headers.get('content-type')).toBe(SEALED_CONTENT_TYPE);
    expect(new Uint8Array(await request.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('is no open proxy: an inner request for any other route is answered, encapsulated, with a problem', async () => {
    const { keys, forwarded, post } = await gatewayWithProbe();
    const { body, open } = await encapsulate(keys.encoded, new Request('https://collector.example/v1/query?metric=x'));
    const answer = await post(body);
    const inner = open(Buffer.from(await answer.arrayBuffer()));
    expect(inner.status).toBe(404);
    expect(await inner.json()).toMatchObject({ detail: `POST ${PATHS.reports} or GET ${PATHS.keys}` });
    expect(forwarded).toHaveLength(0);
  });

  it('refuses another content type, an oversize body and an unknown key id, each with its own problem', async () => {
    const { keys, forwarded, post } = await gatewayWithProbe();
    const { body } = await encapsulate(keys.encoded, new Request(`https://c.example${PATHS.keys}`));
    expect((await post(body, { 'content-type': SEALED_CONTENT_TYPE })).status).toBe(415);
    expect((await post(new Uint8Array(20_000))).status).toBe(413);
    const wrong = Buffer.from(body);
    wrong[0] = (keys.keyId + 1) % 256;
    const unknown = await post(wrong);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ type: PROBLEM_OHTTP_KEY, keys: OHTTP_PATHS.keys });
    expect(forwarded).toHaveLength(0);
  });

  it('a client posting to the gateway directly cannot go around the rate limit', async () => {
    const { keys, forwarded, post } = await gatewayWithProbe(new RateLimiter(1, 3));
    const { body } = await encapsulate(keys.encoded, new Request(`https://c.example${PATHS.keys}`));
    // In-process requests have no peer address: they all share one allowance, like requests from one relay.
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(body)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(forwarded).toHaveLength(3);
  });

  it('in the collector, a relayed upload is stored and answered; the report keys are served inside it too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-gateway-'));
    const collector = await startCollector({
      keysDir: join(dir, 'keys'),
      store: 'duckdb::memory:',
      dashboardDir: null,
      log: { level: 'silent' },
      host: '127.0.0.1',
    });
    try {
      const ohttpKeys = new Uint8Array(
        await (await collector.handle(new Request(`http://c${OHTTP_PATHS.keys}`))).arrayBuffer(),
      );
      const keysRequest = await encapsulate(ohttpKeys, new Request(`https://c.example${PATHS.keys}`));
      const keysAnswer = await collector.handle(
        new Request(`http://c${OHTTP_PATHS.gateway}`, {
          method: 'POST',
          headers: { 'content-type': 'message/ohttp-req' },
          body: keysRequest.body,
        }),
      );
      const served = keysRequest.open(Buffer.from(await keysAnswer.arrayBuffer()));
      expect(served.headers.get('cache-control')).toContain('max-age');
      expect(await served.json()).toEqual(await (await fetch(collector.url + PATHS.keys)).json());

      const sealed = await sealForCollector(collector.url, sampleBatch(3, seededRandom(5)));
      const upload = await encapsulate(
        ohttpKeys,
        new Request(`https://c.example${PATHS.reports}`, {
          method: 'POST',
          headers: { 'content-type': SEALED_CONTENT_TYPE },
          body: new Uint8Array(sealed),
        }),
      );
      const answer = await fetch(collector.url + OHTTP_PATHS.gateway, {
        method: 'POST',
        headers: { 'content-type': 'message/ohttp-req' },
        body: upload.body,
      });
      const inner = upload.open(Buffer.from(await answer.arrayBuffer()));
      expect(inner.status).toBe(202);
      expect(await inner.json()).toEqual({ accepted: 3, duplicates: 0 });
      expect(collector.stats.accepted).toBe(3);
    } finally {
      await collector.close();
    }
  });
});

describe('gateway key rotation', () => {
  it('opens the old key during its grace, serves the new one, then answers the old id with ohttp-key', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'candor-gateway-rotate-')), 'keys');
    let now = Date.now();
    const { keys, forwarded, post } = await gatewayWithProbe(null, dir, () => now);
    const upload = () =>
      new Request(`https://c.example${PATHS.reports}`, {
        method: 'POST',
        headers: { 'content-type': SEALED_CONTENT_TYPE },
        body: new Uint8Array([1]),
      });
    const oldConfig = keys.encoded;
    const oldId = keys.keyId;

    // `candor keys rotate` in another process; a second gateway (another instance) already serves the new key.
    const next = await rotateKeys(dir, 60_000, new Date(now), 'ohttp');
    const elsewhere = (await OhttpKeys.open(dir)).keys;
    expect(decodeKeyConfigs(elsewhere.encoded).map((c) => c.keyId)).toEqual([next.id]);
    // An unknown key id makes this gateway re-read its keys, at most once every few seconds.
    now += 5_000;
    const fresh = await post((await encapsulate(elsewhere.encoded, upload())).body);
    expect(fresh.status).toBe(200);
    expect(decodeKeyConfigs(keys.encoded).map((c) => c.keyId)).toEqual([next.id]);

    // A device still holding the old configuration uploads during the grace period.
    const during = await post((await encapsulate(oldConfig, upload())).body);
    expect(during.status).toBe(200);
    expect(forwarded).toHaveLength(2);

    // After it, the old id is refused with the problem that makes clients fetch the configuration again.
    now += 60_000;
    const after = await post((await encapsulate(oldConfig, upload())).body);
    expect(after.status).toBe(400);
    expect(await after.json()).toMatchObject({ type: PROBLEM_OHTTP_KEY, keys: OHTTP_PATHS.keys });
    expect(forwarded).toHaveLength(2);
    expect(oldId).not.toBe(next.id);
  });
});
