import { gunzipSync, gzipSync } from 'node:zlib';
import { ENC_LENGTH, encodeHeader, HEADER_LENGTH, headerKeyId, infoFor, TAG_LENGTH } from '@candor/protocol';
import { HpkeOpenError, type HpkeRecipient, sealBase } from './hpke.js';

const EMPTY_AAD = new Uint8Array(0);

/** Why an envelope could not be opened; the ingest route maps each reason to a problem type. */
export type OpenFailure =
  | { reason: 'malformed'; detail: string }
  | { reason: 'unsupported-suite'; detail: string }
  | { reason: 'unknown-key'; keyId: number }
  | { reason: 'decrypt-failed'; detail: string }
  | { reason: 'too-large'; detail: string };

export type OpenResult = { ok: true; keyId: number; plaintext: Buffer } | { ok: false; failure: OpenFailure };

/**
 * Opens a sealed upload (layout in @candor/protocol wire/envelope.ts) and gunzips it. `maxPlaintextBytes` caps
 * the decompressed size, so a small gzip bomb cannot make the collector allocate gigabytes.
 */
export function openEnvelope(
  body: Uint8Array,
  recipientFor: (keyId: number) => HpkeRecipient | undefined,
  maxPlaintextBytes: number,
): OpenResult {
  if (body.length < HEADER_LENGTH + ENC_LENGTH + TAG_LENGTH) {
    return { ok: false, failure: { reason: 'malformed', detail: 'body is shorter than an HPKE envelope' } };
  }
  const keyId = headerKeyId(body);
  if (keyId === null) {
    return { ok: false, failure: { reason: 'unsupported-suite', detail: 'only X25519 / HKDF-SHA256 / AES-128-GCM' } };
  }
  const recipient = recipientFor(keyId);
  if (!recipient) return { ok: false, failure: { reason: 'unknown-key', keyId } };
  const header = body.subarray(0, HEADER_LENGTH);
  const enc = body.subarray(HEADER_LENGTH, HEADER_LENGTH + ENC_LENGTH);
  let compressed: Buffer;
  try {
    compressed = recipient.open(enc, infoFor(header), EMPTY_AAD, body.subarray(HEADER_LENGTH + ENC_LENGTH));
  } catch (error) {
    if (error instanceof HpkeOpenError)
      return { ok: false, failure: { reason: 'decrypt-failed', detail: error.message } };
    throw error;
  }
  try {
    return { ok: true, keyId, plaintext: gunzipSync(compressed, { maxOutputLength: maxPlaintextBytes }) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return {
        ok: false,
        failure: { reason: 'too-large', detail: `decompressed body exceeds ${maxPlaintextBytes} bytes` },
      };
    }
    return { ok: false, failure: { reason: 'malformed', detail: 'plaintext is not gzip' } };
  }
}

/** Builds a sealed upload with node:crypto (tests and load generation; devices use the SDK's WebCrypto seal). */
export function sealEnvelope(keyId: number, recipientPublicKey: Uint8Array, json: string | Uint8Array): Buffer {
  const header = encodeHeader(keyId);
  const { enc, ciphertext } = sealBase(recipientPublicKey, infoFor(header), EMPTY_AAD, gzipSync(json));
  return Buffer.concat([header, enc, ciphertext]);
}
