import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DedupeWindow } from './window.js';

const id = (n: number) => n.toString(16).padStart(32, '0');

describe('dedupe window', () => {
  it('counts an id once, within one upload and across uploads, and forgets it after two windows', () => {
    let now = 0;
    const window = new DedupeWindow(1000, 1_000_000, () => now);
    expect(window.claim([id(1), id(2), id(1)])).toEqual({ fresh: new Set([id(1), id(2)]), duplicates: 1 });
    now = 999;
    expect(window.claim([id(1)]).duplicates).toBe(1);
    now = 1500; // one window later: still remembered
    expect(window.claim([id(2)]).duplicates).toBe(1);
    now = 3600; // two windows after the id was last claimed
    expect(window.claim([id(1)]).duplicates).toBe(0);
  });

  it('releases ids whose upload failed to store, so the retry counts', () => {
    const window = new DedupeWindow();
    const { fresh } = window.claim([id(5)]);
    window.release(fresh);
    expect(window.claim([id(5)]).duplicates).toBe(0);
  });

  it('bounds memory by turning a generation over early', () => {
    const window = new DedupeWindow(60_000, 10);
    window.claim(Array.from({ length: 10 }, (_, i) => id(i)));
    window.claim(Array.from({ length: 10 }, (_, i) => id(100 + i)));
    window.claim([id(200)]);
    expect(window.size).toBe(11);
    // The oldest generation is gone: memory stays bounded, at the cost of a shorter window.
    expect(window.claim([id(0)]).duplicates).toBe(0);
    expect(window.claim([id(105)]).duplicates).toBe(1);
  });

  it('survives a restart through a 0600 file, and drops what aged out', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'candor-dedupe-')), 'dedupe-ids.json');
    let now = 10_000;
    const before = new DedupeWindow(1000, 1_000_000, () => now);
    before.claim([id(7)]);
    await before.save(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const after = new DedupeWindow(1000, 1_000_000, () => now);
    await after.load(path);
    expect(after.claim([id(7)]).duplicates).toBe(1);
    now += 5000;
    const late = new DedupeWindow(1000, 1_000_000, () => now);
    await late.load(path);
    expect(late.claim([id(7)]).duplicates).toBe(0);
  });
});
