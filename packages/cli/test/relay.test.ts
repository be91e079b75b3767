// Oblivious HTTP end to end, each party its own process or socket: a device (the SDK, connecting from
// 127.0.0.2 with its own user agent) sends through `candor relay` to `candor serve`'s gateway. Between the relay
// and the collector a tap records exactly what leaves the relay. The relay must see only ciphertext; the
// collector must see no device address or user agent, in its requests, its logs or anything it stored.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  candorBrowserRegistry,
  decodeKeyConfigs,
  OHTTP_PATHS,
  ohttpRequestHeader,
  ohttpRequestInfo,
  PROBLEM_OHTTP_KEY,
} from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { DuckDbStore, readKeys } from '@candor/server';
import { freePort, waitFor } from '@candor/server/testing';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type CandorProcess, CandorProcesses, MAIN, stopGently } from './support/cli-processes.js';

if (!existsSync(MAIN)) {
  const message = `relay test: ${MAIN} is missing; run \`npm run build\` first`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n*** SKIPPED: ${message} ***\n`);
}

const DEVICE_ADDRESS = '127.0.0.2';
const DEVICE_AGENT = 'CandorProbeDevice/9.1 (Redmi Note 8; probe-ua-relay)';
const processes = new CandorProcesses();
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await processes.killAll();
  for (const close of closers.splice(0).reverse()) await close();
});

interface Seen {
  address: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A fetch for the SDK that connects from DEVICE_ADDRESS with a device user agent, and keeps what it sent. */
function deviceFetch(sent: Buffer[], requests: string[] = []): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const body = init?.body ? Buffer.from(init.body as Uint8Array) : undefined;
    if (body) sent.push(body);
    requests.push(`${init?.method ?? 'GET'} ${url.origin}${url.pathname}`);
    const headers: Record<string, string> = {
      ...(init?.headers as Record<string, string>),
      'user-agent': DEVICE_AGENT,
    };
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const req = httpRequest(url, { method: init?.method ?? 'GET', localAddress: DEVICE_ADDRESS, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out = new Headers();
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') out.set(name, value);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: out }));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof fetch;
}

/** An HTTP hop that records each request (its TCP peer, headers and body) and passes the body on to `target`. */
async function tap(target: string, seen: Seen[]): Promise<string> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      seen.push({ address: req.socket.remoteAddress ?? '', headers: req.headers, body });
      const answer = await fetch(target, {
        method: req.method ?? 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  closers.push(() => new Promise((done) => server.close(done)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function ready(what: string, proc: CandorProcess, url: string): Promise<void> {
  await waitFor(what, 30_000, async () => {
    if (proc.child.exitCode !== null) throw new Error(`${what} exited: ${proc.output()}`);
    return (await fetch(url).catch(() => null))?.ok === true;
  });
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(...(entry.isDirectory() ? await allFiles(path) : [path]));
  }
  return out;
}

/** A device whose uploads go through the parties' relay, on its own clock. */
function relayedDevice(
  parties: { collectorUrl: string; relayUrl: string },
  fetchImpl: typeof fetch,
  now: () => number,
) {
  return createCandor({
    registry: candorBrowserRegistry,
    collector: parties.collectorUrl,
    relay: { url: parties.relayUrl },
    appVersion: '3.4.0',
    system: { modelFamily: 'Redmi Note 8', os: 'android', osMajor: 14, language: 'en-GB' },
    consent: { regime: 'opt-out' },
    storage: memoryQueueStorage(),
    flushIntervalMs: 0,
    pageLifecycle: false,
    fetch: fetchImpl,
    now,
  });
}

async function startParties(relayArgs: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'candor-relay-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const collectorPort = await freePort();
  const collectorUrl = `http://127.0.0.1:${collectorPort}`;
  const store = join(dir, 'collector', 'candor.duckdb');
  const collector = processes.run([
    'serve',
    '--port',
    String(collectorPort),
    '--store',
    `duckdb:${store}`,
    '--keys',
    join(dir, 'collector', 'keys'),
    '--log-level',
    'debug',
  ]);
  await ready('collector', collector, `${collectorUrl}/healthz`);
  const gatewayHop: Seen[] = [];
  const tapUrl = await tap(collectorUrl + OHTTP_PATHS.gateway, gatewayHop);
  const relayPort = await freePort();
  const relayUrl = `http://127.0.0.1:${relayPort}/`;
  const relay = processes.run([
    'relay',
    '--gateway',
    tapUrl,
    '--listen',
    `127.0.0.1:${relayPort}`,
    '--log-level',
    'debug',
    ...relayArgs,
  ]);
  await ready('relay', relay, `${relayUrl}healthz`);
  return { dir, store, collector, collectorUrl, relay, relayUrl, gatewayHop };
}

describe.skipIf(!existsSync(MAIN))('candor relay in front of candor serve (Oblivious HTTP, RFC 9458)', () => {
  it('a report sent through the relay lands; the relay saw only ciphertext and the collector no device address', async () => {
    const parties = await startParties();
    const sent: Buffer[] = [];
    const requests: string[] = [];
    const yesterday = Date.now() - 86_400_000;
    let now = yesterday;
    const candor = relayedDevice(parties, deviceFetch(sent, requests), () => now);
    await candor.ready;
    candor.counter('page_load.count').add(3);
    candor.boolean('settings.dark_mode').set(true);
    await candor.flush();
    now = Date.now();
    await candor.flush();
    // The collector's answer came back encapsulated, through the relay, and the device's log says what was sent.
    const log = candor.transparencyLog();
    expect(log.map((e) => [e.status, e.httpStatus])).toEqual([['accepted', 202]]);
    // (settings.dark_mode is randomised on the device, local DP: only that it was sent is certain.)
    expect(log[0]?.report.metrics).toMatchObject({ 'page_load.count': 3 });
    expect(log[0]?.report.metrics).toHaveProperty('settings.dark_mode');
    await candor.shutdown();

    // What the device sent: the gateway's key configuration straight from the collector (authenticated by its
    // origin, RFC 9458 section 3), then everything else through the relay: the report key, then the upload.
    expect(requests).toEqual([
      `GET ${parties.collectorUrl}${OHTTP_PATHS.keys}`,
      `POST ${parties.relayUrl}`,
      `POST ${parties.relayUrl}`,
    ]);
    // What left the relay toward the collector: each request from the relay's address, ciphertext only, no
    // header naming the device.
    expect(parties.gatewayHop).toHaveLength(2);
    for (const [i, hop] of parties.gatewayHop.entries()) {
      expect(hop.address).not.toBe(DEVICE_ADDRESS);
      expect(hop.headers['content-type']).toBe('message/ohttp-req');
      for (const name of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'via', 'cookie', 'origin', 'referer']) {
        expect(hop.headers[name]).toBeUndefined();
      }
      const hopHeaders = JSON.stringify(hop.headers);
      expect(hopHeaders).not.toContain(DEVICE_ADDRESS);
      expect(hopHeaders).not.toContain('probe-ua-relay');
      expect(hop.body.equals(sent[i] as Buffer)).toBe(true);
    }
    // Neither what the device sent nor what the relay passed on holds a metric name or the app's name.
    for (const bytes of [...sent, ...parties.gatewayHop.map((h) => h.body)]) {
      const text = bytes.toString('latin1');
      for (const plain of ['page_load', 'dark_mode', 'candor-browser', 'Redmi', '/v1/reports']) {
        expect(text).not.toContain(plain);
      }
    }
    // The relay's own output names no address or user agent, and no metric.
    expect(parties.relay.output()).not.toContain(DEVICE_ADDRESS);
    expect(parties.relay.output()).not.toContain('probe-ua');
    expect(parties.relay.output()).not.toContain('page_load');

    await stopGently(parties.relay.child);
    await stopGently(parties.collector.child);
    // The report is stored: its dedupe key is there once the collector is stopped.
    const store = await DuckDbStore.open(parties.store);
    const keys = await store.dedupeKeys?.('2000-01-01');
    await store.close();
    expect(keys?.length).toBe(1);
    // Nothing the collector printed or wrote holds the device's address or user agent. The device fetched the
    // gateway's key configuration from the collector directly (that request did carry its address), so this
    // also checks that the key fetch left no trace.
    expect(parties.collector.output()).not.toContain(DEVICE_ADDRESS);
    expect(parties.collector.output()).not.toContain('probe-ua');
    for (const file of await allFiles(join(parties.dir, 'collector'))) {
      const bytes = await readFile(file);
      expect(bytes.includes(DEVICE_ADDRESS), file).toBe(false);
      expect(bytes.includes('probe-ua-relay'), file).toBe(false);
    }
  });

  it('`candor keys rotate` while serving: a new gateway key is served, and a device refetches and still uploads', async () => {
    const parties = await startParties();
    const keysUrl = parties.collectorUrl + OHTTP_PATHS.keys;
    const servedIds = async () =>
      decodeKeyConfigs(new Uint8Array(await (await fetch(keysUrl)).arrayBuffer())).map((c) => c.keyId);
    const [oldId] = await servedIds();
    // The device's clock, two minutes either side of a UTC midnight: each flush sends the day before, and both
    // the report key (max-age 5 min) and the gateway configuration (a day) fetched at t1 are still fresh at t2, so
    // only the gateway's ohttp-key answer can make the device fetch the configuration again.
    const midnight = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    const t1 = midnight - 120_000;
    const t2 = midnight + 60_000;
    let now = t1 - 86_400_000;
    const requests: string[] = [];
    const candor = relayedDevice(parties, deviceFetch([], requests), () => now);
    await candor.ready;
    candor.counter('page_load.count').add(1);
    await candor.flush();
    now = t1;
    await candor.flush();
    expect(candor.transparencyLog().map((e) => e.status)).toEqual(['accepted']);
    const hopsBefore = parties.gatewayHop.length;

    // Another process rotates (report and gateway keys, a week's grace), and the running collector is told to
    // re-read its keys: it serves the new gateway key only.
    const keysDir = join(parties.dir, 'collector', 'keys');
    const rotate = processes.run(['keys', 'rotate', '--keys', keysDir]);
    const code = await new Promise<number | null>((done) => rotate.child.once('exit', done));
    expect(code, rotate.output()).toBe(0);
    const newId = Number(/gateway key (\d+)/.exec(rotate.output())?.[1]);
    expect(newId).not.toBe(oldId);
    const reloads = () => parties.collector.output().split('keys reloaded').length - 1;
    const reload = async () => {
      const before = reloads();
      parties.collector.child.kill('SIGHUP');
      await waitFor('keys reloaded', 10_000, async () => reloads() > before);
    };
    await reload();
    expect(await servedIds()).toEqual([newId]);
    // The week passes for the old gateway key (only it: the report key's grace is another matter).
    const old = (await readKeys(keysDir, 'ohttp')).find((k) => k.id === oldId);
    if (!old?.retiresAt) throw new Error('the old gateway key was not given a retirement time');
    await writeFile(
      join(keysDir, `ohttp-${oldId}.json`),
      JSON.stringify({ ...old, retiresAt: new Date().toISOString() }),
    );
    await reload();

    candor.counter('page_load.count').add(2);
    now = t2;
    await candor.flush();
    const log = candor.transparencyLog();
    await candor.shutdown();
    expect(log.map((e) => [e.status, e.httpStatus])).toEqual([
      ['accepted', 202],
      ['accepted', 202],
    ]);
    // The first request after the rotation was encapsulated to the old key and refused; the device fetched the
    // configuration again, straight from the collector, and everything after went to the new key.
    const after = parties.gatewayHop.slice(hopsBefore).map((hop) => hop.body[0]);
    expect(after[0]).toBe(oldId);
    expect(after.slice(1).length).toBeGreaterThan(0);
    expect(after.slice(1).every((id) => id === newId)).toBe(true);
    expect(requests.filter((r) => r === `GET ${keysUrl}`)).toHaveLength(2);
  });

  it('serves one key configuration to every device, as application/ohttp-keys', async () => {
    const parties = await startParties();
    const a = await deviceFetch([])(parties.collectorUrl + OHTTP_PATHS.keys);
    const b = await fetch(parties.collectorUrl + OHTTP_PATHS.keys);
    expect(a.headers.get('content-type')).toBe('application/ohttp-keys');
    expect(Buffer.from(await a.arrayBuffer()).equals(Buffer.from(await b.arrayBuffer()))).toBe(true);
  });

  it('a tampered encapsulated request and an unknown key id get clear problems', async () => {
    const parties = await startParties();
    const keys = new Uint8Array(await (await fetch(parties.collectorUrl + OHTTP_PATHS.keys)).arrayBuffer());
    const config = decodeKeyConfigs(keys)[0];
    if (!config) throw new Error('no key configuration');
    // A well-formed encapsulated request, sealed by an independent HPKE (@hpke/core); then one bit flipped.
    const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
    const header = ohttpRequestHeader(config.keyId);
    const sender = await suite.createSenderContext({
      recipientPublicKey: await suite.kem.deserializePublicKey(config.publicKey.slice().buffer),
      info: ohttpRequestInfo(header).slice().buffer,
    });
    const sealed = new Uint8Array(await sender.seal(new TextEncoder().encode('not even binary HTTP').buffer));
    const encapsulated = new Uint8Array([...header, ...new Uint8Array(sender.enc), ...sealed]);
    const post = (body: Uint8Array, type = 'message/ohttp-req') =>
      fetch(parties.relayUrl, {
        method: 'POST',
        headers: { 'content-type': type },
        body: body as Uint8Array<ArrayBuffer>,
      });

    const tampered = encapsulated.slice();
    tampered[60] = (tampered[60] as number) ^ 1;
    const broken = await post(tampered);
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ type: 'https://candor.dev/problems/ohttp-decrypt', status: 400 });

    const wrongKey = encapsulated.slice();
    wrongKey[0] = (config.keyId + 1) % 256;
    const unknown = await post(wrongKey);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ type: PROBLEM_OHTTP_KEY, keys: OHTTP_PATHS.keys });

    // Opened fine, but not binary HTTP: answered inside the encapsulation, which the relay cannot read.
    const opaque = await post(encapsulated);
    expect(opaque.status).toBe(200);
    expect(opaque.headers.get('content-type')).toBe('message/ohttp-res');
  });

  it('the relay refuses other content types and oversize bodies without forwarding them', async () => {
    const parties = await startParties(['--max-body', '1000']);
    const plain = await fetch(parties.relayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/candor-hpke' },
      body: new Uint8Array(100),
    });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ field: 'content-type', detail: 'send message/ohttp-req' });
    const big = await fetch(parties.relayUrl, {
      method: 'POST',
      headers: { 'content-type': 'message/ohttp-req' },
      body: new Uint8Array(1001),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ detail: 'at most 1000 bytes' });
    expect(parties.gatewayHop).toHaveLength(0);
  });
});
