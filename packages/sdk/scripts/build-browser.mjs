// Builds the browser bundle: dist/browser/candor.min.js (the SDK with HPKE on WebCrypto) and, split off, the
// chunk with the public suffix list that the `site` metric loads on first use. Prints both sizes (min+gzip).
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist/browser');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { candor: join(root, 'src/browser.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  platform: 'browser',
  outdir,
  entryNames: '[name].min',
  chunkNames: 'chunks/[name]-[hash].min',
  // Tests are never bundled; the protocol package is read from its compiled output.
  logLevel: 'warning',
});

export function bundleSizes(dir = outdir) {
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
  return files;
}

for (const f of bundleSizes()) console.log(`${f.file}: ${f.min} B min, ${f.gzip} B min+gzip`);
