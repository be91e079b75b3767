// The packages as another team gets them: every workspace is packed with `npm pack`, the tarballs are installed
// into a fresh project outside the repository (third-party dependencies come from the npm registry), and the
// two examples run from there: a Node service and a page on another origin, bundled with esbuild, against the
// installed `candor` command. Nothing here imports the workspace's sources.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '@candor/server/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../src/bench/chromium.js';

const execFileAsync = promisify(execFile);

/** Runs a command; a failure carries the command's own output, which is what explains it. */
async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, args, options);
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['protocol', 'audit', 'capture', 'sdk', 'dashboard', 'server', 'cli'];
const EXAMPLES = ['node-service', 'web-page'];

/** The workspace's own tool versions, so the fresh install finds them in npm's cache. */
const toolVersion = (name: string) =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

function built(): boolean {
  if (PACKAGES.every((p) => existsSync(join(ROOT, 'packages', p, 'dist')))) return true;
  if (process.env.CI === 'true') throw new Error('published packages: packages are not built and CI=true');
  console.warn('\n*** published packages: SKIPPED — run `npm run build` first ***\n');
  return false;
}

const ready = built();

/** Starts a long-running command and resolves once a line of its output matches `ready`. */
function startProcess(
  command: string,
  args: string[],
  options: { cwd: string; ready: RegExp },
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (options.ready.test(output)) resolve({ child, output: () => output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

describe.skipIf(!ready)('the published packages, installed outside the repository', () => {
  let work: string;
  let app: string;
  let collector: { child: ChildProcess; output: () => string } | undefined;
  let collectorUrl: string;
  let pagePort: number;
  const bin = (name: string) => join(app, 'node_modules', '.bin', name);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'candor-published-'));
    const packs = join(work, 'packs');
    await mkdir(packs);
    await run('npm', ['pack', '--workspaces', '--pack-destination', packs, '--silent'], { cwd: ROOT });
    const tarballs = (await readdir(packs)).filter((f) => f.endsWith('.tgz'));
    app = join(work, 'app');
    await mkdir(app);
    const dependencies = Object.fromEntries(
      tarballs.map((file) => [
        `@candor/${/^candor-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(file)?.[1]}`,
        `file:../packs/${file}`,
      ]),
    );
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'candor-published-check',
        private: true,
        type: 'module',
        dependencies,
        devDependencies: {
          typescript: toolVersion('typescript'),
          '@types/node': toolVersion('@types/node'),
          esbuild: toolVersion('esbuild'),
        },
      }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: app,
      env: { ...process.env, npm_config_engine_strict: 'true' },
    });
    for (const example of EXAMPLES) {
      await cp(join(ROOT, 'examples', example), join(app, example), {
        recursive: true,
        filter: (source) => !/node_modules|[/\\]dist$/.test(source),
      });
    }
    pagePort = await freePort();
    const port = await freePort();
    collectorUrl = `http://127.0.0.1:${port}`;
    collector = await startProcess(
      bin('candor'),
      [
        'serve',
        '--port',
        String(port),
        '--store',
        `duckdb:${join(work, 'store.duckdb')}`,
        '--keys',
        join(work, 'keys'),
        '--registry',
        'node-service/metrics.yaml',
        '--registry',
        'web-page/metrics.yaml',
        '--allow-origin',
        `http://127.0.0.1:${pagePort}`,
        '--log-level',
        'warn',
      ],
      { cwd: app, ready: /candor collector listening/ },
    );
  }, 180_000);

  afterAll(async () => {
    await stop(collector?.child);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs without engine warnings and ships built files only', async () => {
    const cli = JSON.parse(await readFile(join(app, 'node_modules/@candor/cli/package.json'), 'utf8'));
    const { stdout } = await run(bin('candor'), ['--version']);
    expect(stdout.trim()).toBe(cli.version);
    // npx finds the command by the package's name, as the docs say: `npx @candor/cli <command>`.
    const viaNpx = await run('npx', ['--no-install', '@candor/cli', '--version'], { cwd: app });
    expect(viaNpx.stdout.trim()).toBe(cli.version);
    for (const name of PACKAGES) {
      const dir = join(app, 'node_modules/@candor', name);
      expect(existsSync(join(dir, 'dist')), `${name} has dist/`).toBe(true);
      expect(existsSync(join(dir, 'src')), `${name} ships no src/`).toBe(false);
      expect(existsSync(join(dir, 'test')), `${name} ships no test/`).toBe(false);
      expect(existsSync(join(dir, 'LICENSE')), `${name} has its licence`).toBe(true);
    }
    expect(existsSync(join(app, 'node_modules/@candor/protocol/dist/registry.schema.json'))).toBe(true);
  });

  it('checks each example registry and regenerates the typed module committed with it', async () => {
    for (const example of EXAMPLES) {
      const cwd = join(app, example);
      const { stdout } = await run(bin('candor'), ['registry', 'check', 'metrics.yaml'], { cwd });
      expect(stdout).toMatch(/metrics\.yaml: notes-\w+ \d{4}\.\d+\.\d+, 3 metrics: ok/);
      const committed = await readFile(join(cwd, 'src/metrics.ts'), 'utf8');
      await run(bin('candor'), ['registry', 'types', 'metrics.yaml', '--out', 'src/metrics.ts'], { cwd });
      expect(await readFile(join(cwd, 'src/metrics.ts'), 'utf8'), `${example}: run npm run metrics`).toBe(committed);
    }
  });

  it('type-checks both examples against the published types, and the types catch a misused metric', async () => {
    // Each line must be a type error; tsc fails on an unused @ts-expect-error, so a loose type cannot pass.
    await writeFile(
      join(app, 'node-service/src/misuse.ts'),
      `import { createCandor } from '@candor/sdk';
import { notesSyncRegistry } from './metrics.js';
const c = createCandor({ registry: notesSyncRegistry, collector: 'http://127.0.0.1:1', appVersion: '1.0' });
// @ts-expect-error a metric name that is not in metrics.yaml
c.counter('sync.notes_synched').add();
// @ts-expect-error a timing is not a counter
c.counter('sync.duration').add();
// @ts-expect-error a value outside the enumeration
c.enumeration('sync.result').set('exploded');
`,
    );
    await run(bin('tsc'), ['-p', 'node-service'], { cwd: app });
    await rm(join(app, 'node-service/src/misuse.ts'));
    await rm(join(app, 'node-service/dist/misuse.js'));
    await run(bin('tsc'), ['-p', 'web-page'], { cwd: app });
  }, 60_000);

  it('runs the Node service against the installed collector, which accepts its report', async () => {
    await run(bin('tsc'), ['-p', 'node-service'], { cwd: app });
    const { stdout } = await run(process.execPath, ['dist/service.js'], {
      cwd: join(app, 'node-service'),
      env: { ...process.env, CANDOR_COLLECTOR: collectorUrl },
    });
    expect(stdout).toMatch(/^accepted \(HTTP 202\): .*"app":"notes-sync"/m);
    expect(stdout).toMatch(/^accepted .*"sync\.notes_synced":\d+/m);
    const apps = await (await fetch(`${collectorUrl}/v1/apps`)).json();
    expect(apps).toEqual([
      { app: 'notes-sync', versions: ['2026.11.1'] },
      { app: 'notes-web', versions: ['2026.11.1'] },
    ]);
    const dashboard = await fetch(`${collectorUrl}/`);
    expect(dashboard.headers.get('content-type')).toMatch(/text\/html/);
  }, 60_000);

  it.skipIf(!chromiumAvailable('published packages: web page'))(
    'serves the page from its own origin and uploads from it to the collector on another',
    async () => {
      const esbuild = (await import(join(app, 'node_modules/esbuild/lib/main.js'))) as typeof import('esbuild');
      const page = join(app, 'web-page');
      const context = await esbuild.context({
        entryPoints: [join(page, 'src/page.ts')],
        bundle: true,
        format: 'esm',
        target: 'es2022',
        outdir: join(page, 'dist'),
        logLevel: 'silent',
      });
      let browser: Browser | undefined;
      try {
        await context.serve({ servedir: page, host: '127.0.0.1', port: pagePort });
        browser = await launchChromium();
        const tab = await browser.newPage();
        const pageErrors: string[] = [];
        tab.on('pageerror', (error) => pageErrors.push(error.message));
        // ?dev: development mode, where "Send statistics now" may end the day early (a report goes once a day).
        await tab.goto(`http://127.0.0.1:${pagePort}/?dev&collector=${encodeURIComponent(collectorUrl)}`);
        await tab.check('#consent');
        await tab.click('#save');
        await tab.click('#send');
        await tab.waitForFunction(() => /HTTP/.test(document.querySelector('output')?.textContent ?? ''));
        expect(await tab.textContent('#status')).toBe('accepted (HTTP 202)');
        expect(pageErrors).toEqual([]);
      } finally {
        await browser?.close();
        await context.dispose();
      }
    },
    60_000,
  );
});
