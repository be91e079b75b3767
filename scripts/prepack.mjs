// Runs before `npm pack` / `npm publish` in each package: refuses to pack an unbuilt package (a tarball without
// dist/ installs but cannot be imported) and copies the repository's licence in, so the text has one home.
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = process.cwd();
if (!existsSync(join(packageDir, 'dist'))) {
  console.error(`${packageDir}: dist/ is missing; run "npm run build" at the repository root first`);
  process.exit(1);
}
copyFileSync(new URL('../LICENSE', import.meta.url), join(packageDir, 'LICENSE'));
