import { chmod, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaError, candorHome, caPaths, loadOrCreateCa } from '../src/ca.js';

describe('the capture CA', () => {
  it('is generated once, in the user candor folder, with a key only its owner can read', async () => {
    const home = await mkdtemp(join(tmpdir(), 'candor-home-'));
    const first = await loadOrCreateCa(home);
    expect(first.created).toBe(true);
    expect(first.keyPath).toBe(caPaths(home).keyPath);
    expect((await stat(first.keyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(first.dir)).mode & 0o777).toBe(0o700);
    expect(first.cert).toMatch(/BEGIN CERTIFICATE/);
    const again = await loadOrCreateCa(home);
    expect(again.created).toBe(false);
    expect(again.key).toBe(first.key);
    expect(await readFile(again.certPath, 'utf8')).toBe(first.cert);
  });

  it('refuses a key that other users can read instead of using it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'candor-home-'));
    const { keyPath } = await loadOrCreateCa(home);
    await chmod(keyPath, 0o644);
    await expect(loadOrCreateCa(home)).rejects.toThrow(CaError);
    await expect(loadOrCreateCa(home)).rejects.toThrow(/can be read by other users/);
  });

  it('is one CA when two captures start at the same moment', async () => {
    const home = await mkdtemp(join(tmpdir(), 'candor-home-'));
    const [a, b] = await Promise.all([loadOrCreateCa(home), loadOrCreateCa(home)]);
    expect(a.key).toBe(b.key);
    expect((await loadOrCreateCa(home)).key).toBe(a.key);
  });

  it('lives in $CANDOR_HOME, else ~/.candor', () => {
    expect(candorHome({ CANDOR_HOME: '/srv/me' })).toBe('/srv/me');
    expect(candorHome({})).toMatch(/\.candor$/);
  });
});
