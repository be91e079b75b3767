import { importEphemeralKeyPair } from '../../src/seal/hpke.js';

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410): a fixed 16-byte prefix, then the 32 key bytes.
const PKCS8_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
);

/** The raw X25519 public key of a raw private key, through WebCrypto (export as JWK). */
export async function derivePublicKey(privateKey: Uint8Array): Promise<Uint8Array> {
  const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + 32);
  pkcs8.set(PKCS8_PREFIX);
  pkcs8.set(privateKey, PKCS8_PREFIX.length);
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, true, ['deriveBits']);
  const jwk = await crypto.subtle.exportKey('jwk', key);
  return new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'));
}

/** A vector's fixed ephemeral key as the seal takes it (test vectors only; real seals use a fresh key). */
export async function importFixedEphemeral(privateKey: Uint8Array) {
  return importEphemeralKeyPair(privateKey, await derivePublicKey(privateKey));
}
