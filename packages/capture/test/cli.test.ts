import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@candor/server/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCapture } from '../src/cli.js';
import { startUpstream, tunnelAgent, type Upstream, upstreamCertificate } from './helpers.js';

let dir: string;
let upstream: Upstream;
let upstreamCaFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'candor-capture-cli-'));
  const credentials = upstreamCertificate();
  upstreamCaFile = join(dir, 'upstream.pem');
  await writeFile(upstreamCaFile, credentials.cert);
  upstream = await startUpstream(credentials);
});

afterAll(async () => {
  await upstream?.close();
});

function io(stop?: AbortSignal, ready?: (where: { proxyPort: number; viewUrl: string }) => void) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (t: string) => out.push(t),
      stderr: (t: string) => err.push(t),
      stop,
      ready,
      env: { CANDOR_HOME: join(dir, 'home') },
    },
  };
}

/** Reads server-sent events until one matches. */
async function nextEvent(body: ReadableStream<Uint8Array>, match: (data: string) => boolean): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the live view closed before the event arrived');
    buffered += decoder.decode(value, { stream: true });
    for (const line of buffered.split('\n')) {
      if (line.startsWith('data: ') && match(line.slice(6))) {
        reader.releaseLock();
        return line.slice(6);
      }
    }
  }
}

describe('candor capture', () => {
  it('prints help, and where the CA is with install steps', async () => {
    const help = io();
    expect(await runCapture(['--help'], help.io)).toBe(0);
    expect(help.out.join('\n')).toMatch(/usage: candor capture/);
    const ca = io();
    expect(await runCapture(['ca'], ca.io)).toBe(0);
    const text = ca.out.join('\n');
    expect(text).toContain(join(dir, 'home', 'capture-ca', 'ca-cert.pem'));
    for (const client of ['Android', 'emulator', 'iOS', 'Firefox', 'Chrome']) expect(text).toContain(client);
    const bad = io();
    expect(await runCapture(['--port', 'eighty'], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toMatch(/--port must be a port number/);
  });

  it('shows findings live, on the console and the 127.0.0.1 view, and audits the capture on stop', async () => {
    const stop = new AbortController();
    let ready!: (where: { proxyPort: number; viewUrl: string }) => void;
    const started = new Promise<{ proxyPort: number; viewUrl: string }>((resolve) => (ready = resolve));
    const out = join(dir, 'cli.har');
    const html = join(dir, 'report.html');
    const run = io(stop.signal, ready);
    const proxyPort = await freePort();
    const done = runCapture(
      ['--port', String(proxyPort), '--view-port', '0', '--out', out, '--html', html, '--upstream-ca', upstreamCaFile],
      run.io,
    );
    const { viewUrl } = await started;
    expect(viewUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await (await fetch(viewUrl)).text()).toContain('live findings by destination');
    const events = await fetch(new URL('events', viewUrl));
    if (!events.body) throw new Error('no event stream');

    const ca = await readFile(join(dir, 'home', 'capture-ca', 'ca-cert.pem'), 'utf8');
    const agent = tunnelAgent(proxyPort, upstream.h1Port, ca);
    await new Promise<void>((resolve, reject) => {
      const request = https.request(
        {
          host: 'localhost',
          port: upstream.h1Port,
          path: '/collect',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
        },
        (response) => response.resume().on('end', () => resolve()),
      );
      request.on('error', reject);
      request.end(JSON.stringify({ email: 'jane.doe@example.com' }));
    });
    const event = JSON.parse(await nextEvent(events.body, (data) => data.includes('/collect')));
    expect(event).toMatchObject({ kind: 'request', host: 'localhost', method: 'POST' });
    expect(event.findings).toContainEqual(
      expect.objectContaining({ category: 'contact', evidence: 'jane.doe@example.com' }),
    );
    await events.body.cancel();

    stop.abort();
    expect(await done).toBe(0);
    const printed = run.out.join('\n');
    expect(printed).toMatch(/POST localhost:\d+\/collect/);
    expect(printed).toMatch(/CRITICAL contact\/email body:email via json = jane\.doe@example\.com/);
    expect(printed).toMatch(/candor audit: 1 file\(s\), 1 request\(s\)/);
    expect(await readFile(html, 'utf8')).toContain('jane.doe@example.com');
  });
});
