// The gateway's Oblivious HTTP layer against RFC 9458 Appendix A, and @hpke/core as an independent sender.
import { createDecipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeKeyConfig, encodeKeyConfig, ohttpRequestHeader, ohttpRequestInfo } from '@candor/protocol';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { BHttpDecoder } from 'bhttp-js';
import { describe, expect, it } from 'vitest';
import { HpkeRecipient } from '../open/hpke.js';
import { decapsulateRequest } from './encapsulation.js';

const A = JSON.parse(
  readFileSync(new URL('../../../protocol/vectors/rfc9458-appendix-a.json', import.meta.url), 'utf8'),
) as Record<string, string>;
const v = (name: string) => Buffer.from(A[name] as string, 'hex');
const recipient = new HpkeRecipient(v('skR'));
const recipientFor = (id: number) => (id === 1 ? recipient : undefined);

describe('RFC 9458 Appendix A, gateway side', () => {
  it('holds the public key of the published key configuration', () => {
    const config = decodeKeyConfig(v('keyConfig'));
    expect(recipient.publicKey.toString('hex')).toBe(Buffer.from(config.publicKey).toString('hex'));
    expect(Buffer.from(encodeKeyConfig(config)).toString('hex')).toBe(A.keyConfig);
  });

  it('opens the published encapsulated request to the published binary HTTP request', () => {
    const result = decapsulateRequest(v('encapsulatedRequest'), recipientFor);
    if (!result.ok) throw new Error(result.failure.detail);
    expect(result.opened.keyId).toBe(1);
    expect(result.opened.request.toString('hex')).toBe(A.request);
    const request = new BHttpDecoder().decodeRequest(result.opened.request);
    expect([request.method, request.url]).toEqual(['GET', 'https://example.com/']);
  });

  it('encapsulates the published response to the published bytes, given the published nonce', () => {
    const result = decapsulateRequest(v('encapsulatedRequest'), recipientFor);
    if (!result.ok) throw new Error(result.failure.detail);
    expect(result.opened.respond(v('response'), v('responseNonce')).toString('hex')).toBe(A.encapsulatedResponse);
  });

  it('names an unknown key id, another suite, a short body and a tampered ciphertext apart', () => {
    const wrongKey = v('encapsulatedRequest');
    wrongKey[0] = 9;
    expect(decapsulateRequest(wrongKey, recipientFor)).toMatchObject({ ok: false, failure: { reason: 'key' } });
    const chacha = v('encapsulatedRequest');
    chacha[6] = 3;
    expect(decapsulateRequest(chacha, recipientFor)).toMatchObject({ ok: false, failure: { reason: 'key' } });
    expect(decapsulateRequest(v('encapsulatedRequest').subarray(0, 30), recipientFor)).toMatchObject({
      ok: false,
      failure: { reason: 'malformed' },
    });
    const tampered = v('encapsulatedRequest');
    tampered[50] = (tampered[50] as number) ^ 1;
    expect(decapsulateRequest(tampered, recipientFor)).toMatchObject({ ok: false, failure: { reason: 'decrypt' } });
    // The header is bound into HPKE's info: the same ciphertext under another (known) key id does not open.
    const other = new HpkeRecipient(v('skR'));
    const relabelled = v('encapsulatedRequest');
    relabelled[0] = 2;
    expect(decapsulateRequest(relabelled, (id) => (id === 2 ? other : undefined))).toMatchObject({
      ok: false,
      failure: { reason: 'decrypt' },
    });
  });

  it('opens what @hpke/core seals, and keys the response as @hpke/core exports', async () => {
    const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
    const pkR = await suite.kem.deserializePublicKey(new Uint8Array(recipient.publicKey).buffer);
    const header = ohttpRequestHeader(1);
    const sender = await suite.createSenderContext({
      recipientPublicKey: pkR,
      info: ohttpRequestInfo(header).slice().buffer,
    });
    const plaintext = Buffer.from('a binary HTTP request');
    const sealed = Buffer.concat([header, Buffer.from(sender.enc), Buffer.from(await sender.seal(plaintext))]);
    const result = decapsulateRequest(sealed, recipientFor);
    if (!result.ok) throw new Error(result.failure.detail);
    expect(result.opened.request.toString()).toBe('a binary HTTP request');
    const secret = Buffer.from(await sender.export(Buffer.from('message/bhttp response'), 16));
    const nonce = Buffer.alloc(16, 7);
    const response = result.opened.respond(Buffer.from('ok'), nonce);
    // Recompute the key from @hpke/core's exported secret with node's HKDF and open the response with it.
    const prk = createHmac('sha256', Buffer.concat([Buffer.from(sender.enc), nonce]))
      .update(secret)
      .digest();
    const key = createHmac('sha256', prk).update('key').update(Buffer.of(1)).digest().subarray(0, 16);
    const iv = createHmac('sha256', prk).update('nonce').update(Buffer.of(1)).digest().subarray(0, 12);
    const decipher = createDecipheriv('aes-128-gcm', key, iv);
    decipher.setAuthTag(response.subarray(response.length - 16));
    const opened = Buffer.concat([decipher.update(response.subarray(16, response.length - 16)), decipher.final()]);
    expect(opened.toString()).toBe('ok');
  });
});
