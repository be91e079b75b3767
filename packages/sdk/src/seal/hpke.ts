/**
 * HPKE (RFC 9180) base mode, single-shot seal, for exactly one suite:
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM.
 *
 * Hand-written on WebCrypto (X25519 deriveBits, HMAC-SHA256 for LabeledExtract/LabeledExpand, AES-GCM) rather
 * than taken from an HPKE library: sealing is the product's core, one fixed suite needs ~100 lines, and a general
 * HPKE library with pure-JS curves would cost several times the whole SDK's browser budget (12 KB min+gzip).
 * Every primitive runs in the platform's own crypto, in browsers and in Node alike. It is checked against the
 * RFC 9180 A.1.1 vectors and against @hpke/core in seal/hpke.test.ts.
 */
import {
  AEAD_AES_128_GCM as AEAD_ID,
  KDF_HKDF_SHA256 as KDF_ID,
  KEM_X25519_HKDF_SHA256 as KEM_ID,
} from '@candor/protocol/wire/envelope';
import { concatBytes, utf8 } from '../util/bytes.js';

const MODE_BASE = 0x00;
const N_SECRET = 32;
const N_KEY = 16;
const N_NONCE = 12;
const HASH_LENGTH = 32;

const VERSION_LABEL = utf8('HPKE-v1');
const KEM_SUITE_ID = concatBytes(utf8('KEM'), i2osp(KEM_ID, 2));
const HPKE_SUITE_ID = concatBytes(utf8('HPKE'), i2osp(KEM_ID, 2), i2osp(KDF_ID, 2), i2osp(AEAD_ID, 2));
/** HMAC pads its key with zeros to the block size, so an empty salt equals Nh zero bytes (WebCrypto refuses empty keys). */
const EMPTY_SALT = new Uint8Array(HASH_LENGTH);

function i2osp(value: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1, v = value; i >= 0; i--, v >>>= 8) out[i] = v & 0xff;
  return out;
}

/** WebCrypto's BufferSource typing wants ArrayBuffer-backed views; every view made here is. */
function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

async function hmac(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    'raw',
    buf(key.length ? key : EMPTY_SALT),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, buf(message)));
}

/** HKDF-Expand (RFC 5869) with HMAC-SHA256. */
export async function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++) {
    previous = await hmac(prk, concatBytes(previous, info, Uint8Array.of(i)));
    out.set(previous.subarray(0, Math.min(previous.length, length - offset)), offset);
    offset += previous.length;
  }
  return out;
}

/** HKDF-Extract (RFC 5869) with HMAC-SHA256. */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  return hmac(salt, ikm);
}

/** LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" || suite_id || label || ikm). */
function labeledExtract(suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Promise<Uint8Array> {
  return hmac(salt, concatBytes(VERSION_LABEL, suiteId, utf8(label), ikm));
}

/** LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L). */
function labeledExpand(
  suiteId: Uint8Array,
  prk: Uint8Array,
  label: string,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return hkdfExpand(prk, concatBytes(i2osp(length, 2), VERSION_LABEL, suiteId, utf8(label), info), length);
}

/** Context.Export(exporter_context, L) (RFC 9180 section 5.3): what OHTTP keys its response with. */
export function exportSecret(
  exporterSecret: Uint8Array,
  exporterContext: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return labeledExpand(HPKE_SUITE_ID, exporterSecret, 'sec', exporterContext, length);
}

export interface EphemeralKeyPair {
  privateKey: CryptoKey;
  /** Raw 32-byte X25519 public key: the `enc` that travels with the ciphertext. */
  publicKey: Uint8Array;
}

export async function generateEphemeralKeyPair(): Promise<EphemeralKeyPair> {
  const pair = (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  return {
    privateKey: pair.privateKey,
    publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)),
  };
}

/** Imports a fixed X25519 private key (for the RFC test vectors only; real seals always use a fresh key). */
export async function importEphemeralKeyPair(privateKey: Uint8Array, publicKey: Uint8Array): Promise<EphemeralKeyPair> {
  // PKCS#8 wrapping of a raw X25519 private key (RFC 8410): fixed 16-byte prefix, then the 32 key bytes.
  const pkcs8 = concatBytes(
    Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20),
    privateKey,
  );
  const key = await crypto.subtle.importKey('pkcs8', buf(pkcs8), { name: 'X25519' }, false, ['deriveBits']);
  return { privateKey: key, publicKey };
}

/** DHKEM Encap: returns the KEM shared secret and enc (RFC 9180 §4.1). */
export async function encapsulate(
  recipientPublicKey: Uint8Array,
  ephemeral: EphemeralKeyPair,
): Promise<{ sharedSecret: Uint8Array; enc: Uint8Array }> {
  if (recipientPublicKey.length !== 32) throw new Error('recipient X25519 public key must be 32 bytes');
  const pkR = await crypto.subtle.importKey('raw', buf(recipientPublicKey), { name: 'X25519' }, true, []);
  const dh = new Uint8Array(
    await crypto.subtle.deriveBits({ name: 'X25519', public: pkR } as EcdhKeyDeriveParams, ephemeral.privateKey, 256),
  );
  // A low-order recipient key gives an all-zero secret; RFC 9180 §7.1.4 requires refusing it.
  if (dh.every((b) => b === 0)) throw new Error('X25519 produced an all-zero shared secret');
  const enc = ephemeral.publicKey;
  const kemContext = concatBytes(enc, recipientPublicKey);
  const eaePrk = await labeledExtract(KEM_SUITE_ID, EMPTY_SALT, 'eae_prk', dh);
  const sharedSecret = await labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, N_SECRET);
  return { sharedSecret, enc };
}

/** Base-mode key schedule (RFC 9180 §5.1) with empty psk and psk_id. */
export async function keySchedule(
  sharedSecret: Uint8Array,
  info: Uint8Array,
): Promise<{ key: Uint8Array; baseNonce: Uint8Array; exporterSecret: Uint8Array }> {
  const empty = new Uint8Array(0);
  const pskIdHash = await labeledExtract(HPKE_SUITE_ID, EMPTY_SALT, 'psk_id_hash', empty);
  const infoHash = await labeledExtract(HPKE_SUITE_ID, EMPTY_SALT, 'info_hash', info);
  const context = concatBytes(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE_ID, sharedSecret, 'secret', empty);
  const [key, baseNonce, exporterSecret] = await Promise.all([
    labeledExpand(HPKE_SUITE_ID, secret, 'key', context, N_KEY),
    labeledExpand(HPKE_SUITE_ID, secret, 'base_nonce', context, N_NONCE),
    labeledExpand(HPKE_SUITE_ID, secret, 'exp', context, HASH_LENGTH),
  ]);
  return { key, baseNonce, exporterSecret };
}

/**
 * Single-shot SealBase(pkR, info, aad, pt): one message, sequence number 0, so the nonce is base_nonce itself.
 * `ephemeral` is injectable for the RFC test vectors; leave it out everywhere else.
 */
export async function sealBase(
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  ephemeral?: EphemeralKeyPair,
): Promise<{ enc: Uint8Array; ciphertext: Uint8Array; exporterSecret: Uint8Array }> {
  const { sharedSecret, enc } = await encapsulate(recipientPublicKey, ephemeral ?? (await generateEphemeralKeyPair()));
  const { key, baseNonce, exporterSecret } = await keySchedule(sharedSecret, info);
  const aesKey = await crypto.subtle.importKey('raw', buf(key), { name: 'AES-GCM' }, false, ['encrypt']);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: buf(baseNonce), additionalData: buf(aad), tagLength: 128 },
      aesKey,
      buf(plaintext),
    ),
  );
  return { enc, ciphertext, exporterSecret };
}
