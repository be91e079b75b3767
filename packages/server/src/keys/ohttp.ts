import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AEAD_AES_128_GCM, encodeKeyConfigs, KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256 } from '@candor/protocol';
import { generateX25519KeyPair, HpkeRecipient } from '../open/hpke.js';
import { writePrivateFile } from './files.js';

/**
 * The Oblivious HTTP gateway's key (RFC 9458), kept apart from the report keys in `ohttp-<id>.json` (mode 0600):
 * a relayed upload is opened twice, first this layer (who may forward what to whom), then the report envelope.
 * One key, created on first start; the gateway serves the same configuration to every client.
 */
export interface StoredOhttpKey {
  id: number;
  /** Raw X25519 keys, base64url. */
  publicKey: string;
  privateKey: string;
  createdAt: string;
}

const KEY_FILE = /^ohttp-(\d{1,3})\.json$/;

export class OhttpKeys {
  private constructor(
    private readonly key: StoredOhttpKey,
    private readonly recipient: HpkeRecipient,
    /** The application/ohttp-keys body, encoded once: every client gets these same bytes. */
    readonly encoded: Uint8Array,
  ) {}

  get keyId(): number {
    return this.key.id;
  }

  /** Reads the gateway key from `dir`, creating it when there is none. */
  static async open(dir: string): Promise<{ keys: OhttpKeys; created: boolean }> {
    let stored = await readOhttpKey(dir);
    const created = stored === null;
    if (!stored) {
      const { publicKey, privateKey } = generateX25519KeyPair();
      stored = {
        id: 1,
        publicKey: publicKey.toString('base64url'),
        privateKey: privateKey.toString('base64url'),
        createdAt: new Date().toISOString(),
      };
      await writePrivateFile(dir, `ohttp-${stored.id}.json`, `${JSON.stringify(stored, null, 2)}\n`);
    }
    const recipient = new HpkeRecipient(Buffer.from(stored.privateKey, 'base64url'));
    const encoded = encodeKeyConfigs([
      {
        keyId: stored.id,
        kem: KEM_X25519_HKDF_SHA256,
        publicKey: recipient.publicKey,
        algorithms: [{ kdf: KDF_HKDF_SHA256, aead: AEAD_AES_128_GCM }],
      },
    ]);
    return { keys: new OhttpKeys(stored, recipient, encoded), created };
  }

  recipientFor(id: number): HpkeRecipient | undefined {
    return id === this.key.id ? this.recipient : undefined;
  }
}

async function readOhttpKey(dir: string): Promise<StoredOhttpKey | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const name = names.filter((n) => KEY_FILE.test(n)).sort()[0];
  return name ? (JSON.parse(await readFile(join(dir, name), 'utf8')) as StoredOhttpKey) : null;
}
