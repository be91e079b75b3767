import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from './files.js';

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

/** Creates a token and returns it in clear; this is the only time it is visible. */
export async function createToken(dir: string, name: string): Promise<string> {
  if (!/^[\w.-]{1,64}$/.test(name)) throw new Error('token names are 1-64 letters, digits, "_", "." or "-"');
  const tokens = await listTokens(dir);
  if (tokens.some((t) => t.name === name)) throw new Error(`a token named "${name}" already exists`);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  await writeTokens(dir, [...tokens, { name, sha256: hashToken(token), createdAt: new Date().toISOString() }]);
  return token;
}

export async function revokeToken(dir: string, name: string): Promise<boolean> {
  const tokens = await listTokens(dir);
  const kept = tokens.filter((t) => t.name !== name);
  if (kept.length === tokens.length) return false;
  await writeTokens(dir, kept);
  return true;
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
