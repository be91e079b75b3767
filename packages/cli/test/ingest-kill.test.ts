import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, postRaw, sampleBatch, sealForCollector, seededRandom, waitFor } from '@candor/server/testing';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(MAIN)) {
  const message = `dedupe kill test: ${MAIN} is missing; run \`npm run build\` first`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n*** SKIPPED: ${message} ***\n`);
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function serve(dir: string, port: number): Promise<ChildProcess> {
  const args = ['serve', '--port', String(port), '--store', `duckdb:${join(dir, 'candor.duckdb')}`];
  const child = spawn(process.execPath, [MAIN, ...args, '--keys', join(dir, 'keys'), '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stderr?.on('data', (d) => {
    output = (output + d).slice(-5_000);
  });
  await waitFor(`collector on port ${port}`, 30_000, async () => {
    if (child.exitCode !== null) throw new Error(`collector exited: ${output}`);
    return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true;
  });
  return child;
}

function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

describe.skipIf(!existsSync(MAIN))('dedupe survives kill -9', () => {
  it('a captured sealed upload replayed after the collector was killed and restarted is a duplicate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-kill-'));
    dirs.push(dir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = await serve(dir, port);
    const captured = await sealForCollector(url, sampleBatch(5, seededRandom(11)));
    const stored = await postRaw(url, captured);
    expect({ status: stored.status, body: JSON.parse(stored.body) }).toEqual({
      status: 202,
      body: { accepted: 5, duplicates: 0 },
    });
    await killHard(first); // no clean shutdown: nothing gets saved on the way out
    await serve(dir, port);
    const replayed = await postRaw(url, captured);
    expect({ status: replayed.status, body: JSON.parse(replayed.body) }).toEqual({
      status: 202,
      body: { accepted: 0, duplicates: 5 },
    });
    // `candor serve` inspects on its worker threads: a report of no real day is refused there as well.
    const badDay = sampleBatch(1, seededRandom(12));
    (badDay.reports[0] as { day: string }).day = '2026-13-45';
    const refused = await postRaw(url, await sealForCollector(url, badDay));
    expect({ status: refused.status, field: JSON.parse(refused.body).field }).toEqual({ status: 422, field: 'day' });
  }, 90_000);
});
