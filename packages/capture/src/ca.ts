import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { generateCACertificate } from 'mockttp';

/** The capture CA: the proxy signs a certificate for each host it intercepts with it. */
export interface CaptureCa {
  dir: string;
  keyPath: string;
  certPath: string;
  key: string;
  cert: string;
  /** True when this call generated it. */
  created: boolean;
}

/** The user's candor folder: $CANDOR_HOME, else ~/.candor. */
export function candorHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.CANDOR_HOME && env.CANDOR_HOME !== '' ? env.CANDOR_HOME : join(homedir(), '.candor');
}

export function caPaths(home = candorHome()): { dir: string; keyPath: string; certPath: string } {
  const dir = join(home, 'capture-ca');
  return { dir, keyPath: join(dir, 'ca-key.pem'), certPath: join(dir, 'ca-cert.pem') };
}

export class CaError extends Error {}

/**
 * Whoever holds the key can read every connection of every device that trusts the CA, so it must belong to this
 * user alone: a key another user can read, or owned by another user, is refused rather than used.
 */
async function checkPrivate(path: string): Promise<void> {
  const info = await stat(path);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid)
    throw new CaError(`${path} belongs to another user (uid ${info.uid}); the capture CA is never shared`);
  if ((info.mode & 0o077) !== 0)
    throw new CaError(
      `${path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); run "chmod 600 ${path}" or delete the folder to make a new CA`,
    );
}

async function load(home: string): Promise<CaptureCa> {
  const { dir, keyPath, certPath } = caPaths(home);
  await checkPrivate(keyPath);
  const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
  return { dir, keyPath, certPath, key, cert, created: false };
}

/** Loads the user's capture CA, generating it on first use. */
export async function loadOrCreateCa(home = candorHome()): Promise<CaptureCa> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  try {
    return await load(home);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { dir, keyPath, certPath } = caPaths(home);
  const { key, cert } = await generateCACertificate({
    subject: { commonName: 'candor capture CA (this computer only)', organizationName: 'candor capture' },
    bits: 2048,
  });
  // Made in a private folder of its own, the key with its final mode from the start, then the folder is renamed
  // into place: the key is never readable by others, and two captures starting together end up sharing one CA.
  const staging = await mkdtemp(`${dir}.tmp-`);
  await writeFile(join(staging, basename(keyPath)), key, { mode: 0o600, flag: 'wx' });
  await writeFile(join(staging, basename(certPath)), cert, { mode: 0o644 });
  try {
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return load(home);
    throw error;
  }
  return { dir, keyPath, certPath, key, cert, created: true };
}
