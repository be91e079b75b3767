import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPORT_DAYS_LATE } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { DedupeKeys, DedupeWindow } from './window.js';

/** One id's key under `secret`, as an inspection thread makes it. */
const dedupeKeyOf = (secret: Uint8Array, id: string) => new DedupeKeys(secret).of([id])[0] as string;

const id = (n: number) => n.toString(16).padStart(32, '0');
const DAY_MS = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const secret = Buffer.alloc(32, 7);
const key = (n: number, day = '2026-11-20') => ({ key: dedupeKeyOf(secret, id(n)), day });

describe('dedupe window', () => {
  it('counts an id once within one upload and across uploads, and keeps it as long as its day is accepted', () => {
    let now = NOW;
    const window = new DedupeWindow(() => now);
    const claimed = window.claim([key(1), key(2), key(1)]);
    expect(claimed.fresh.map((f) => f.index)).toEqual([0, 1]);
    expect(claimed.duplicates).toHaveLength(1);
    now = NOW + REPORT_DAYS_LATE * DAY_MS; // the last day a report of 2026-11-20 is accepted
    expect(window.claim([key(1)]).duplicates).toHaveLength(1);
    now = NOW + (REPORT_DAYS_LATE + 1) * DAY_MS; // the day is refused now, so its ids guard nothing
    window.claim([]);
    expect(window.size).toBe(0);
  });

  it('releases ids whose upload failed to store, so the retry counts', () => {
    const window = new DedupeWindow(() => NOW);
    const { fresh } = window.claim([key(5)]);
    window.release(fresh.map((f) => f.key));
    expect(window.claim([key(5)]).duplicates).toHaveLength(0);
  });

  it('keeps keys made under a secret, not ids: the same id under another secret is another key', () => {
    expect(dedupeKeyOf(secret, id(1))).toMatch(/^[0-9a-f]{32}$/);
    expect(dedupeKeyOf(secret, id(1))).not.toBe(id(1));
    expect(dedupeKeyOf(secret, id(1))).not.toBe(dedupeKeyOf(Buffer.alloc(32, 8), id(1)));
    const loaded = new DedupeWindow(() => NOW);
    loaded.load([{ key: dedupeKeyOf(secret, id(1)), day: '2026-11-20' }]);
    expect(loaded.claim([key(1)]).duplicates).toHaveLength(1);
  });

  it('makes each id the same key whether alone or in an upload, in any order, and refuses an id that is not one', () => {
    const keys = new DedupeKeys(secret);
    const ids = Array.from({ length: 25 }, (_, n) => id(n * 7919 + 1));
    const alone = ids.map((i) => dedupeKeyOf(secret, i));
    expect(new Set(alone).size).toBe(ids.length);
    expect(keys.of(ids)).toEqual(alone);
    expect(keys.of([...ids].reverse())).toEqual([...alone].reverse());
    expect(keys.of([ids[3] as string])).toEqual([alone[3]]);
    for (const bad of ['', 'ABCDEF0123456789abcdef0123456789', `${id(1)}0`, 'zz'.repeat(16)]) {
      expect(() => keys.of([bad])).toThrow(/32 lowercase hex digits/);
    }
  });

  it('creates its secret once, readable only by its owner', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-dedupe-'));
    const first = await DedupeWindow.secretIn(dir);
    expect(await DedupeWindow.secretIn(dir)).toEqual(first);
    expect((await stat(join(dir, 'dedupe-secret'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'dedupe-secret'), 'utf8')).not.toContain(id(1));
  });
});
