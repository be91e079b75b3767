import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AEAD_AES_128_GCM,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  type KeyConfig,
  type KeyConfigList,
} from '@candor/protocol';
import { generateX25519KeyPair, HpkeRecipient } from '../open/hpke.js';
import { writePrivateFile } from './files.js';

/** How long a rotated-out key keeps opening reports, so devices holding the old config can still upload. */
export const DEFAULT_GRACE_MS = 7 * 24 * 60 * 60 * 1000;

/** One X25519 key as stored on disk in `<prefix>-<id>.json` (mode 0600). */
export interface StoredKey {
  id: number;
  /** Raw X25519 keys, base64url. */
  publicKey: string;
  privateKey: string;
  createdAt: string;
  /** Set when the key was rotated out: it opens requests until then, and is no longer served. */
  retiresAt: string | null;
}

/**
 * Which keys a set of files holds: `hpke` for the report keys, `ohttp` for the Oblivious HTTP gateway's keys
 * (kept apart, so a relayed upload is opened with two independent keys). Both share one lifecycle: ids 0-255,
 * newest first, rotation with a grace period.
 */
export type KeyKind = 'hpke' | 'ohttp';

const keyFile = (kind: KeyKind) => new RegExp(`^${kind}-(\\d{1,3})\\.json$`);

export async function readKeys(dir: string, kind: KeyKind = 'hpke'): Promise<StoredKey[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const pattern = keyFile(kind);
  const keys: StoredKey[] = [];
  for (const name of names) {
    if (!pattern.test(name)) continue;
    const key = JSON.parse(await readFile(join(dir, name), 'utf8')) as StoredKey;
    // Gateway keys written before rotation existed carry no retiresAt: they are active.
    keys.push({ ...key, retiresAt: key.retiresAt ?? null });
  }
  // Newest first: the order clients see in GET /v1/keys.
  return keys.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
}

async function writeKey(dir: string, key: StoredKey, kind: KeyKind): Promise<void> {
  await writePrivateFile(dir, `${kind}-${key.id}.json`, `${JSON.stringify(key, null, 2)}\n`);
}

function nextKeyId(keys: StoredKey[]): number {
  const used = new Set(keys.map((k) => k.id));
  const start = keys.length ? ((keys[0]?.id ?? 0) + 1) % 256 : 1;
  for (let i = 0; i < 256; i++) {
    const id = (start + i) % 256;
    if (!used.has(id)) return id;
  }
  throw new Error('all 256 key ids are in use; remove retired keys first');
}

/** Creates a new key; it becomes the one served first. */
export async function createKey(dir: string, now = new Date(), kind: KeyKind = 'hpke'): Promise<StoredKey> {
  const existing = await readKeys(dir, kind);
  const { publicKey, privateKey } = generateX25519KeyPair();
  const key: StoredKey = {
    id: nextKeyId(existing),
    publicKey: publicKey.toString('base64url'),
    privateKey: privateKey.toString('base64url'),
    // Strictly after every existing key, so "newest first" is well defined even within one millisecond.
    createdAt: new Date(Math.max(now.getTime(), ...existing.map((k) => Date.parse(k.createdAt) + 1))).toISOString(),
    retiresAt: null,
  };
  await writeKey(dir, key, kind);
  return key;
}

/** Creates a new key and gives every active key a retirement time `graceMs` from now. */
export async function rotateKeys(
  dir: string,
  graceMs = DEFAULT_GRACE_MS,
  now = new Date(),
  kind: KeyKind = 'hpke',
): Promise<StoredKey> {
  const existing = await readKeys(dir, kind);
  const retiresAt = new Date(now.getTime() + graceMs).toISOString();
  for (const key of existing) {
    if (key.retiresAt === null) await writeKey(dir, { ...key, retiresAt }, kind);
  }
  return createKey(dir, now, kind);
}

/** Creates a first key when the directory has none active. */
export async function ensureKey(dir: string, kind: KeyKind = 'hpke'): Promise<{ key: StoredKey; created: boolean }> {
  const keys = await readKeys(dir, kind);
  const active = keys.find((k) => k.retiresAt === null);
  if (active) return { key: active, created: false };
  return { key: await createKey(dir, new Date(), kind), created: true };
}

function toConfig(key: StoredKey): KeyConfig {
  return {
    id: key.id,
    kem: KEM_X25519_HKDF_SHA256,
    kdf: KDF_HKDF_SHA256,
    aead: AEAD_AES_128_GCM,
    publicKey: key.publicKey,
  };
}

/**
 * The keys the running collector opens reports (or, with kind `ohttp`, relayed requests) with. Rotation may
 * happen in another process (`candor keys rotate`), so the ring re-reads the directory periodically and when an
 * unknown key id arrives (at most once a few seconds, so unknown ids cannot make it hammer the disk).
 */
export class KeyRing {
  private recipients = new Map<number, { key: StoredKey; recipient: HpkeRecipient }>();
  private lastRefresh = 0;
  private refreshing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly now: () => number,
    readonly kind: KeyKind,
  ) {}

  static async open(dir: string, now: () => number = Date.now, kind: KeyKind = 'hpke'): Promise<KeyRing> {
    const ring = new KeyRing(dir, now, kind);
    await ring.refresh();
    return ring;
  }

  async refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const next = new Map<number, { key: StoredKey; recipient: HpkeRecipient }>();
      for (const key of await readKeys(this.dir, this.kind)) {
        const previous = this.recipients.get(key.id);
        const recipient =
          previous && previous.key.privateKey === key.privateKey
            ? previous.recipient
            : new HpkeRecipient(Buffer.from(key.privateKey, 'base64url'));
        next.set(key.id, { key, recipient });
      }
      this.recipients = next;
      this.lastRefresh = this.now();
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Re-reads the directory unless it was read within `minIntervalMs`. */
  async refreshIfStale(minIntervalMs = 5000): Promise<void> {
    if (this.now() - this.lastRefresh >= minIntervalMs) await this.refresh();
  }

  private usable(key: StoredKey): boolean {
    return key.retiresAt === null || Date.parse(key.retiresAt) > this.now();
  }

  /** The recipient for a key id, or undefined when unknown or past its grace period. */
  recipientFor(id: number): HpkeRecipient | undefined {
    const entry = this.recipients.get(id);
    return entry && this.usable(entry.key) ? entry.recipient : undefined;
  }

  /** Every usable key, newest first. */
  usableKeys(): StoredKey[] {
    return [...this.recipients.values()]
      .map((e) => e.key)
      .filter((k) => this.usable(k))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
  }

  /** What GET /v1/keys serves: every usable key, newest first; clients seal to the first. */
  configs(): KeyConfigList {
    return { keys: this.usableKeys().map(toConfig) };
  }
}
