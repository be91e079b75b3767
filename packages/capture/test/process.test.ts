import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditFiles } from '@candor/audit';
import { freePort } from '@candor/server/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, tunnelAgent, type Upstream, upstreamCertificate } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));
const built = existsSync(MAIN);
if (!built) {
  const message = `capture process tests: ${MAIN} is missing; run \`npm run build\` first`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n*** SKIPPED: ${message} ***\n`);
}

let dir: string;
let upstream: Upstream;
let upstreamCaFile: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'candor-capture-kill-'));
  const credentials = upstreamCertificate();
  upstreamCaFile = join(dir, 'upstream.pem');
  await writeFile(upstreamCaFile, credentials.cert);
  upstream = await startUpstream(credentials);
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await upstream?.close();
});

describe.skipIf(!built)('the candor capture process', () => {
  it('leaves a valid HAR holding the requests already written when killed with SIGKILL', async () => {
    const out = join(dir, 'killed.har');
    const port = await freePort();
    const home = join(dir, 'home');
    child = spawn(
      process.execPath,
      [MAIN, 'capture', '--port', String(port), '--view-port', '0', '--out', out, '--upstream-ca', upstreamCaFile],
      { env: { ...process.env, CANDOR_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const proc = child;
    let stdout = '';
    const printed = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => pattern.test(stdout) && resolve();
        proc.stdout?.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          check();
        });
        proc.once('exit', (code) => reject(new Error(`candor capture exited (${code}): ${stdout}`)));
        check();
      });
    await new Promise<void>((resolve, reject) => {
      proc.stderr?.on('data', (chunk: Buffer) => /appending to/.test(chunk.toString()) && resolve());
      proc.once('exit', (code) => reject(new Error(`candor capture exited early (${code})`)));
    });
    const agent = tunnelAgent(port, upstream.h1Port, await readFile(join(home, 'capture-ca', 'ca-cert.pem'), 'utf8'));
    const send = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const request = https.request(
          { host: 'localhost', port: upstream.h1Port, path: `/k/${n}`, method: 'POST', agent },
          (response) => response.resume().on('end', () => resolve()),
        );
        request.on('error', reject);
        request.end(JSON.stringify({ n, email: `kill${n}@example.com` }));
      });
    await Promise.all([1, 2, 3, 4, 5].map(send));
    // The last live line printed means the last entry was handed to the file; kill without letting it finish.
    await printed(/k\/5[\s\S]*email/);
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));
    const audit = await auditFiles([out]);
    expect(audit.requests).toBeGreaterThan(0);
    expect(audit.requests).toBeLessThanOrEqual(5);
    const emails = audit.findings.filter((f) => f.detector === 'email').map((f) => f.evidence);
    expect(emails).toHaveLength(audit.requests);
  });

  it('goes on capturing after a request with a malformed URL', async () => {
    const out = join(dir, 'malformed.har');
    const port = await freePort();
    const home = join(dir, 'home');
    const proc = spawn(
      process.execPath,
      [MAIN, 'capture', '--port', String(port), '--view-port', '0', '--out', out, '--upstream-ca', upstreamCaFile],
      { env: { ...process.env, CANDOR_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let stderr = '';
    const said = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => pattern.test(stderr) && resolve();
        proc.stderr?.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          check();
        });
        proc.once('exit', (code) => reject(new Error(`candor capture exited (${code}): ${stderr}`)));
        check();
      });
    await said(/appending to/);
    const socket = connect(port, '127.0.0.1', () => socket.write('GET http://[::1/x HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.on('error', () => {});
    await said(/ignored a request with a malformed URL/);
    socket.destroy();
    // Still capturing: a well-formed request afterwards is recorded.
    const agent = tunnelAgent(port, upstream.h1Port, await readFile(join(home, 'capture-ca', 'ca-cert.pem'), 'utf8'));
    await new Promise<void>((resolve, reject) => {
      const request = https.request(
        { host: 'localhost', port: upstream.h1Port, path: '/after', method: 'POST', agent },
        (response) => response.resume().on('end', () => resolve()),
      );
      request.on('error', reject);
      request.end('{"email":"after@example.com"}');
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    const audit = await auditFiles([out]);
    expect(audit.findings.map((f) => f.evidence)).toContain('after@example.com');
  });
});
