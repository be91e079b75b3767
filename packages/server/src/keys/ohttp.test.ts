// The gateway's key ring: the report keys' lifecycle (keyring.ts) over `ohttp-<id>.json`, with what it serves.
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeKeyConfigs } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { generateX25519KeyPair } from '../open/hpke.js';
import { createKey, readKeys, rotateKeys } from './keyring.js';
import { OhttpKeys } from './ohttp.js';

const tempDir = () => mkdtemp(join(tmpdir(), 'candor-ohttp-keys-'));
const servedIds = (keys: OhttpKeys) => decodeKeyConfigs(keys.encoded).map((c) => c.keyId);

describe('gateway key ring', () => {
  it('creates one key on first open, and reuses it after', async () => {
    const dir = await tempDir();
    const first = await OhttpKeys.open(dir);
    expect(first.created).toBe(true);
    const again = await OhttpKeys.open(dir);
    expect(again.created).toBe(false);
    expect(again.keys.keyId).toBe(first.keys.keyId);
    expect(Buffer.from(again.keys.encoded).equals(Buffer.from(first.keys.encoded))).toBe(true);
    expect(await readdir(dir)).toEqual([`ohttp-${first.keys.keyId}.json`]);
  });

  it('a rotation in another process: the new key is served alone, the old one opens until it retires', async () => {
    const dir = await tempDir();
    let now = Date.now();
    const { keys } = await OhttpKeys.open(dir, () => now);
    const oldId = keys.keyId;
    const served = keys.encoded;
    // Same bytes (not re-encoded) while nothing changes: every client gets the same configuration.
    expect(keys.encoded).toBe(served);

    const next = await rotateKeys(dir, 60_000, new Date(now), 'ohttp');
    // Not re-read yet, and an unknown id re-reads at most once every few seconds.
    expect(keys.recipientFor(next.id)).toBeUndefined();
    await keys.refreshIfStale();
    expect(keys.recipientFor(next.id)).toBeUndefined();
    now += 5_000;
    await keys.refreshIfStale();
    expect(keys.recipientFor(next.id)).toBeDefined();

    expect(keys.keyId).toBe(next.id);
    expect(servedIds(keys)).toEqual([next.id]);
    expect(keys.recipientFor(oldId)).toBeDefined();
    now += 60_000;
    expect(keys.recipientFor(oldId)).toBeUndefined();
    expect(keys.recipientFor(next.id)).toBeDefined();
    expect(servedIds(keys)).toEqual([next.id]);
  });

  it('gateway and report keys rotate apart: one never retires or serves the other', async () => {
    const dir = await tempDir();
    const report = await createKey(dir);
    const { keys } = await OhttpKeys.open(dir);
    const gateway = await rotateKeys(dir, 0, new Date(), 'ohttp');
    expect(await readKeys(dir)).toEqual([report]);
    await rotateKeys(dir, 0);
    await keys.refresh();
    expect(keys.keyId).toBe(gateway.id);
    expect(keys.recipientFor(gateway.id)).toBeDefined();
  });

  it('reads a gateway key written before rotation existed (no retiresAt) as active', async () => {
    const dir = await tempDir();
    const { publicKey, privateKey } = generateX25519KeyPair();
    const legacy = {
      id: 1,
      publicKey: publicKey.toString('base64url'),
      privateKey: privateKey.toString('base64url'),
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    await writeFile(join(dir, 'ohttp-1.json'), JSON.stringify(legacy), { mode: 0o600 });
    const { keys, created } = await OhttpKeys.open(dir);
    expect(created).toBe(false);
    expect(servedIds(keys)).toEqual([1]);
    expect(keys.recipientFor(1)).toBeDefined();
    const next = await rotateKeys(dir, 60_000, new Date(), 'ohttp');
    expect(next.id).toBe(2);
    expect((await readKeys(dir, 'ohttp')).find((k) => k.id === 1)?.retiresAt).not.toBeNull();
  });
});
