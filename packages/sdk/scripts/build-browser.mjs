// Builds the browser bundle: dist/browser/candor.min.js (the SDK with HPKE on WebCrypto), the transparency
// element as its own entry (candor-transparency.min.js) and, split off, the chunk with the public suffix list
// that the `site` metric loads on first use. Prints every size (min+gzip).
//   node scripts/build-browser.mjs            build into dist/browser and print sizes
//   node scripts/build-browser.mjs --json     the same, sizes as JSON (used by `candor bench sdk`)
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { init, parse } from 'es-module-lexer';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const protocolSrc = fileURLToPath(new URL('../../protocol/src/', import.meta.url));
/** Resolved by hand below, so esbuild does not read the package's `sideEffects` itself. */
const protocolSideEffects =
  JSON.parse(readFileSync(new URL('../../protocol/package.json', import.meta.url), 'utf8')).sideEffects !== false;

/** Bundles from TypeScript sources (the protocol package included), so it never depends on a stale tsc build. */
const protocolFromSource = {
  name: 'candor-protocol-source',
  setup(b) {
    b.onResolve({ filter: /^@candor\/protocol(\/.*)?$/ }, (args) => {
      const sub = args.path.slice('@candor/protocol'.length).replace(/^\//, '');
      return { path: join(protocolSrc, `${sub || 'index'}.ts`), sideEffects: protocolSideEffects };
    });
  },
};

/**
 * CommonJS packages in the bundle, with the names imported from them. esbuild puts its CommonJS interop helpers
 * in a chunk that every entry imports, used or not, so the core page would load them for code only an on-demand
 * chunk holds. Each package is bundled to ESM on its own first: the same code, with the interop inside it.
 */
const commonJsPackages = { buffer: ['Buffer'] };

const commonJsAsEsm = {
  name: 'candor-commonjs-as-esm',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(commonJsPackages).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'commonjs-as-esm', pluginData: args.resolveDir }));
    b.onLoad({ filter: /.*/, namespace: 'commonjs-as-esm' }, async (args) => {
      const names = commonJsPackages[args.path].join(', ');
      const result = await build({
        stdin: { contents: `export { ${names} } from '${args.path}';`, resolveDir: args.pluginData },
        bundle: true,
        format: 'esm',
        target: 'es2022',
        platform: 'browser',
        write: false,
        logLevel: 'warning',
      });
      return { contents: result.outputFiles[0].text, loader: 'js' };
    });
  },
};

export async function buildBrowserBundle(outdir = join(root, 'dist/browser')) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: {
      candor: join(root, 'src/browser.ts'),
      'candor-transparency': join(root, 'src/transparency/element.ts'),
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    platform: 'browser',
    outdir,
    entryNames: '[name].min',
    chunkNames: 'chunks/[name]-[hash].min',
    plugins: [protocolFromSource, commonJsAsEsm],
    logLevel: 'warning',
  });
  return await bundleSizes(outdir);
}

/**
 * Every .js file of the bundle with its minified and min+gzip (level 9) size in bytes, and `withCore`: whether
 * loading candor.min.js loads it too (the entry and the chunks it imports statically, transitively). The size
 * target is on those together; the rest loads on demand.
 */
export async function bundleSizes(dir) {
  const files = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.js')) {
        const bytes = readFileSync(path);
        files.push({ file: path.slice(dir.length + 1), min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
      }
    }
  };
  walk(dir);
  const withCore = await coreFiles(dir, 'candor.min.js');
  return files.map((f) => ({ ...f, withCore: withCore.has(f.file) })).sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * The files a page loads along with `entry` (paths relative to `dir`, the entry included): every chunk reachable
 * through static imports of any form (`import {x} from`, bare `import "./chunk.js"` kept for side effects,
 * `export ... from`), transitively. Dynamic `import()` loads on demand and is not followed.
 */
export async function coreFiles(dir, entry) {
  await init;
  const core = new Set();
  const visit = (file) => {
    if (core.has(file)) return;
    core.add(file);
    const [imports] = parse(readFileSync(join(dir, file), 'utf8'), file);
    for (const { n: spec, d } of imports) {
      // d === -1: a static import or re-export; dynamic imports and import.meta have d >= 0 / -2.
      if (d !== -1 || !spec) continue;
      if (!spec.startsWith('.'))
        throw new Error(`${file} imports ${spec}: a browser bundle chunk may import only chunks`);
      visit(relative(dir, join(dir, dirname(file), spec)));
    }
  };
  visit(entry);
  return core;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = await buildBrowserBundle();
  if (process.argv.includes('--json')) console.log(JSON.stringify(sizes));
  else for (const f of sizes) console.log(`${f.file}: ${f.min} B min, ${f.gzip} B min+gzip`);
}
