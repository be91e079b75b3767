import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the built dashboard (index.html, app.js, styles.css), which the collector serves at `/`.
 * Both src/ and dist/ sit one level below the package folder, so this resolves the same from either.
 */
export const dashboardAssetsDir: string = fileURLToPath(new URL('../dist/assets/', import.meta.url));
