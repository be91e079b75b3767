import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { describe, expect, it } from 'vitest';
import { generateX25519KeyPair, HpkeOpenError, HpkeRecipient, sealBase } from './hpke.js';

const hex = (s: string) => Buffer.from(s, 'hex');

// RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode.
const A11 = {
  info: hex('4f6465206f6e2061204772656369616e2055726e'),
  skEm: hex('52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736'),
  skRm: hex('4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8'),
  pkRm: hex('3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d'),
  enc: hex('37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431'),
  sharedSecret: hex('fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc'),
  key: hex('4531685d41d65f03dc48f6b8302c05b0'),
  baseNonce: hex('56d890e5accaaf011cff4b7d'),
  pt: hex('4265617574792069732074727574682c20747275746820626561757479'),
  seq0: {
    aad: hex('436f756e742d30'),
    ct: hex('f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a'),
  },
  seq1: {
    aad: hex('436f756e742d31'),
    ct: hex('af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84'),
  },
};

const suite = () => new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

describe('HPKE open (RFC 9180 A.1.1)', () => {
  it('derives the published public key, shared secret, key and base nonce', () => {
    const recipient = new HpkeRecipient(A11.skRm);
    expect(recipient.publicKey.toString('hex')).toBe(A11.pkRm.toString('hex'));
    const schedule = recipient.setup(A11.enc, A11.info);
    expect(schedule.sharedSecret.toString('hex')).toBe(A11.sharedSecret.toString('hex'));
    expect(schedule.key.toString('hex')).toBe(A11.key.toString('hex'));
    expect(schedule.baseNonce.toString('hex')).toBe(A11.baseNonce.toString('hex'));
  });

  it('opens the published ciphertexts for sequence 0 and 1', () => {
    const recipient = new HpkeRecipient(A11.skRm);
    expect(recipient.open(A11.enc, A11.info, A11.seq0.aad, A11.seq0.ct)).toEqual(A11.pt);
    expect(recipient.open(A11.enc, A11.info, A11.seq1.aad, A11.seq1.ct, 1)).toEqual(A11.pt);
  });

  it('seals exactly the published ciphertext given the published ephemeral key', () => {
    const { enc, ciphertext } = sealBase(A11.pkRm, A11.info, A11.seq0.aad, A11.pt, A11.skEm);
    expect(enc.toString('hex')).toBe(A11.enc.toString('hex'));
    expect(ciphertext.toString('hex')).toBe(A11.seq0.ct.toString('hex'));
  });

  it('rejects a tampered ciphertext, wrong aad, wrong info and a low-order enc', () => {
    const recipient = new HpkeRecipient(A11.skRm);
    const tampered = Buffer.from(A11.seq0.ct);
    tampered[3] = (tampered[3] ?? 0) ^ 1;
    expect(() => recipient.open(A11.enc, A11.info, A11.seq0.aad, tampered)).toThrow(HpkeOpenError);
    expect(() => recipient.open(A11.enc, A11.info, A11.seq1.aad, A11.seq0.ct)).toThrow(HpkeOpenError);
    expect(() => recipient.open(A11.enc, hex('00'), A11.seq0.aad, A11.seq0.ct)).toThrow(HpkeOpenError);
    expect(() => recipient.open(Buffer.alloc(32), A11.info, A11.seq0.aad, A11.seq0.ct)).toThrow(HpkeOpenError);
  });
});

describe('HPKE interoperability with @hpke/core', () => {
  it('opens what @hpke/core seals', async () => {
    const { publicKey, privateKey } = generateX25519KeyPair();
    const s = suite();
    const pk = await s.kem.deserializePublicKey(new Uint8Array(publicKey).buffer);
    const info = new TextEncoder().encode('candor interop');
    const pt = new TextEncoder().encode('{"v":1}');
    const { enc, ct } = await s.seal({ recipientPublicKey: pk, info }, pt.buffer);
    const opened = new HpkeRecipient(privateKey).open(new Uint8Array(enc), info, new Uint8Array(0), new Uint8Array(ct));
    expect(opened.toString()).toBe('{"v":1}');
  });

  it('seals what @hpke/core opens', async () => {
    const { publicKey, privateKey } = generateX25519KeyPair();
    const s = suite();
    const sk = await s.kem.importKey('raw', new Uint8Array(privateKey).buffer, false);
    const info = new TextEncoder().encode('candor interop');
    const aad = new TextEncoder().encode('aad');
    const { enc, ciphertext } = sealBase(publicKey, info, aad, Buffer.from('hello collector'));
    const opened = await s.open(
      { recipientKey: sk, enc: new Uint8Array(enc).buffer, info },
      new Uint8Array(ciphertext).buffer,
      aad.buffer,
    );
    expect(new TextDecoder().decode(opened)).toBe('hello collector');
  });
});
