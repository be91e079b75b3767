import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Secrets directories are 0700 and secret files 0600, set explicitly so the umask cannot loosen them. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Writes a secret file atomically (temp file, then rename) with mode 0600. */
export async function writePrivateFile(dir: string, name: string, contents: string): Promise<void> {
  await ensurePrivateDir(dir);
  const target = join(dir, name);
  // A unique temp name per write: concurrent writes of one file (the DP ledger under parallel queries) must not
  // rename each other's temp file away.
  const temp = join(dir, `.${name}.${process.pid}.${randomUUID()}.tmp`);
  await writeFile(temp, contents, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, target);
}
