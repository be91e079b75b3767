import { z } from 'zod';
import { AEAD_AES_128_GCM, KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256 } from './envelope.js';

/**
 * The answer of GET /v1/keys as a schema, for checking a collector's answer and publishing it as JSON Schema.
 * Kept apart from envelope.ts because the SDK's browser bundle imports that module and must not pull in zod.
 */
export const KeyConfigSchema = z.strictObject({
  id: z.number().int().min(0).max(255),
  kem: z.literal(KEM_X25519_HKDF_SHA256),
  kdf: z.literal(KDF_HKDF_SHA256),
  aead: z.literal(AEAD_AES_128_GCM),
  /** Raw 32-byte X25519 public key, base64url without padding: 43 characters. */
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});

export const KeyConfigListSchema = z.strictObject({
  /** Newest first; a client seals to the first key whose suite it supports. */
  keys: z.array(KeyConfigSchema).min(1),
});
