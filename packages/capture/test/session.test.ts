import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditFiles, type Finding } from '@candor/audit';
import { freePort } from '@candor/server/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type CaptureCa, loadOrCreateCa } from '../src/ca.js';
import { CaptureSession, type LiveRequest } from '../src/session.js';
import { startUpstream, tunnel, tunnelAgent, type Upstream, upstreamCertificate } from './helpers.js';

const EMAIL = 'jane.doe@example.com';
const AD_ID = '38400000-8cf0-11bd-b23e-10b96e40000d';
const LEAK = JSON.stringify({ event: 'open', email: EMAIL, advertising_id: AD_ID });

let ca: CaptureCa;
let upstream: Upstream;
let upstreamCert: string;
let dir: string;

/** Collects live events; `next` resolves with the first one, present or future, that matches. */
class Recorder {
  readonly events: LiveRequest[] = [];
  readonly pinned: string[] = [];
  private waiters: Array<{ match: (e: LiveRequest) => boolean; resolve: (e: LiveRequest) => void }> = [];
  private pinWaiters: Array<{ host: string; resolve: () => void }> = [];

  request(event: LiveRequest): void {
    this.events.push(event);
    const matched = this.waiters.filter((w) => w.match(event));
    this.waiters = this.waiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(event);
  }

  pin(host: string): void {
    this.pinned.push(host);
    for (const w of this.pinWaiters) if (w.host === host) w.resolve();
    this.pinWaiters = this.pinWaiters.filter((w) => w.host !== host);
  }

  next(match: (e: LiveRequest) => boolean): Promise<LiveRequest> {
    const found = this.events.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  pinnedOnce(host: string): Promise<void> {
    if (this.pinned.includes(host)) return Promise.resolve();
    return new Promise((resolve) => this.pinWaiters.push({ host, resolve }));
  }
}

async function startSession(name: string, maxBodyBytes?: number) {
  const recorder = new Recorder();
  const out = join(dir, `${name}.har`);
  const session = await CaptureSession.start({
    ca,
    port: await freePort(),
    out,
    maxBodyBytes,
    upstreamCAs: [upstreamCert],
    listener: { request: (e) => recorder.request(e), pinned: (h) => recorder.pin(h) },
  });
  return { session, recorder, out };
}

function categories(findings: Finding[]): string[] {
  return [...new Set(findings.map((f) => `${f.category}/${f.detector}`))].sort();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'candor-capture-'));
  ca = await loadOrCreateCa(join(dir, 'home'));
  const credentials = upstreamCertificate();
  upstreamCert = credentials.cert;
  upstream = await startUpstream(credentials);
});

afterAll(async () => {
  await upstream?.close();
});

function post(agent: https.Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      { host: 'localhost', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('candor capture proxy', () => {
  it('intercepts HTTP/1.1 over TLS with the generated CA, reports the leak live and appends it to the HAR', async () => {
    const { session, recorder, out } = await startSession('h1');
    try {
      const agent = tunnelAgent(session.port, upstream.h1Port, ca.cert);
      expect(await post(agent, upstream.h1Port, '/v1/track?src=h1', LEAK)).toBe(204);
      const live = await recorder.next((e) => e.url.includes('/v1/track?src=h1'));
      expect(live.protocol).toBe('1.1');
      expect(live.host).toBe('localhost');
      expect(categories(live.findings)).toEqual(
        expect.arrayContaining(['contact/email', 'platform-id/advertising-id']),
      );
      expect(upstream.received.get('/v1/track?src=h1')).toBe(Buffer.byteLength(LEAK));
    } finally {
      await session.stop();
    }
    const audit = await auditFiles([out]);
    expect(audit.requests).toBe(1);
    expect(categories(audit.findings)).toEqual(expect.arrayContaining(['contact/email', 'platform-id/advertising-id']));
  });

  it('speaks HTTP/2 to a client that offers it', async () => {
    const { session, recorder, out } = await startSession('h2');
    const socket = await tunnel(session.port, upstream.h2Port, { ca: ca.cert, alpn: ['h2'] });
    expect(socket.alpnProtocol).toBe('h2');
    const client = http2.connect(`https://localhost:${upstream.h2Port}`, { createConnection: () => socket });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = client.request({ ':method': 'POST', ':path': '/h2/track', 'content-type': 'application/json' });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
        stream.end(LEAK);
      });
      expect(status).toBe(204);
      const live = await recorder.next((e) => e.url.endsWith('/h2/track'));
      expect(live.protocol).toBe('2.0');
      expect(categories(live.findings)).toEqual(
        expect.arrayContaining(['contact/email', 'platform-id/advertising-id']),
      );
    } finally {
      client.close();
      await session.stop();
    }
    const har = JSON.parse(await readFile(out, 'utf8'));
    expect(har.log.entries[0].request.httpVersion).toBe('HTTP/2.0');
    expect(har.log.entries[0].request.headers.some((h: { name: string }) => h.name.startsWith(':'))).toBe(false);
  });

  it('intercepts WebSocket messages, live and in the HAR', async () => {
    const { session, recorder, out } = await startSession('ws');
    const agent = tunnelAgent(session.port, upstream.h1Port, ca.cert);
    const socket = new WebSocket(`wss://localhost:${upstream.h1Port}/socket`, { agent });
    try {
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      const reply = new Promise((resolve) => socket.once('message', resolve));
      socket.send(LEAK);
      expect(String(await reply)).toBe('ok');
      const live = await recorder.next((e) => e.protocol === 'websocket');
      expect(categories(live.findings)).toEqual(
        expect.arrayContaining(['contact/email', 'platform-id/advertising-id']),
      );
      expect(live.findings.every((f) => f.field.startsWith('ws['))).toBe(true);
      expect(upstream.socketMessages).toContain(LEAK);
    } finally {
      socket.close();
      await session.stop();
    }
    const audit = await auditFiles([out]);
    expect(audit.findings.some((f) => f.category === 'contact' && f.field.startsWith('ws['))).toBe(true);
  });

  it('reports a client that refuses the certificate as probably pinned, once per host', async () => {
    const { session, recorder } = await startSession('pinned');
    const certFile = join(dir, 'upstream.pem');
    await writeFile(certFile, upstreamCert);
    try {
      // curl trusting only the site's own certificate, as a pinning app does: it sends an "unknown CA" alert.
      const refuse = (host: string) =>
        new Promise<number | null>((resolve) => {
          const curl = spawn(
            'curl',
            [
              '-s',
              '--proxy',
              `http://127.0.0.1:${session.port}`,
              '--cacert',
              certFile,
              `https://${host}:${upstream.h1Port}/`,
            ],
            { stdio: 'ignore' },
          );
          curl.on('exit', (code) => resolve(code));
        });
      expect(await refuse('localhost')).toBe(60); // curl: peer certificate cannot be authenticated
      await recorder.pinnedOnce('localhost');
      expect(await refuse('localhost')).toBe(60);
      // A third refusal, to another host, is handled after the second one to the first host.
      expect(await refuse('pinned.example')).toBe(60);
      await recorder.pinnedOnce('pinned.example');
      expect(recorder.pinned).toEqual(['localhost', 'pinned.example']);
      expect(session.pinned).toEqual(['localhost', 'pinned.example']);
    } finally {
      await session.stop();
    }
  });

  it("does not open this computer's loopback services to other devices on the network", async (context) => {
    const lan = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!lan) {
      const message = 'loopback guard test: this machine has no non-loopback IPv4 address to connect from';
      if (process.env.CI === 'true') throw new Error(message);
      console.warn(`\n*** SKIPPED: ${message} ***\n`);
      return context.skip();
    }
    let hits = 0;
    const local = createServer((_request, response) => {
      hits++;
      response.end('private');
    });
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    const localHost = `127.0.0.1:${(local.address() as AddressInfo).port}`;
    const target = `http://${localHost}/secret`;
    const { session } = await startSession('guard');
    // A plain-HTTP proxy request, as a phone on the network would send it, then the same from this computer.
    const ask = (via: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          { host: via, port: session.port, path: target, headers: { host: localHost } },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('error', reject);
        request.end();
      });
    try {
      expect(await ask(lan)).toBe(403);
      expect(hits).toBe(0);
      expect(await ask('127.0.0.1')).toBe(200);
      expect(hits).toBe(1);
    } finally {
      await session.stop();
      await new Promise((resolve) => local.close(resolve));
    }
  });

  it('streams a 100 MB upload through without holding it, and records its size only', async () => {
    const { session, recorder, out } = await startSession('large', 1024 * 1024);
    const total = 100 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const before = process.memoryUsage.rss();
    let peak = before;
    try {
      const agent = tunnelAgent(session.port, upstream.h1Port, ca.cert);
      const status = await new Promise<number>((resolve, reject) => {
        const request = https.request(
          {
            host: 'localhost',
            port: upstream.h1Port,
            path: '/upload',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/octet-stream', 'content-length': total },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        request.on('error', reject);
        let sent = 0;
        const write = () => {
          while (sent < total) {
            sent += chunk.length;
            peak = Math.max(peak, process.memoryUsage.rss());
            if (!request.write(chunk)) return void request.once('drain', write);
          }
          request.end();
        };
        write();
      });
      expect(status).toBe(204);
      expect(upstream.received.get('/upload')).toBe(total);
      await recorder.next((e) => e.url.endsWith('/upload'));
    } finally {
      await session.stop();
    }
    const growth = peak - before;
    console.log(`100 MB upload: peak RSS growth ${(growth / 1e6).toFixed(1)} MB`);
    // Holding the body needs at least its 104.9e6 bytes on top of everything else (117 MB measured when the proxy
    // was set to keep it); streaming measured 36-44 MB here, the client, proxy and server sharing this process.
    expect(growth).toBeLessThan(80e6);
    const har = JSON.parse(await readFile(out, 'utf8'));
    const entry = har.log.entries[0];
    expect(entry.request.bodySize).toBe(total);
    expect(entry.request.postData).toBeUndefined();
    expect(entry.comment).toMatch(/larger than candor capture keeps/);
  });
});
