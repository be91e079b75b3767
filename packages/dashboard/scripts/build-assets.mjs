// Bundles the browser app (web/) into dist/assets with esbuild and copies the static files beside it.
// Type-checking is done separately by `tsc -p web` in the package's build script.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('../', import.meta.url));
const webDir = `${packageDir}web/`;
const outDir = `${packageDir}dist/assets/`;

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
await build({
  entryPoints: [`${webDir}main.ts`],
  outfile: `${outDir}app.js`,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
await copyFile(`${webDir}index.html`, `${outDir}index.html`);
await copyFile(`${webDir}styles.css`, `${outDir}styles.css`);
