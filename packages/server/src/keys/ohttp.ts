import {
  AEAD_AES_128_GCM,
  encodeKeyConfigs,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  type OhttpKeyConfig,
} from '@candor/protocol';
import type { HpkeRecipient } from '../open/hpke.js';
import { ensureKey, KeyRing, type StoredKey } from './keyring.js';

/**
 * The Oblivious HTTP gateway's keys (RFC 9458), kept apart from the report keys in `ohttp-<id>.json` (mode 0600):
 * a relayed upload is opened twice, first this layer (who may forward what to whom), then the report envelope.
 * They share the report keys' lifecycle (keyring.ts): `candor keys rotate` adds one and retires the others after a
 * grace period, and the running collector picks that up by re-reading the directory.
 *
 * Served: the active keys only, newest first. A client fetching now has no use for a retiring key (the SDK takes
 * the first it supports), and the fewer configurations there are, the less a collector could tell clients apart
 * by which one they hold (RFC 9458 section 7). A retiring key still opens requests until it retires; after that
 * its requests get the ohttp-key problem, and clients fetch the configuration again.
 */
export class OhttpKeys {
  private served: { signature: string; id: number; encoded: Uint8Array } | null = null;

  private constructor(private readonly ring: KeyRing) {}

  /** Opens the gateway keys in `dir`, creating a first one when none is active. */
  static async open(dir: string, now: () => number = Date.now): Promise<{ keys: OhttpKeys; created: boolean }> {
    const { created } = await ensureKey(dir, 'ohttp');
    return { keys: new OhttpKeys(await KeyRing.open(dir, now, 'ohttp')), created };
  }

  private current(): { id: number; encoded: Uint8Array } {
    const usable = this.ring.usableKeys();
    const active = usable.filter((k) => k.retiresAt === null);
    // Every key retiring (an operator removed the active one): keep serving what still opens requests.
    const keys = active.length ? active : usable;
    const signature = keys.map((k) => `${k.id}:${k.publicKey}`).join(',');
    if (this.served?.signature !== signature) {
      // Encoded once per set of keys: every client gets these same bytes until the next rotation.
      this.served = { signature, id: keys[0]?.id ?? -1, encoded: encodeKeyConfigs(keys.map(toOhttpConfig)) };
    }
    return this.served;
  }

  /** The application/ohttp-keys body. */
  get encoded(): Uint8Array {
    return this.current().encoded;
  }

  /** The id of the key served first, the one clients encapsulate to. */
  get keyId(): number {
    return this.current().id;
  }

  /** The recipient for a key id, or undefined when unknown or retired. */
  recipientFor(id: number): HpkeRecipient | undefined {
    return this.ring.recipientFor(id);
  }

  /** Re-reads the key directory (a rotation done by `candor keys rotate` in another process). */
  refresh(): Promise<void> {
    return this.ring.refresh();
  }

  /** Re-reads the key directory unless it was read within `minIntervalMs`: for unknown key ids. */
  refreshIfStale(minIntervalMs?: number): Promise<void> {
    return this.ring.refreshIfStale(minIntervalMs);
  }
}

function toOhttpConfig(key: StoredKey): OhttpKeyConfig {
  return {
    keyId: key.id,
    kem: KEM_X25519_HKDF_SHA256,
    publicKey: new Uint8Array(Buffer.from(key.publicKey, 'base64url')),
    algorithms: [{ kdf: KDF_HKDF_SHA256, aead: AEAD_AES_128_GCM }],
  };
}
