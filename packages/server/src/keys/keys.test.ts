import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKey, KeyRing, readKeys, rotateKeys } from './keyring.js';
import { createToken, listTokens, revokeToken, TokenVerifier } from './tokens.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'candor-keys-'));

describe('key ring', () => {
  it('writes private keys with mode 0600 in a 0700 directory', async () => {
    const dir = join(await tempDir(), 'keys');
    await createKey(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const name of await readdir(dir)) expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
  });

  it('serves keys newest first and keeps the old key usable during its grace period only', async () => {
    const dir = await tempDir();
    const first = await createKey(dir);
    const second = await rotateKeys(dir, 60_000);
    let now = Date.now();
    const ring = await KeyRing.open(dir, () => now);
    expect(ring.configs().keys.map((k) => k.id)).toEqual([second.id, first.id]);
    expect(ring.recipientFor(first.id)).toBeDefined();
    now += 61_000;
    expect(ring.configs().keys.map((k) => k.id)).toEqual([second.id]);
    expect(ring.recipientFor(first.id)).toBeUndefined();
    expect(ring.recipientFor(second.id)).toBeDefined();
    expect(ring.recipientFor(200)).toBeUndefined();
    const stored = await readKeys(dir);
    expect(stored.find((k) => k.id === first.id)?.retiresAt).not.toBeNull();
  });
});

describe('query tokens', () => {
  it('keeps every token made at once, and every revocation, however the calls interleave', async () => {
    const dir = await tempDir();
    const names = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const tokens = await Promise.all(names.map((name) => createToken(dir, name)));
    expect((await listTokens(dir)).map((t) => t.name).sort()).toEqual([...names].sort());
    const verifier = new TokenVerifier(dir);
    for (const token of tokens) expect(await verifier.verify(token)).toBe(true);
    // Half revoked while the rest are made again under new names: nothing of either is lost.
    const again = names.map((name) => `${name}-again`);
    await Promise.all([
      ...names.slice(0, 6).map((name) => revokeToken(dir, name)),
      ...again.map((name) => createToken(dir, name)),
    ]);
    expect((await listTokens(dir)).map((t) => t.name).sort()).toEqual([...names.slice(6), ...again].sort());
  });

  it('stores only hashes, verifies, and revokes', async () => {
    const dir = await tempDir();
    const token = await createToken(dir, 'dashboard');
    const stored = await listTokens(dir);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(await new TokenVerifier(dir).verify(token)).toBe(true);
    expect(await new TokenVerifier(dir).verify(`${token}x`)).toBe(false);
    expect(await new TokenVerifier(dir).verify(undefined)).toBe(false);
    await expect(createToken(dir, 'dashboard')).rejects.toThrow(/already exists/);
    expect(await revokeToken(dir, 'dashboard')).toBe(true);
    expect(await new TokenVerifier(dir).verify(token)).toBe(false);
  });
});
