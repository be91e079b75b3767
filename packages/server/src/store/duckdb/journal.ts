import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open, readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Dimension } from '@candor/protocol';
import type { DedupeKey } from '../types.js';
import type { Rollup, RollupRow } from './rollup.js';

/** One group write: its rows summed per cell, and the dedupe keys of the reports behind them. */
export interface JournalRecord {
  rows: RollupRow[];
  keys: DedupeKey[];
}

/** A segment's records, in the order they were written. */
export interface JournalSegment {
  generation: number;
  records: JournalRecord[];
  /** Bytes at the end that hold no whole record (a write cut short by a crash): never acknowledged. */
  tornBytes: number;
}

/** Length and checksum before each record's JSON. */
const FRAME_BYTES = 8;

function checksum(payload: Uint8Array): number {
  return createHash('sha256').update(payload).digest().readUInt32BE(0);
}

/**
 * A record as framed bytes: length, checksum, then JSON with every string once (rows repeat their day, app,
 * metric and grouping) and nine numbers per row, in the rollup's fixed order, and the dedupe keys sorted: nothing
 * in it follows the order the group's uploads came in.
 */
export function encodeRecord(rows: Rollup, keys: readonly DedupeKey[]): Buffer {
  const table = rows.table();
  const sortedKeys = keys.map((k) => [k.key, k.day]).sort(([a = ''], [b = '']) => (a < b ? -1 : a > b ? 1 : 0));
  const payload = Buffer.from(JSON.stringify({ ...table, keys: sortedKeys }));
  const frame = Buffer.allocUnsafe(FRAME_BYTES);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(checksum(payload), 4);
  return Buffer.concat([frame, payload]);
}

const isString = (v: unknown): v is string => typeof v === 'string';

function decodePayload(payload: Buffer): JournalRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  const { strings, rows, keys } = (parsed ?? {}) as { strings?: unknown; rows?: unknown; keys?: unknown };
  if (!Array.isArray(strings) || !strings.every(isString) || !Array.isArray(rows) || rows.length % 9 !== 0) {
    return null;
  }
  if (!Array.isArray(keys) || !keys.every((k) => Array.isArray(k) && k.length === 2 && k.every(isString))) {
    return null;
  }
  const text = (i: unknown): string | undefined => (Number.isInteger(i) ? strings[i as number] : undefined);
  const out: RollupRow[] = [];
  for (let i = 0; i < rows.length; i += 9) {
    const [day, app, metric, by, cell, detail] = rows.slice(i, i + 6).map(text);
    const [bucket, reports, value] = rows.slice(i + 6, i + 9) as unknown[];
    if ([day, app, metric, by, cell, detail].some((s) => s === undefined)) return null;
    if (typeof bucket !== 'number' || typeof reports !== 'number' || typeof value !== 'number') return null;
    out.push({
      day: day as string,
      app: app as string,
      metric: metric as string,
      by: by as Dimension,
      cell: cell as string,
      detail: detail as string,
      bucket,
      reports,
      value,
    });
  }
  return { rows: out, keys: (keys as [string, string][]).map(([key, day]) => ({ key, day })) };
}

/** The whole records of a segment's bytes; reading stops at the first frame that is cut short or fails its check. */
export function decodeRecords(bytes: Buffer): { records: JournalRecord[]; tornBytes: number } {
  const records: JournalRecord[] = [];
  let at = 0;
  while (at + FRAME_BYTES <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const end = at + FRAME_BYTES + length;
    if (end > bytes.length) break;
    const payload = bytes.subarray(at + FRAME_BYTES, end);
    if (checksum(payload) !== bytes.readUInt32BE(at + 4)) break;
    const record = decodePayload(payload);
    if (!record) break;
    records.push(record);
    at = end;
  }
  return { records, tornBytes: bytes.length - at };
}

/**
 * Segments are opened for synchronized data writes where the platform has them (O_DSYNC): a write returns once the
 * record is on disk, as a write and an fdatasync would, in one trip to the I/O thread pool instead of two.
 */
const SYNCED_WRITES: number | undefined = constants.O_DSYNC;

/**
 * The embedded store's write-ahead journal: a group write is durable once its record is appended here and the file
 * synced (a fraction of a millisecond), and the records move into DuckDB in one transaction about once a second
 * (DuckDbStore.merge), which costs the same CPU whether it holds one record or a thousand. Segments are numbered;
 * the store records the last merged number in the same transaction as the rows, so a segment is replayed after a
 * crash exactly when its rows are not in the database yet, and deleted once they are.
 *
 * Records hold rows already summed per cell, sorted by cell, never a report; a segment lives until the next merge.
 */
export class Journal {
  private handle: FileHandle | null = null;
  private size = 0;

  private constructor(
    private readonly base: string,
    private current: number,
  ) {}

  /** `${base}.journal.N` for every N. */
  private static async generations(base: string): Promise<number[]> {
    const prefix = `${basename(base)}.journal.`;
    const names = await readdir(dirname(base)).catch(() => [] as string[]);
    return names
      .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
      .map((n) => Number(n.slice(prefix.length)))
      .sort((a, b) => a - b);
  }

  private static path(base: string, generation: number): string {
    return join(dirname(base), `${basename(base)}.journal.${generation}`);
  }

  /**
   * Reads the segments after `mergedThrough` (those before it are deleted) and opens a new one for appends.
   * The caller merges what was read before appending.
   */
  static async open(base: string, mergedThrough: number): Promise<{ journal: Journal; unmerged: JournalSegment[] }> {
    const unmerged: JournalSegment[] = [];
    const found = await Journal.generations(base);
    for (const generation of found) {
      const path = Journal.path(base, generation);
      if (generation <= mergedThrough) {
        await rm(path, { force: true });
        continue;
      }
      unmerged.push({ generation, ...decodeRecords(await readFile(path)) });
    }
    const journal = new Journal(base, Math.max(mergedThrough, ...found));
    await journal.rotate();
    return { journal, unmerged };
  }

  /** The segment appends go to now. */
  get generation(): number {
    return this.current;
  }

  /** Appends one record and syncs it. A failed append is cut off again, so no later record follows a partial one. */
  async append(record: Buffer): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('journal is closed');
    try {
      await handle.write(record, 0, record.length, this.size);
      if (!SYNCED_WRITES) await handle.datasync();
      this.size += record.length;
    } catch (error) {
      await handle.truncate(this.size).catch(() => undefined);
      throw error;
    }
  }

  /** Starts a new segment for later appends and returns the number of the one before. */
  async rotate(): Promise<number> {
    const previous = this.current;
    const next = previous + 1;
    const { O_WRONLY, O_CREAT, O_EXCL } = constants;
    const flags = O_WRONLY | O_CREAT | O_EXCL | (SYNCED_WRITES ?? 0);
    const handle = await open(Journal.path(this.base, next), flags, 0o600);
    await this.handle?.close();
    this.handle = handle;
    this.current = next;
    this.size = 0;
    return previous;
  }

  /** Deletes every segment up to `generation`, whose rows are now in the database. */
  async removeThrough(generation: number): Promise<void> {
    for (const g of await Journal.generations(this.base)) {
      if (g <= generation && g !== this.current) await rm(Journal.path(this.base, g), { force: true });
    }
  }

  /** Closes the segment appends go to, deleting it when nothing was appended. */
  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
    if (this.size === 0) await rm(Journal.path(this.base, this.current), { force: true });
  }
}
