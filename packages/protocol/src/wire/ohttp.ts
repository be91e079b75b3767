/**
 * Oblivious HTTP (RFC 9458) wire facts shared by the SDK (client), the collector (gateway) and `candor relay`:
 * media types, the gateway's routes, the labels bound into HPKE, and the key configuration encoding.
 *
 * candor uses one suite, the one it seals reports with: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
 *
 *   key config      = key_id (1) || kem_id (2) || public_key (32) || algorithms_length (2) || (kdf_id (2) || aead_id (2))*
 *   ohttp-keys body = (length (2) || key config)+                      -- RFC 9458 section 3.2
 *   request header  = key_id (1) || kem_id (2) || kdf_id (2) || aead_id (2)
 *   request info    = "message/bhttp request" || 0x00 || request header
 *   enc request     = request header || enc (32) || HPKE ciphertext of a binary HTTP request (RFC 9292)
 *   enc response    = response_nonce (16) || AEAD ciphertext of a binary HTTP response
 *
 * Pure byte handling without crypto, so the browser loads it only with the rest of the OHTTP code.
 */
import {
  AEAD_AES_128_GCM,
  encodeHeader,
  HEADER_LENGTH,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  labelledInfo,
} from './envelope.js';

export const OHTTP_REQUEST_TYPE = 'message/ohttp-req';
export const OHTTP_RESPONSE_TYPE = 'message/ohttp-res';
export const OHTTP_KEYS_TYPE = 'application/ohttp-keys';

export const OHTTP_PATHS = {
  /** The gateway's key configurations, as application/ohttp-keys. */
  keys: '/ohttp-keys',
  /** The Oblivious Gateway Resource: POST message/ohttp-req. */
  gateway: '/ohttp-gateway',
} as const;

/** RFC 9458 section 4.3 and 4.4 labels. */
export const OHTTP_REQUEST_LABEL = 'message/bhttp request';
export const OHTTP_RESPONSE_LABEL = 'message/bhttp response';

/** RFC 9458 section 5.3: the gateway does not accept the key configuration the client used. */
export const PROBLEM_OHTTP_KEY = 'https://iana.org/assignments/http-problem-types#ohttp-key';

export const OHTTP_PUBLIC_KEY_LENGTH = 32;
export const OHTTP_ENC_LENGTH = 32;
export const OHTTP_HEADER_LENGTH = HEADER_LENGTH;
/** max(Nn, Nk) for AES-128-GCM: the response nonce and the exported secret's length. */
export const OHTTP_RESPONSE_NONCE_LENGTH = 16;
export const OHTTP_TAG_LENGTH = 16;

export interface OhttpKeyConfig {
  keyId: number;
  kem: number;
  publicKey: Uint8Array;
  /** The (KDF, AEAD) pairs the gateway accepts with this key. */
  algorithms: { kdf: number; aead: number }[];
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

/** Encodes one key configuration (RFC 9458 section 3.1). */
export function encodeKeyConfig(config: OhttpKeyConfig): Uint8Array {
  const algorithms = config.algorithms.length * 4;
  const out = new Uint8Array(1 + 2 + config.publicKey.length + 2 + algorithms);
  const view = new DataView(out.buffer);
  view.setUint8(0, config.keyId);
  view.setUint16(1, config.kem);
  out.set(config.publicKey, 3);
  let at = 3 + config.publicKey.length;
  view.setUint16(at, algorithms);
  at += 2;
  for (const { kdf, aead } of config.algorithms) {
    view.setUint16(at, kdf);
    view.setUint16(at + 2, aead);
    at += 4;
  }
  return out;
}

/** Decodes one key configuration of candor's KEM; throws an Error naming what was wrong. */
export function decodeKeyConfig(bytes: Uint8Array): OhttpKeyConfig {
  if (bytes.length < 3) throw new Error('key configuration is shorter than its key id and KEM id');
  const keyId = bytes[0] as number;
  const kem = u16(bytes, 1);
  if (kem !== KEM_X25519_HKDF_SHA256) {
    throw new Error(`key configuration ${keyId} uses KEM 0x${kem.toString(16)}; only X25519 (0x0020) is supported`);
  }
  const keyEnd = 3 + OHTTP_PUBLIC_KEY_LENGTH;
  if (bytes.length < keyEnd + 2) throw new Error(`key configuration ${keyId} is shorter than an X25519 public key`);
  const publicKey = bytes.slice(3, keyEnd);
  const length = u16(bytes, keyEnd);
  if (length === 0 || length % 4 !== 0) {
    throw new Error(`key configuration ${keyId} has a symmetric algorithms length of ${length}, not a multiple of 4`);
  }
  if (bytes.length !== keyEnd + 2 + length) {
    throw new Error(`key configuration ${keyId} is ${bytes.length} bytes; its lengths say ${keyEnd + 2 + length}`);
  }
  const algorithms: { kdf: number; aead: number }[] = [];
  for (let at = keyEnd + 2; at < bytes.length; at += 4)
    algorithms.push({ kdf: u16(bytes, at), aead: u16(bytes, at + 2) });
  return { keyId, kem, publicKey, algorithms };
}

/** Encodes an application/ohttp-keys body: each configuration prefixed with its 2-byte length. */
export function encodeKeyConfigs(configs: OhttpKeyConfig[]): Uint8Array {
  const encoded = configs.map(encodeKeyConfig);
  const out = new Uint8Array(encoded.reduce((n, c) => n + 2 + c.length, 0));
  let at = 0;
  for (const config of encoded) {
    out[at] = config.length >> 8;
    out[at + 1] = config.length & 0xff;
    out.set(config, at + 2);
    at += 2 + config.length;
  }
  return out;
}

/**
 * Decodes an application/ohttp-keys body. Configurations of another KEM are skipped (a gateway may offer
 * several); a body that is cut short, or has no configuration candor can use, is an Error naming why.
 */
export function decodeKeyConfigs(bytes: Uint8Array): OhttpKeyConfig[] {
  const configs: OhttpKeyConfig[] = [];
  const skipped: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw new Error(`application/ohttp-keys is cut short at byte ${at}`);
    const length = u16(bytes, at);
    if (at + 2 + length > bytes.length) {
      throw new Error(`application/ohttp-keys: a ${length}-byte key configuration at byte ${at} is cut short`);
    }
    try {
      configs.push(decodeKeyConfig(bytes.subarray(at + 2, at + 2 + length)));
    } catch (error) {
      skipped.push((error as Error).message);
    }
    at += 2 + length;
  }
  if (configs.length === 0) {
    throw new Error(
      `application/ohttp-keys holds no usable key configuration${skipped.length ? `: ${skipped.join('; ')}` : ''}`,
    );
  }
  return configs;
}

/** Whether a configuration accepts candor's suite (HKDF-SHA256 with AES-128-GCM). */
export function acceptsCandorSuite(config: OhttpKeyConfig): boolean {
  return (
    config.kem === KEM_X25519_HKDF_SHA256 &&
    config.publicKey.length === OHTTP_PUBLIC_KEY_LENGTH &&
    config.algorithms.some((a) => a.kdf === KDF_HKDF_SHA256 && a.aead === AEAD_AES_128_GCM)
  );
}

/**
 * The request header for a key id with candor's suite (RFC 9458 section 4.3): the same seven bytes as the upload
 * envelope's header.
 */
export function ohttpRequestHeader(keyId: number): Uint8Array {
  return encodeHeader(keyId);
}

/** info = "message/bhttp request" || 0x00 || header. */
export function ohttpRequestInfo(header: Uint8Array): Uint8Array {
  return labelledInfo(OHTTP_REQUEST_LABEL, header);
}
