/**
 * A fake collector for tests: it serves a real HPKE key config and opens every upload with @hpke/core (an
 * independent HPKE implementation), so what the tests read is exactly what a real collector would.
 */
import { gunzipSync } from 'node:zlib';
import {
  ENC_LENGTH,
  HEADER_LENGTH,
  infoFor,
  type KeyConfig,
  PATHS,
  PROBLEM_UNKNOWN_KEY,
  type ReportBatch,
} from '@candor/protocol';
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';

export const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes128Gcm(),
});

export interface CollectorKey {
  config: KeyConfig;
  privateKey: CryptoKey;
}

export async function makeKey(id: number): Promise<CollectorKey> {
  const pair = await suite.kem.generateKeyPair();
  const raw = new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey));
  const publicKey = Buffer.from(raw).toString('base64url');
  return { config: { id, kem: 0x20, kdf: 1, aead: 1, publicKey }, privateKey: pair.privateKey };
}

export async function openEnvelope(body: Uint8Array, keys: CollectorKey[]): Promise<ReportBatch> {
  const header = body.subarray(0, HEADER_LENGTH);
  const key = keys.find((k) => k.config.id === header[0]);
  if (!key) throw new Error(`no key ${header[0]}`);
  const enc = body.slice(HEADER_LENGTH, HEADER_LENGTH + ENC_LENGTH);
  const ct = body.slice(HEADER_LENGTH + ENC_LENGTH);
  const plaintext = await suite.open(
    { recipientKey: key.privateKey, enc: enc.buffer, info: infoFor(header).slice().buffer },
    ct.buffer,
  );
  return JSON.parse(gunzipSync(new Uint8Array(plaintext)).toString('utf8')) as ReportBatch;
}

export interface CapturedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  keepalive: boolean;
  credentials: string | undefined;
  referrerPolicy: string | undefined;
  signal: AbortSignal | undefined;
}

type Responder = (request: CapturedRequest) => Response | Promise<Response> | 'network-error';

/** An in-process collector reached through an injected `fetch`; every byte the SDK sends is captured. */
export class FakeCollector {
  readonly requests: CapturedRequest[] = [];
  readonly batches: ReportBatch[] = [];
  keys: CollectorKey[] = [];
  /** Key ids the collector still accepts; the others get the unknown-key problem. */
  accepted = new Set<number>();
  /** Overrides the answer to report uploads (after capture), e.g. to fail with 503. */
  uploadResponder: Responder | null = null;

  static async create(): Promise<FakeCollector> {
    const c = new FakeCollector();
    await c.rotate(1);
    return c;
  }

  async rotate(id: number): Promise<void> {
    const key = await makeKey(id);
    this.keys.unshift(key);
    this.accepted.add(id);
  }

  get uploads(): CapturedRequest[] {
    return this.requests.filter((r) => r.url.endsWith(PATHS.reports));
  }

  get reports() {
    return this.batches.flatMap((b) => b.reports);
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const body = init?.body ? new Uint8Array(init.body as Uint8Array) : new Uint8Array(0);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const request: CapturedRequest = {
      method: init?.method ?? 'GET',
      url,
      headers,
      body,
      keepalive: init?.keepalive === true,
      credentials: init?.credentials,
      referrerPolicy: init?.referrerPolicy,
      signal: init?.signal ?? undefined,
    };
    this.requests.push(request);
    if (url.endsWith(PATHS.keys)) {
      // As the real collector answers: the key config may be kept for five minutes.
      return Response.json({ keys: this.keys.map((k) => k.config) }, { headers: { 'cache-control': 'max-age=300' } });
    }
    if (url.endsWith(PATHS.reports)) {
      if (this.uploadResponder) {
        const answer = await this.uploadResponder(request);
        if (answer === 'network-error') throw new TypeError('fetch failed');
        if (answer.status !== 202 && answer.status !== 200) return answer;
      }
      if (!this.accepted.has(body[0] ?? -1)) {
        return Response.json({ type: PROBLEM_UNKNOWN_KEY, title: 'unknown key id', status: 400 }, { status: 400 });
      }
      this.batches.push(await openEnvelope(body, this.keys));
      return new Response(null, { status: 202 });
    }
    return new Response('not found', { status: 404 });
  };
}
