// The relay's routes in-process, with the gateway replaced by a probe: what leaves the relay and what comes back.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRelayApp, type RelayOptions } from './relay.js';

function relayWithProbe(options: Partial<RelayOptions> = {}, answer?: () => Response) {
  const sent: { url: string; init: RequestInit }[] = [];
  const lines: string[] = [];
  let peer = '127.0.0.2';
  const app = createRelayApp(
    {
      gateway: 'https://collector.example/ohttp-gateway',
      log: { logger: pino({ level: 'trace' }, { write: (line: string) => lines.push(line) }) },
      fetch: (async (url: string | URL, init: RequestInit) => {
        sent.push({ url: String(url), init });
        return (
          answer?.() ??
          new Response(new Uint8Array([9, 9, 9]), {
            status: 200,
            headers: { 'content-type': 'message/ohttp-res', 'set-cookie': 'gw=1', server: 'gateway/1.0' },
          })
        );
      }) as typeof fetch,
      ...options,
    },
    () => peer,
  );
  const post = (body: Uint8Array, headers: Record<string, string> = {}) =>
    app.request('/', {
      method: 'POST',
      headers: { 'content-type': 'message/ohttp-req', ...headers },
      body: body as Uint8Array<ArrayBuffer>,
    });
  return { app, sent, lines, post, from: (address: string) => (peer = address) };
}

describe('candor relay', () => {
  it('forwards the body alone: none of the device headers, and only the answer headers that describe it', async () => {
    const { sent, lines, post } = relayWithProbe();
    const answer = await post(new Uint8Array([1, 2, 3]), {
      'user-agent': 'probe-ua-device',
      'x-forwarded-for': '203.0.113.9',
      forwarded: 'for=203.0.113.9',
      cookie: 'id=1',
      origin: 'https://app.example',
      referer: 'https://app.example/page',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('message/ohttp-res');
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(answer.headers.get('server')).toBeNull();
    expect(new Uint8Array(await answer.arrayBuffer())).toEqual(new Uint8Array([9, 9, 9]));
    expect(sent).toHaveLength(1);
    const { url, init } = sent[0] as { url: string; init: RequestInit };
    expect(url).toBe('https://collector.example/ohttp-gateway');
    expect(init.headers).toEqual({ 'content-type': 'message/ohttp-req' });
    expect(new Uint8Array(init.body as Uint8Array)).toEqual(new Uint8Array([1, 2, 3]));
    // At the most verbose level, the log holds no address, user agent or header of the device.
    const log = lines.join('\n');
    for (const leak of ['127.0.0.2', '203.0.113.9', 'probe-ua', 'app.example', 'id=1']) expect(log).not.toContain(leak);
  });

  it('refuses other content types, oversize bodies and other routes without forwarding, naming why', async () => {
    const { app, sent, post } = relayWithProbe({ maxBodyBytes: 100 });
    const plain = await post(new Uint8Array(10), { 'content-type': 'application/json' });
    expect([plain.status, (await plain.json()).field]).toEqual([415, 'content-type']);
    const big = await post(new Uint8Array(101));
    expect([big.status, (await big.json()).detail]).toEqual([413, 'at most 100 bytes']);
    const elsewhere = await app.request('/v1/reports', { method: 'POST' });
    expect(elsewhere.status).toBe(404);
    expect(sent).toHaveLength(0);
  });

  it('limits each device by its address, in memory only', async () => {
    const { post, from, sent } = relayWithProbe({ ratePerMinute: 1 });
    // The burst (60) is spent first, then the per-minute rate refuses.
    for (let i = 0; i < 60; i++) expect((await post(new Uint8Array(1))).status).toBe(200);
    const limited = await post(new Uint8Array(1));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    from('127.0.0.3');
    expect((await post(new Uint8Array(1))).status).toBe(200);
    expect(sent).toHaveLength(61);
  });

  it('says the gateway is down (502, retry later) when it cannot be reached, or answers nonsense', async () => {
    const down = relayWithProbe({
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    const answer = await down.post(new Uint8Array(1));
    expect(answer.status).toBe(502);
    expect(answer.headers.get('retry-after')).toBe('30');
    expect((await answer.json()).type).toBe('https://candor.dev/problems/gateway-unavailable');
    const html = relayWithProbe(
      {},
      () => new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } }),
    );
    expect((await html.post(new Uint8Array(1))).status).toBe(502);
  });

  it('passes the gateway refusals on as they are (the device reads them)', async () => {
    const { post } = relayWithProbe(
      {},
      () =>
        new Response('{"type":"https://iana.org/assignments/http-problem-types#ohttp-key"}', {
          status: 400,
          headers: { 'content-type': 'application/problem+json' },
        }),
    );
    const answer = await post(new Uint8Array(1));
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
  });
});
