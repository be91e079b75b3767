// The `candor` command as a newcomer meets it: exit codes, one-line errors for common mistakes, `--version`, and
// `candor tail` showing an integration's reports without storing them. Runs the built command (dist/main.js).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, postRaw, sampleReport, sealForCollector, seededRandom } from '@candor/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function built(): boolean {
  if (existsSync(MAIN)) return true;
  const message = `candor command tests: ${MAIN} is missing; run \`npm run build\` first`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!! SKIPPING ${message} !!!\n`);
  return false;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `candor ARGS` to its end. */
function candor(args: string[], cwd: string): Promise<Outcome> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts a long-running `candor ARGS`; resolves once its output matches `ready`. */
function start(args: string[], cwd: string, ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      if (ready.test(output)) resolve({ child, output: () => output });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`candor ${args.join(' ')} exited with ${code}: ${output}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** One line, no stack trace, no raw system error code. */
function expectOneLine(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |E[A-Z]{4,}|Error:/);
}

describe.skipIf(!built())('the candor command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'candor-command-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(await candor(['--version'], dir)).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('exits 2 for bad usage and bad values, in every command', async () => {
    for (const args of [
      [],
      ['nonsense'],
      ['serve', '--nonsense'],
      ['serve', '--port', 'http'],
      ['serve', '--allow-origin', 'notes.example/path'],
      ['tail', '--port', '-1'],
      ['registry', 'check'],
      ['registry', 'check', 'missing.yaml'],
    ]) {
      const outcome = await candor(args, dir);
      expect(outcome.code, args.join(' ')).toBe(2);
    }
  });

  it('refuses a privacy budget that protects nothing', async () => {
    for (const args of [
      ['--epsilon', '0'],
      ['--delta', '1'],
    ]) {
      const outcome = await candor(['serve', ...args, '--port', '0'], dir);
      expect(outcome.code, args.join(' ')).toBe(2);
      expect(outcome.stderr).toMatch(new RegExp(`${args[0]}: "${args[1]}" is not valid`));
      expectOneLine(outcome.stderr);
    }
  });

  it('exits 1 when a registry file has errors, 0 when it has none', async () => {
    const path = join(dir, 'metrics.yaml');
    const metric = `    type: counter
    category: ui
    description: Notes created in a day.
    purpose: Know whether people write notes at all.
    owner: notes-team@notes.example
    sensitivity: interaction
`;
    await writeFile(
      path,
      `app: notes\nversion: 2026.11.1\nmetrics:\n  notes.created:\n${metric}    expires: 2020-01-01\n`,
    );
    const expired = await candor(['registry', 'check', path], dir);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toMatch(/error: notes\.created expires: expired on 2020-01-01/);
    // The collector refuses the same file, naming it.
    const serve = await candor(['serve', '--port', '0', '--store', 'duckdb::memory:', '--registry', path], dir);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/notes\.created expires: expired/);
    await writeFile(
      path,
      `app: notes\nversion: 2026.11.1\nmetrics:\n  notes.created:\n${metric}    expires: 2099-01-01\n`,
    );
    expect((await candor(['registry', 'check', path], dir)).code).toBe(0);
    await writeFile(path, 'app: notes\n  version: [\n');
    const broken = await candor(['registry', 'check', path], dir);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/metrics\.yaml:\d+:\d+: not valid YAML/);
  });

  it('simulates the demo history once: a second start on the same store adds live waves only', async () => {
    const store = `duckdb:${join(dir, 'demo', 'candor.duckdb')}`;
    const args = [
      'serve',
      '--simulate',
      '--devices',
      '5',
      '--port',
      '0',
      '--store',
      store,
      '--keys',
      join(dir, 'demo'),
    ];
    const first = await start(args, dir, /dashboard ready/);
    await stop(first.child);
    expect(first.output()).toMatch(/simulating 5 phones .* of history/);
    const second = await start(args, dir, /already holds the simulated history/);
    await stop(second.child);
    expect(second.output()).not.toMatch(/of history/);
  });

  it('rotates report and gateway keys together, and lists both kinds', async () => {
    const keys = join(dir, 'rotate-keys');
    expect(await candor(['keys', 'create', '--keys', keys], dir)).toMatchObject({ code: 0 });
    const rotated = await candor(['keys', 'rotate', '--grace-days', '2', '--keys', keys], dir);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/created report key 2 and gateway key 1; older keys retire in 2 day\(s\)/);
    const again = await candor(['keys', 'rotate', '--keys', keys], dir);
    expect(again.stdout).toMatch(/created report key 3 and gateway key 2; older keys retire in 7 day\(s\)/);
    const listed = await candor(['keys', 'list', '--keys', keys], dir);
    const lines = listed.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'report 3',
      'report 2',
      'report 1',
      'gateway 2',
      'gateway 1',
    ]);
    expect(lines.map((l) => (l.includes('active') ? 'active' : l.includes('retiring') ? 'retiring' : '?'))).toEqual([
      'active',
      'retiring',
      'retiring',
      'active',
      'retiring',
    ]);
  });

  it('says in one line that a port is busy, and exits 3', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((done) => holder.listen(port, '127.0.0.1', done));
    try {
      const outcome = await candor(['serve', '--port', String(port), '--store', 'duckdb::memory:'], dir);
      expect(outcome.code).toBe(3);
      expect(outcome.stderr).toMatch(new RegExp(`port ${port} .*already in use`));
      expectOneLine(outcome.stderr);
    } finally {
      holder.close();
    }
  });

  it('says in one line that the store is in use by another collector, and exits 3', async () => {
    const store = `duckdb:${join(dir, 'locked', 'candor.duckdb')}`;
    const first = await start(['serve', '--port', '0', '--store', store], dir, /candor collector listening/);
    try {
      const second = await candor(['serve', '--port', '0', '--store', store], dir);
      expect(second.code).toBe(3);
      expect(second.stderr).toMatch(/the store .*candor\.duckdb is in use by another process/);
      expectOneLine(second.stderr);
    } finally {
      await stop(first.child);
    }
  });

  it('says in one line that ClickHouse cannot be reached, and exits 3', async () => {
    const port = await freePort();
    const outcome = await candor(['serve', '--port', '0', '--store', `clickhouse://127.0.0.1:${port}/candor`], dir);
    expect(outcome.code).toBe(3);
    expect(outcome.stderr).toMatch(/ClickHouse .*nothing answers at 127\.0\.0\.1/);
    expectOneLine(outcome.stderr);
  });

  it('says in one line that a folder is missing, before doing the work', async () => {
    const har = fileURLToPath(new URL('../../audit/test/fixtures/clean.har', import.meta.url));
    const outcome = await candor(['audit', har, '--html', join(dir, 'no-such-folder', 'report.html')], dir);
    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expectOneLine(outcome.stderr);
    expect(outcome.stderr).toMatch(/no-such-folder/);
  });
});

describe.skipIf(!built())('candor tail --json', () => {
  it('prints one JSON line per accepted report, for scripts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-tail-json-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const tail = await start(
      ['tail', '--json', '--port', String(port), '--keys', join(dir, 'keys')],
      dir,
      /development/,
    );
    try {
      const report = sampleReport(seededRandom(9), { metrics: { 'page_load.count': 2 } });
      expect((await postRaw(url, await sealForCollector(url, { v: 1, reports: [report] }))).status).toBe(202);
      const line = await new Promise<string>((resolve) => {
        const check = () => {
          const found = tail
            .output()
            .split('\n')
            .find((l) => l.startsWith('{') && l.includes('"accepted":{'));
          if (found) resolve(found);
        };
        tail.child.stdout?.on('data', check);
        check();
      });
      const parsed = JSON.parse(line) as { accepted: { app: string; metrics: Record<string, unknown> } };
      expect(parsed.accepted.app).toBe('candor-browser');
      expect(parsed.accepted.metrics).toEqual({ 'page_load.count': 2 });
    } finally {
      await stop(tail.child);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!built())('candor tail', () => {
  let dir: string;
  let tail: { child: ChildProcess; output: () => string };
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'candor-tail-test-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    tail = await start(['tail', '--port', String(port), '--keys', join(dir, 'keys')], dir, /development collector/);
  });
  afterAll(async () => {
    await stop(tail.child);
    await rm(dir, { recursive: true, force: true });
  });

  /** Waits until tail has printed a line matching `pattern`. */
  const printed = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const check = () => {
        const line = tail
          .output()
          .split('\n')
          .find((l) => pattern.test(l));
        if (line) {
          tail.child.stdout?.off('data', check);
          resolve(line);
        }
      };
      tail.child.stdout?.on('data', check);
      check();
    });

  it('prints each accepted report and each rejection, and stores nothing', async () => {
    const random = seededRandom(3);
    const report = sampleReport(random, { metrics: { 'page_load.count': 4, 'ui.open_tabs': 2 } });
    const answer = await postRaw(url, await sealForCollector(url, { v: 1, reports: [report] }));
    expect(answer.status).toBe(202);
    expect(await printed(/report {4}candor-browser/)).toMatch(/page_load\.count=4 ui\.open_tabs=2/);
    expect(await printed(/accepted {2}1 report/)).toBeTruthy();

    const bad = sampleReport(random, { metrics: { 'page_load.count': -3 } });
    const rejected = await postRaw(url, await sealForCollector(url, { v: 1, reports: [bad] }));
    expect(rejected.status).toBe(422);
    expect(await printed(/REJECTED {2}422 invalid-value: page_load\.count/)).toBeTruthy();
    // Nothing is kept: no query token, no store file in the folder it ran in.
    expect(existsSync(join(dir, '.candor'))).toBe(false);
    expect((await fetch(`${url}/v1/query?metric=page_load.count`)).status).toBe(401);
  });
});
