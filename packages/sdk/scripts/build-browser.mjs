// Builds the browser bundle: dist/browser/candor.min.js (the SDK with HPKE on WebCrypto), the transparency
// element as its own entry (candor-transparency.min.js) and, split off, the chunk with the public suffix list
// that the `site` metric loads on first use. Prints every size (min+gzip).
//   node scripts/build-browser.mjs            build into dist/browser and print sizes
//   node scripts/build-browser.mjs --json     the same, sizes as JSON (used by `candor bench sdk`)
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const protocolSrc = fileURLToPath(new URL('../../protocol/src/', import.meta.url));

/** Bundles from TypeScript sources (the protocol package included), so it never depends on a stale tsc build. */
const protocolFromSource = {
  name: 'candor-protocol-source',
  setup(b) {
    b.onResolve({ filter: /^@candor\/protocol(\/.*)?$/ }, (args) => {
      const sub = args.path.slice('@candor/protocol'.length).replace(/^\//, '');
      return { path: join(protocolSrc, `${sub || 'index'}.ts`) };
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
    plugins: [protocolFromSource],
    logLevel: 'warning',
  });
  return bundleSizes(outdir);
}

/**
 * Every .js file of the bundle with its minified and min+gzip (level 9) size in bytes, and `withCore`: whether
 * loading candor.min.js loads it too (the entry and the chunks it imports statically, transitively). The size
 * target is on those together; the rest loads on demand.
 */
export function bundleSizes(dir) {
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
  const withCore = new Set();
  const visit = (file) => {
    if (withCore.has(file)) return;
    withCore.add(file);
    const text = readFileSync(join(dir, file), 'utf8');
    for (const [, spec] of text.matchAll(/(?:^|[;}])\s*import\s*[^;(]*?from\s*"(\.[^"]+)"/g)) {
      visit(join(file, '..', spec).replace(/^\.\//, ''));
    }
  };
  visit('candor.min.js');
  return files.map((f) => ({ ...f, withCore: withCore.has(f.file) })).sort((a, b) => a.file.localeCompare(b.file));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = await buildBrowserBundle();
  if (process.argv.includes('--json')) console.log(JSON.stringify(sizes));
  else for (const f of sizes) console.log(`${f.file}: ${f.min} B min, ${f.gzip} B min+gzip`);
}
