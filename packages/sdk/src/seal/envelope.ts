/**
 * Where a report is sealed: a ReportBatch becomes gzip(JSON), then one HPKE base-mode message to the collector's
 * current key, framed exactly as @candor/protocol wire/envelope.ts says (header || enc || ciphertext). The
 * browser bundle loads it on the first send (about a third of the SDK's size, needed at most once a day).
 */
import { encodeHeader, infoFor, type KeyConfig } from '@candor/protocol/wire/envelope';
import { isSupportedKey } from '../transport/keys.js';
import { concatBytes, fromBase64Url, utf8 } from '../util/bytes.js';
import { gzip, gzipStored } from './gzip.js';
import { type EphemeralKeyPair, sealBase } from './hpke.js';

export interface SealOptions {
  /** Test vectors only: a fixed ephemeral key. */
  ephemeral?: EphemeralKeyPair;
  /** Page hide: gzip framing without compression, made synchronously (see gzipStored). */
  storedGzip?: boolean;
}

/** Seals already-serialised batch JSON for one key config and returns the upload body. */
export async function sealBatchJson(json: string, key: KeyConfig, options: SealOptions = {}): Promise<Uint8Array> {
  if (!isSupportedKey(key)) throw new Error(`key ${key.id} uses an unsupported HPKE suite`);
  if (!Number.isInteger(key.id) || key.id < 0 || key.id > 255) throw new Error(`key id ${key.id} is not one byte`);
  const header = encodeHeader(key.id);
  const plaintext = options.storedGzip ? gzipStored(utf8(json)) : await gzip(utf8(json));
  const { enc, ciphertext } = await sealBase(
    fromBase64Url(key.publicKey),
    infoFor(header),
    new Uint8Array(0),
    plaintext,
    options.ephemeral,
  );
  return concatBytes(header, enc, ciphertext);
}
