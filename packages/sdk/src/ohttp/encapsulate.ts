/**
 * The client side of Oblivious HTTP (RFC 9458 sections 4.3 and 4.6): encapsulates a binary HTTP request to the
 * gateway's key configuration and opens the gateway's encapsulated response. Built on the SDK's own WebCrypto
 * HPKE (seal/hpke.ts), the same suite reports are sealed with, so no second HPKE implementation ships.
 */
import {
  OHTTP_RESPONSE_LABEL,
  OHTTP_RESPONSE_NONCE_LENGTH,
  OHTTP_TAG_LENGTH,
  type OhttpKeyConfig,
  ohttpRequestHeader,
  ohttpRequestInfo,
} from '@candor/protocol/wire/ohttp';
import { type EphemeralKeyPair, exportSecret, hkdfExpand, hkdfExtract, sealBase } from '../seal/hpke.js';
import { concatBytes, utf8 } from '../util/bytes.js';

const AEAD_KEY_LENGTH = 16;
const AEAD_NONCE_LENGTH = 12;

/** What the client keeps from a request to open its response. */
export interface RequestContext {
  enc: Uint8Array;
  exporterSecret: Uint8Array;
}

/** `ephemeral` is for the RFC test vectors only; leave it out everywhere else. */
export async function encapsulateRequest(
  config: OhttpKeyConfig,
  request: Uint8Array,
  ephemeral?: EphemeralKeyPair,
): Promise<{ encapsulated: Uint8Array; context: RequestContext }> {
  const header = ohttpRequestHeader(config.keyId);
  const { enc, ciphertext, exporterSecret } = await sealBase(
    config.publicKey,
    ohttpRequestInfo(header),
    new Uint8Array(0),
    request,
    ephemeral,
  );
  return { encapsulated: concatBytes(header, enc, ciphertext), context: { enc, exporterSecret } };
}

/** The response's AEAD key and nonce (RFC 9458 section 4.4), from the request's context and the response nonce. */
export async function responseKeys(
  context: RequestContext,
  responseNonce: Uint8Array,
): Promise<{ key: Uint8Array; nonce: Uint8Array }> {
  const secret = await exportSecret(context.exporterSecret, utf8(OHTTP_RESPONSE_LABEL), OHTTP_RESPONSE_NONCE_LENGTH);
  const prk = await hkdfExtract(concatBytes(context.enc, responseNonce), secret);
  const [key, nonce] = await Promise.all([
    hkdfExpand(prk, utf8('key'), AEAD_KEY_LENGTH),
    hkdfExpand(prk, utf8('nonce'), AEAD_NONCE_LENGTH),
  ]);
  return { key, nonce };
}

/** Opens an encapsulated response; throws when it is too short or fails authentication. */
export async function decapsulateResponse(context: RequestContext, encapsulated: Uint8Array): Promise<Uint8Array> {
  if (encapsulated.length < OHTTP_RESPONSE_NONCE_LENGTH + OHTTP_TAG_LENGTH) {
    throw new Error('the encapsulated response is shorter than its nonce and tag');
  }
  const { key, nonce } = await responseKeys(context, encapsulated.subarray(0, OHTTP_RESPONSE_NONCE_LENGTH));
  const aesKey = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['decrypt']);
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce as Uint8Array<ArrayBuffer>, tagLength: 128 },
        aesKey,
        encapsulated.subarray(OHTTP_RESPONSE_NONCE_LENGTH) as Uint8Array<ArrayBuffer>,
      ),
    );
  } catch {
    throw new Error('the encapsulated response failed authentication');
  }
}
