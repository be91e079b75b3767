// `candor conformance` as a team runs it: a client that never retries the 503 ends the run with exit code 1
// and a Markdown summary naming the rule it broke.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATHS, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { freePort, sampleBatch, sealForCollector } from '@candor/server/testing';
import { expect, it, vi } from 'vitest';
import { run as conformance } from '../src/commands/conformance.js';

it('exits 1 with a summary naming the broken rule when a client does not retry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'candor-conformance-'));
  const port = await freePort();
  const markdown = join(dir, 'summary.md');
  let listening: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    listening = resolve;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    if (String(line).startsWith('candor conformance collector on')) listening();
  });
  try {
    // Retry-After 0 and no grace: the retry counts as missing as soon as the 503 is answered.
    const exit = conformance([
      '--port',
      String(port),
      '--retry-after',
      '0',
      '--retry-grace',
      '0',
      '--markdown',
      markdown,
    ]);
    await ready;
    const url = `http://127.0.0.1:${port}`;
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const body = await sealForCollector(url, sampleBatch(1, Math.random, yesterday));
    const answer = await fetch(url + PATHS.reports, {
      method: 'POST',
      headers: { 'content-type': SEALED_CONTENT_TYPE },
      body: new Uint8Array(body),
    });
    expect(answer.status).toBe(503);
    expect(await exit).toBe(1);
    const summary = await readFile(markdown, 'utf8');
    expect(summary).toMatch(/^# candor conformance: FAIL/);
    expect(summary).toMatch(/\| retry\.honoured \| .* \| \*\*FAIL\*\* \(1\) \|/);
    expect(summary).toMatch(/retry\.honoured: no retry within 0 s of the 503/);
  } finally {
    log.mockRestore();
    await rm(dir, { recursive: true, force: true });
  }
});
