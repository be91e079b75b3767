import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writePrivateFile } from '../keys/files.js';

/** Default: a report id is remembered for at least 24 hours (and at most 48). */
export const DEFAULT_DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Report ids seen recently, so a retried upload counts once. Two generations of sets: ids go into the current
 * one; every `windowMs` the previous generation is dropped and the current one becomes previous. An id is thus
 * remembered for between one and two windows. Under extreme load a generation also rotates when it holds
 * `maxPerGeneration` ids, which bounds memory at the cost of a shorter window.
 *
 * Ids are random per report and nothing stored links to them (stored rows carry no id). On close the sets are
 * saved to a file so a restart does not open a gap; nothing else about an upload is kept.
 */
export class DedupeWindow {
  private current = new Set<string>();
  private previous = new Set<string>();
  /** Ids claimed by an upload whose reports are not yet durable, with that store's outcome. */
  private readonly storing = new Map<string, Promise<boolean>>();
  private generationStart: number;

  constructor(
    private readonly windowMs = DEFAULT_DEDUPE_WINDOW_MS,
    private readonly maxPerGeneration = 2_000_000,
    private readonly now: () => number = Date.now,
  ) {
    this.generationStart = now();
  }

  private rotateIfDue(): void {
    const age = this.now() - this.generationStart;
    if (age >= 2 * this.windowMs) {
      this.previous = new Set();
      this.current = new Set();
      this.generationStart = this.now();
    } else if (age >= this.windowMs || this.current.size >= this.maxPerGeneration) {
      this.previous = this.current;
      this.current = new Set();
      this.generationStart = this.now();
    }
  }

  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }

  /**
   * Claims ids that have not been seen (also within `ids` itself). Claimed ids count as seen at once, so a
   * concurrent retry of the same upload is a duplicate; `release` them if storing fails.
   */
  claim(ids: readonly string[]): { fresh: Set<string>; duplicates: number } {
    this.rotateIfDue();
    const fresh = new Set<string>();
    let duplicates = 0;
    for (const id of ids) {
      if (this.has(id) || fresh.has(id)) duplicates++;
      else {
        fresh.add(id);
        this.current.add(id);
      }
    }
    return { fresh, duplicates };
  }

  /**
   * Marks freshly claimed ids as being stored until `storing` settles. A retry that arrives meanwhile is a
   * duplicate, but must not be acknowledged before the first attempt is durable: see `whenStored`.
   */
  trackStoring(ids: Iterable<string>, storing: Promise<unknown>): void {
    const tracked = [...ids];
    const stored = storing.then(
      () => true,
      () => false,
    );
    for (const id of tracked) this.storing.set(id, stored);
    void stored.then(() => {
      for (const id of tracked) if (this.storing.get(id) === stored) this.storing.delete(id);
    });
  }

  /** True once every id among `ids` that another upload is still storing got stored; false if any store failed. */
  async whenStored(ids: Iterable<string>): Promise<boolean> {
    const pending: Promise<boolean>[] = [];
    for (const id of ids) {
      const stored = this.storing.get(id);
      if (stored) pending.push(stored);
    }
    if (pending.length === 0) return true;
    return (await Promise.all(pending)).every(Boolean);
  }

  release(ids: Iterable<string>): void {
    for (const id of ids) {
      this.current.delete(id);
      this.previous.delete(id);
    }
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  async save(path: string): Promise<void> {
    this.rotateIfDue();
    const generations = [
      { startedAt: this.generationStart - this.windowMs, ids: [...this.previous].join('') },
      { startedAt: this.generationStart, ids: [...this.current].join('') },
    ];
    const name = path.slice(dirname(path).length + 1);
    await writePrivateFile(dirname(path), name, JSON.stringify({ windowMs: this.windowMs, generations }));
  }

  /** Loads ids saved by `save`, dropping what has aged out of the window. A missing file is not an error. */
  async load(path: string): Promise<void> {
    let saved: { generations: { startedAt: number; ids: string }[] };
    try {
      saved = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      return;
    }
    const [previous, current] = saved.generations;
    const split = (ids: string) => ids.match(/[0-9a-f]{32}/g) ?? [];
    const now = this.now();
    if (current && now - current.startedAt < 2 * this.windowMs) {
      for (const id of split(current.ids)) this.previous.add(id);
    }
    if (previous && now - previous.startedAt < 2 * this.windowMs) {
      for (const id of split(previous.ids)) this.previous.add(id);
    }
  }
}
