import { encodeHeader, infoFor } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { sealBatchJson } from '../src/seal/envelope.js';
import { gunzip } from '../src/seal/gzip.js';
import { encapsulate, importEphemeralKeyPair, keySchedule, sealBase } from '../src/seal/hpke.js';
import { fromHex, toHex, utf8 } from '../src/util/bytes.js';
import { makeKey, openEnvelope, suite } from './support/collector.js';

/** RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode. */
const A11 = {
  info: '4f6465206f6e2061204772656369616e2055726e',
  skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
  pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
  pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
  skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
  sharedSecret: 'fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc',
  key: '4531685d41d65f03dc48f6b8302c05b0',
  baseNonce: '56d890e5accaaf011cff4b7d',
  exporterSecret: '45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8',
  // sequence 0
  aad: '436f756e742d30',
  pt: '4265617574792069732074727574682c20747275746820626561757479',
  ct: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
};

describe('HPKE seal on WebCrypto', () => {
  const ephemeral = () => importEphemeralKeyPair(fromHex(A11.skEm), fromHex(A11.pkEm));

  it('encapsulates to the RFC 9180 A.1.1 shared secret', async () => {
    const { sharedSecret, enc } = await encapsulate(fromHex(A11.pkRm), await ephemeral());
    expect(toHex(enc)).toBe(A11.pkEm);
    expect(toHex(sharedSecret)).toBe(A11.sharedSecret);
  });

  it('derives the A.1.1 key, base nonce and exporter secret', async () => {
    const ks = await keySchedule(fromHex(A11.sharedSecret), fromHex(A11.info));
    expect(toHex(ks.key)).toBe(A11.key);
    expect(toHex(ks.baseNonce)).toBe(A11.baseNonce);
    expect(toHex(ks.exporterSecret)).toBe(A11.exporterSecret);
  });

  it('seals the A.1.1 sequence-0 message to the published ciphertext', async () => {
    const { enc, ciphertext } = await sealBase(
      fromHex(A11.pkRm),
      fromHex(A11.info),
      fromHex(A11.aad),
      fromHex(A11.pt),
      await ephemeral(),
    );
    expect(toHex(enc)).toBe(A11.pkEm);
    expect(toHex(ciphertext)).toBe(A11.ct);
  });

  it('uses a fresh ephemeral key for every seal', async () => {
    const pk = fromHex(A11.pkRm);
    const a = await sealBase(pk, new Uint8Array(0), new Uint8Array(0), utf8('same'));
    const b = await sealBase(pk, new Uint8Array(0), new Uint8Array(0), utf8('same'));
    expect(toHex(a.enc)).not.toBe(toHex(b.enc));
    expect(toHex(a.ciphertext)).not.toBe(toHex(b.ciphertext));
  });

  it('refuses a recipient key of the wrong length', async () => {
    await expect(sealBase(new Uint8Array(31), new Uint8Array(0), new Uint8Array(0), utf8('x'))).rejects.toThrow(
      /32 bytes/,
    );
  });

  it('is opened by @hpke/core (an independent implementation)', async () => {
    const pair = await suite.kem.generateKeyPair();
    const pk = new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey));
    const info = utf8('candor test info');
    const aad = utf8('aad');
    const { enc, ciphertext } = await sealBase(pk, info, aad, utf8('private statistics'));
    const opened = await suite.open(
      { recipientKey: pair.privateKey, enc: enc.slice().buffer, info: info.slice().buffer },
      ciphertext.slice().buffer,
      aad.slice().buffer,
    );
    expect(new TextDecoder().decode(opened)).toBe('private statistics');
  });
});

describe('sealed envelope', () => {
  it('frames header || enc || ciphertext, binds the header into info, and gzips the JSON', async () => {
    const key = await makeKey(7);
    const json = JSON.stringify({ v: 1, reports: [] });
    const body = await sealBatchJson(json, key.config);
    expect(toHex(body.subarray(0, 7))).toBe(toHex(encodeHeader(7)));
    expect(body.length).toBeGreaterThan(7 + 32 + 16);
    expect(await openEnvelope(body, [key])).toEqual({ v: 1, reports: [] });
    // The plaintext is gzip: opening by hand and gunzipping through the SDK's own helper gives the JSON back.
    const plaintext = await suite.open(
      {
        recipientKey: key.privateKey,
        enc: body.slice(7, 39).buffer,
        info: infoFor(body.subarray(0, 7)).slice().buffer,
      },
      body.slice(39).buffer,
    );
    expect(new TextDecoder().decode(await gunzip(new Uint8Array(plaintext)))).toBe(json);
  });

  it('fails to open when the key id in the header is swapped', async () => {
    const key = await makeKey(3);
    const body = await sealBatchJson('{"v":1}', key.config);
    const tampered = body.slice();
    tampered[0] = 4;
    const other = { ...key, config: { ...key.config, id: 4 } };
    await expect(openEnvelope(tampered, [other])).rejects.toThrow();
  });

  it('rejects a key config with another suite', async () => {
    const key = await makeKey(1);
    await expect(sealBatchJson('{}', { ...key.config, aead: 3 })).rejects.toThrow(/unsupported HPKE suite/);
  });
});

describe('stored gzip for page hide', () => {
  it('is valid gzip that any gunzip reads, across several 64 KiB blocks', async () => {
    const { gunzipSync } = await import('node:zlib');
    const { gzipStored } = await import('../src/seal/gzip.js');
    for (const size of [0, 1, 65_535, 65_536, 200_000]) {
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = (i * 31) & 0xff;
      expect(Buffer.compare(gunzipSync(gzipStored(data)), Buffer.from(data))).toBe(0);
    }
  });
});
