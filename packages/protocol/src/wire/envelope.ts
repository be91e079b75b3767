/**
 * The sealed report envelope: one HPKE (RFC 9180) base-mode single-shot message per upload.
 *
 *   body      = header || enc || ciphertext
 *   header    = key_id (1 byte) || kem_id (2) || kdf_id (2) || aead_id (2)     -- big-endian, 7 bytes
 *   enc       = the sender's ephemeral X25519 public key, 32 bytes
 *   info      = "candor report v1" || 0x00 || header
 *   aad       = empty
 *   plaintext = gzip(UTF-8 JSON of a ReportBatch)
 *
 * The header is bound into `info`, so a key id or suite swapped in transit makes the open fail.
 */
export const KEM_X25519_HKDF_SHA256 = 0x0020;
export const KDF_HKDF_SHA256 = 0x0001;
export const AEAD_AES_128_GCM = 0x0001;
export const HEADER_LENGTH = 7;
export const ENC_LENGTH = 32;
export const TAG_LENGTH = 16;
export const INFO_PREFIX = 'candor report v1';

/** Content type of a sealed upload. */
export const SEALED_CONTENT_TYPE = 'application/candor-hpke';

export const PATHS = {
  keys: '/v1/keys',
  reports: '/v1/reports',
  query: '/v1/query',
  /** Active devices, stickiness and retention (query/activity.ts). */
  activity: '/v1/activity',
  registry: '/v1/registry',
  openapi: '/v1/openapi.json',
  privacy: '/v1/privacy',
  /** The apps a collector serves and their loaded registry versions. */
  apps: '/v1/apps',
} as const;

export function encodeHeader(keyId: number): Uint8Array {
  const header = new Uint8Array(HEADER_LENGTH);
  const view = new DataView(header.buffer);
  view.setUint8(0, keyId);
  view.setUint16(1, KEM_X25519_HKDF_SHA256);
  view.setUint16(3, KDF_HKDF_SHA256);
  view.setUint16(5, AEAD_AES_128_GCM);
  return header;
}

/** The key id of a header (at least HEADER_LENGTH bytes) that names candor's suite, or null for any other suite. */
export function headerKeyId(body: Uint8Array): number | null {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const ours =
    view.getUint16(1) === KEM_X25519_HKDF_SHA256 &&
    view.getUint16(3) === KDF_HKDF_SHA256 &&
    view.getUint16(5) === AEAD_AES_128_GCM;
  return ours ? view.getUint8(0) : null;
}

export function infoFor(header: Uint8Array): Uint8Array {
  return labelledInfo(INFO_PREFIX, header);
}

/** HPKE info as both this envelope and Oblivious HTTP bind it: label || 0x00 || header. */
export function labelledInfo(label: string, header: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(label);
  const info = new Uint8Array(prefix.length + 1 + header.length);
  info.set(prefix, 0);
  info.set(header, prefix.length + 1);
  return info;
}

/** One public key the collector accepts, as served at GET /v1/keys (newest first). */
export interface KeyConfig {
  id: number;
  kem: number;
  kdf: number;
  aead: number;
  /** Raw 32-byte X25519 public key, base64url without padding. */
  publicKey: string;
}

export interface KeyConfigList {
  keys: KeyConfig[];
}

/** Collectors answer an unknown key id with this problem type; the SDK then refetches /v1/keys once. */
export const PROBLEM_UNKNOWN_KEY = 'https://candor.dev/problems/unknown-key';
