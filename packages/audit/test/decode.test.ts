import { randomBytes } from 'node:crypto';
import { brotliCompressSync, deflateRawSync, gzipSync } from 'node:zlib';
import { auditRequests, type CapturedRequest } from '@candor/audit';
import { expect, describe as group, it } from 'vitest';
import { DEFAULT_LIMITS, DecodeContext, decodeString, type Leaf, parseProtobuf } from '../src/decode/index.js';
import { PERSON, protobuf } from './fixtures/captures.js';

function leavesOf(text: string, limits = DEFAULT_LIMITS): { leaves: Leaf[]; warnings: string[] } {
  const leaves: Leaf[] = [];
  const ctx = new DecodeContext(limits, (leaf) => leaves.push(leaf));
  decodeString(ctx, text, '', []);
  return { leaves, warnings: [...ctx.warnings] };
}

function request(
  entry: number,
  body: CapturedRequest['body'],
  headers: Array<[string, string]> = [],
  url = 'https://t.example/in',
): CapturedRequest {
  return {
    entry,
    file: 'mem.har',
    method: 'POST',
    url,
    headers: headers.map(([name, value]) => ({ name, value })),
    cookies: [],
    body,
    socketMessages: [],
    size: 0,
  };
}

group('decoders record their chain', () => {
  it('unwraps base64url inside hex inside URL encoding inside JSON', () => {
    const inner = Buffer.from(JSON.stringify({ email: PERSON.email })).toString('base64url');
    const hex = Buffer.from(inner).toString('hex');
    const { leaves } = leavesOf(JSON.stringify({ blob: encodeURIComponent(`x=${hex}`) }));
    const email = leaves.find((l) => l.value === PERSON.email);
    expect(email).toEqual({
      field: 'blob.x.email',
      value: PERSON.email,
      decoding: ['json', 'url', 'form', 'hex', expect.stringMatching(/^base64(url)?$/), 'json'],
    });
  });

  it('reads a JWT payload', () => {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: '42', email: PERSON.email })}.c2lnbmF0dXJl`;
    const { leaves } = leavesOf(token);
    expect(leaves.find((l) => l.value === PERSON.email)).toMatchObject({ field: 'payload.email', decoding: ['jwt'] });
  });

  it('reads bodies by content encoding: gzip, deflate, brotli', async () => {
    const json = JSON.stringify({ imei: PERSON.imei });
    const result = await auditRequests([
      request(0, { mimeType: 'application/json', bytes: gzipSync(json) }, [['Content-Encoding', 'gzip']]),
      request(1, { mimeType: 'application/json', bytes: deflateRawSync(json) }, [['Content-Encoding', 'deflate']]),
      request(2, { mimeType: 'application/json', bytes: brotliCompressSync(json) }, [['Content-Encoding', 'br']]),
    ]);
    const imei = result.findings.filter((f) => f.category === 'hardware-id');
    expect(imei.map((f) => `${f.entry}:${f.decoding.join('>')}`)).toEqual([
      '0:gzip>json',
      '1:deflate>json',
      '2:brotli>json',
    ]);
  });

  it('reads a body that declares an encoding it no longer has (mitmproxy decoded it) as stored, and warns', async () => {
    const json = JSON.stringify({ imei: PERSON.imei });
    const result = await auditRequests([
      request(0, { mimeType: 'application/json', text: json }, [['Content-Encoding', 'gzip']]),
      request(1, { mimeType: 'application/json', bytes: Buffer.from(json) }, [['Content-Encoding', 'br']]),
    ]);
    expect(result.findings.filter((f) => f.category === 'hardware-id').map((f) => f.entry)).toEqual([0, 1]);
    expect(result.warnings).toEqual([
      {
        file: 'mem.har',
        entry: 0,
        message: 'request body declared Content-Encoding "gzip" but is not gzip data; read as stored',
      },
      {
        file: 'mem.har',
        entry: 1,
        message: 'request body declared Content-Encoding "br" but is not brotli data; read as stored',
      },
    ]);
  });

  it('reads multipart form data', async () => {
    const boundary = '----candor';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="meta"',
      '',
      JSON.stringify({ android_id: PERSON.androidId }),
      `--${boundary}`,
      'Content-Disposition: form-data; name="log"; filename="log.gz"',
      'Content-Type: application/gzip',
      '',
      '',
    ].join('\r\n');
    const bytes = Buffer.concat([
      Buffer.from(body),
      gzipSync(`contact ${PERSON.email}`),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const result = await auditRequests([request(0, { mimeType: `multipart/form-data; boundary=${boundary}`, bytes })]);
    expect(result.findings.map((f) => `${f.category}|${f.field}|${f.decoding.join('>')}`).sort()).toEqual([
      'contact|log|multipart>gzip',
      'platform-id|meta.android_id|multipart>json',
    ]);
  });

  it('parses the protobuf wire format strictly', () => {
    const bytes = protobuf([
      [1, 'hello'],
      [2, 150],
      [3, protobuf([[1, 'inner']])],
    ]);
    const fields = parseProtobuf(bytes);
    expect(fields?.map((f) => [f.number, f.type])).toEqual([
      [1, 'bytes'],
      [2, 'varint'],
      [3, 'bytes'],
    ]);
    expect(fields?.[1]?.value).toBe(150);
    expect(parseProtobuf(Uint8Array.from([0x08]))).toBeUndefined(); // varint missing
    expect(parseProtobuf(Uint8Array.from([0x0a, 0x05, 0x61]))).toBeUndefined(); // length beyond the end
    expect(parseProtobuf(Uint8Array.from([0x03]))).toBeUndefined(); // field number 0
  });
});

group('bounded: hostile input gives a warning, not a hang', () => {
  it('a zip bomb stops at the output limit', async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024));
    const result = await auditRequests([request(0, { mimeType: 'application/octet-stream', bytes: bomb })], {
      limits: { maxOutputBytes: 1024 * 1024 },
    });
    expect(result.findings).toEqual([]);
    expect(result.warnings.map((w) => w.message)).toEqual([
      `gzip data expands beyond ${1024 * 1024} bytes (possible zip bomb); skipped`,
    ]);
  });

  it('deep JSON nesting stops at the nesting limit', () => {
    const deep = `${'['.repeat(5000)}"${PERSON.email}"${']'.repeat(5000)}`;
    const { leaves, warnings } = leavesOf(deep);
    expect(leaves).toEqual([]);
    expect(warnings).toEqual(['JSON nested deeper than 64 levels; deeper values were not examined']);
  });

  it('base64 wrapped forty times stops at the step limit', () => {
    let text = PERSON.email;
    for (let i = 0; i < 40; i++) text = Buffer.from(text).toString('base64');
    const { warnings } = leavesOf(text);
    expect(warnings).toEqual(['more than 16 nested encodings; deeper layers were not decoded']);
  });
});

group('random and encrypted bytes decode into nothing', () => {
  it('gives no findings for random binary bodies, random base64 and hex tokens', async () => {
    const requests: CapturedRequest[] = [];
    for (let i = 0; i < 300; i++) {
      const size = 1 + ((i * 37) % 1500);
      requests.push(request(requests.length, { mimeType: 'application/octet-stream', bytes: randomBytes(size) }));
      requests.push(
        request(requests.length, {
          mimeType: 'application/json',
          text: JSON.stringify({
            blob: randomBytes(size).toString('base64'),
            id: randomBytes(16).toString('hex'),
            sig: randomBytes(32).toString('base64url'),
            n: randomBytes(6).readUIntBE(0, 6),
          }),
        }),
      );
    }
    const result = await auditRequests(requests);
    expect(result.findings).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});
