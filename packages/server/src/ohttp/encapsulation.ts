/**
 * The gateway side of Oblivious HTTP (RFC 9458 sections 4.3 to 4.4): opens an encapsulated request and
 * encapsulates the response to the same HPKE context. Built on the collector's node:crypto HPKE (open/hpke.ts).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import {
  headerKeyId,
  OHTTP_ENC_LENGTH,
  OHTTP_HEADER_LENGTH,
  OHTTP_RESPONSE_LABEL,
  OHTTP_RESPONSE_NONCE_LENGTH,
  OHTTP_TAG_LENGTH,
  ohttpRequestInfo,
} from '@candor/protocol';
import { aesGcmOpen, exportSecret, HpkeOpenError, type HpkeRecipient, hkdf } from '../open/hpke.js';

const EMPTY = Buffer.alloc(0);
const RESPONSE_LABEL = Buffer.from(OHTTP_RESPONSE_LABEL);

/** Why a request could not be opened: `key` is RFC 9458's ohttp-key problem (unknown key id or suite). */
export type DecapsulateFailure = { reason: 'malformed' | 'key' | 'decrypt'; detail: string };

export interface OpenedRequest {
  keyId: number;
  /** The binary HTTP request (RFC 9292). */
  request: Buffer;
  /** Encapsulates the response to this request; `nonce` is for the RFC test vectors only. */
  respond(response: Uint8Array, nonce?: Uint8Array): Buffer;
}

export function decapsulateRequest(
  body: Uint8Array,
  recipientFor: (keyId: number) => HpkeRecipient | undefined,
): { ok: true; opened: OpenedRequest } | { ok: false; failure: DecapsulateFailure } {
  if (body.length < OHTTP_HEADER_LENGTH + OHTTP_ENC_LENGTH + OHTTP_TAG_LENGTH) {
    return { ok: false, failure: { reason: 'malformed', detail: 'body is shorter than an encapsulated request' } };
  }
  const keyId = headerKeyId(body);
  if (keyId === null) {
    return { ok: false, failure: { reason: 'key', detail: 'only X25519 / HKDF-SHA256 / AES-128-GCM is accepted' } };
  }
  const recipient = recipientFor(keyId);
  if (!recipient) return { ok: false, failure: { reason: 'key', detail: `key id ${keyId} is not this gateway's` } };
  const header = body.subarray(0, OHTTP_HEADER_LENGTH);
  const enc = Buffer.from(body.subarray(OHTTP_HEADER_LENGTH, OHTTP_HEADER_LENGTH + OHTTP_ENC_LENGTH));
  try {
    const schedule = recipient.setup(enc, ohttpRequestInfo(header));
    const request = aesGcmOpen(
      schedule.key,
      schedule.baseNonce,
      EMPTY,
      body.subarray(OHTTP_HEADER_LENGTH + OHTTP_ENC_LENGTH),
    );
    const respond = (response: Uint8Array, nonce?: Uint8Array) =>
      encapsulateResponse(schedule.exporterSecret, enc, response, nonce);
    return { ok: true, opened: { keyId, request, respond } };
  } catch (error) {
    if (error instanceof HpkeOpenError) return { ok: false, failure: { reason: 'decrypt', detail: error.message } };
    throw error;
  }
}

/** The response's AEAD key and nonce (RFC 9458 section 4.4). */
export function responseKeys(
  exporterSecret: Uint8Array,
  enc: Uint8Array,
  responseNonce: Uint8Array,
): { key: Buffer; nonce: Buffer } {
  const secret = exportSecret(exporterSecret, RESPONSE_LABEL, OHTTP_RESPONSE_NONCE_LENGTH);
  const prk = hkdf.extract(Buffer.concat([enc, responseNonce]), secret);
  return { key: hkdf.expand(prk, Buffer.from('key'), 16), nonce: hkdf.expand(prk, Buffer.from('nonce'), 12) };
}

export function encapsulateResponse(
  exporterSecret: Uint8Array,
  enc: Uint8Array,
  response: Uint8Array,
  nonce: Uint8Array = randomBytes(OHTTP_RESPONSE_NONCE_LENGTH),
): Buffer {
  const { key, nonce: aeadNonce } = responseKeys(exporterSecret, enc, nonce);
  const cipher = createCipheriv('aes-128-gcm', key, aeadNonce);
  const body = Buffer.concat([cipher.update(response), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}
