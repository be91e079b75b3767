import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { ensurePrivateDir, writePrivateFile } from './files.js';

/**
 * Query tokens. Only a SHA-256 of each token is stored (`tokens.json`, mode 0600), so reading the file does not
 * reveal a usable token; the token itself is shown once, when created.
 */
export interface StoredToken {
  name: string;
  sha256: string;
  createdAt: string;
}

const TOKENS_FILE = 'tokens.json';
const TOKEN_PREFIX = 'cq_';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function listTokens(dir: string): Promise<StoredToken[]> {
  try {
    return (JSON.parse(await readFile(join(dir, TOKENS_FILE), 'utf8')) as { tokens: StoredToken[] }).tokens;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function writeTokens(dir: string, tokens: StoredToken[]): Promise<void> {
  await writePrivateFile(dir, TOKENS_FILE, `${JSON.stringify({ tokens }, null, 2)}\n`);
}

/**
 * Reads the tokens, changes them and writes them back while holding a lock on the file, so two changes at once
 * (two commands, collectors sharing a keys directory, or calls within one process) cannot both read the old list
 * and keep only one of their tokens. A lock left by a process that died is taken over once stale.
 */
async function changeTokens<T>(dir: string, change: (tokens: StoredToken[]) => { tokens?: StoredToken[]; result: T }) {
  await ensurePrivateDir(dir);
  const release = await lock(join(dir, TOKENS_FILE), {
    realpath: false,
    stale: 10_000,
    retries: { retries: 100, factor: 1.2, minTimeout: 5, maxTimeout: 50 },
  });
  try {
    const { tokens, result } = change(await listTokens(dir));
    if (tokens) await writeTokens(dir, tokens);
    return result;
  } finally {
    await release();
  }
}

/** Creates a token and returns it in clear; this is the only time it is visible. */
export async function createToken(dir: string, name: string): Promise<string> {
  if (!/^[\w.-]{1,64}$/.test(name)) throw new Error('token names are 1-64 letters, digits, "_", "." or "-"');
  return changeTokens(dir, (tokens) => {
    if (tokens.some((t) => t.name === name)) throw new Error(`a token named "${name}" already exists`);
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    return {
      tokens: [...tokens, { name, sha256: hashToken(token), createdAt: new Date().toISOString() }],
      result: token,
    };
  });
}

export async function revokeToken(dir: string, name: string): Promise<boolean> {
  return changeTokens(dir, (tokens) => {
    const kept = tokens.filter((t) => t.name !== name);
    return kept.length === tokens.length ? { result: false } : { tokens: kept, result: true };
  });
}

/** Checks bearer tokens against the stored hashes, re-reading the file at most every few seconds. */
export class TokenVerifier {
  private hashes: Buffer[] = [];
  private lastRead = 0;

  constructor(
    private readonly dir: string,
    private readonly extraTokens: string[] = [],
  ) {}

  async verify(token: string | undefined): Promise<boolean> {
    if (!token) return false;
    if (Date.now() - this.lastRead > 5000) {
      const stored = await listTokens(this.dir);
      this.hashes = [
        ...stored.map((t) => Buffer.from(t.sha256, 'hex')),
        ...this.extraTokens.map((t) => Buffer.from(hashToken(t), 'hex')),
      ];
      this.lastRead = Date.now();
    }
    const candidate = Buffer.from(hashToken(token), 'hex');
    let ok = false;
    for (const hash of this.hashes) ok = timingSafeEqual(hash, candidate) || ok;
    return ok;
  }
}
