// The second client, written in Python from docs/protocol.md alone (examples/python-client), against the
// protocol's vectors and against `candor conformance` on a free port: it must pass every rule.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceSummary } from '@candor/server';
import { freePort } from '@candor/server/testing';
import { describe, expect, it, vi } from 'vitest';
import { run as conformance } from '../src/commands/conformance.js';

const PYTHON = '/usr/bin/python3';
const PUBLIC_SUFFIX_LIST = '/usr/share/publicsuffix/public_suffix_list.dat';
const clientDir = fileURLToPath(new URL('../../../examples/python-client/', import.meta.url));

function pythonAvailable(): boolean {
  const ok =
    existsSync(PYTHON) &&
    existsSync(PUBLIC_SUFFIX_LIST) &&
    spawnSync(PYTHON, ['-c', 'import cryptography'], { stdio: 'ignore' }).status === 0;
  if (ok) return true;
  const message = `Python client tests: ${PYTHON} with the cryptography package, or ${PUBLIC_SUFFIX_LIST}, is missing (apt-get install -y python3-cryptography publicsuffix)`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI must run these tests`);
  console.warn(`\n!!! SKIPPING ${message} !!!\n`);
  return false;
}

function runPython(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, args, { cwd: clientDir });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe.skipIf(!pythonAvailable())('the Python client written from docs/protocol.md', () => {
  it('reproduces the protocol vectors: envelopes byte for byte, sites, buckets, crash signatures, bounds', async () => {
    const { code, out } = await runPython(['test_vectors.py']);
    expect(out).toMatch(/\nOK\s*$/);
    expect(code).toBe(0);
  });

  it('passes `candor conformance`, retry test included', { timeout: 40_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-conformance-'));
    const port = await freePort();
    const jsonPath = join(dir, 'summary.json');
    const lines: string[] = [];
    let listening: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      listening = resolve;
    });
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      lines.push(String(line));
      if (String(line).startsWith('candor conformance collector on')) listening();
    });
    try {
      const exit = conformance(['--port', String(port), '--retry-after', '1', '--timeout', '20', '--json', jsonPath]);
      await ready;
      const client = await runPython([
        'candor_client.py',
        '--collector',
        `http://127.0.0.1:${port}`,
        '--retry-base',
        '0.2',
      ]);
      const code = await exit;
      const summary = JSON.parse(await readFile(jsonPath, 'utf8')) as ConformanceSummary;
      expect(client.out).toMatch(/retrying 503[\s\S]*accepted 202/);
      expect(client.code).toBe(0);
      expect(summary.rules.filter((r) => r.result !== 'pass')).toEqual([]);
      expect(summary.uploads.map((u) => u.status)).toEqual([503, 202]);
      expect(code).toBe(0);
      expect(lines.join('\n')).toMatch(/# candor conformance: PASS/);
    } finally {
      log.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
