import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { auditFiles, CaptureError, readHar } from '@candor/audit';
import { expect, describe as group, it } from 'vitest';
import { splitHarEntries } from '../src/capture/entry-splitter.js';
import { MIUI_FINDINGS, miuiCapture, PERSON } from './fixtures/captures.js';
import { described, tempDir, writeJson } from './helpers.js';

const dir = tempDir();

function writeText(name: string, text: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function* chunksOf(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(text: string, size: number): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of splitHarEntries(chunksOf(text, size), 'x.har'))
    for (const entry of batch) out.push(entry.json);
  return out;
}

group('HAR variants', () => {
  const expectedMiui = [...MIUI_FINDINGS].sort();

  it('reads HAR 1.1 (Firefox before 46, WebPageTest) like 1.2', async () => {
    const file = writeText('ff45.har', JSON.stringify(miuiCapture()).replace('"version":"1.2"', '"version":"1.1"'));
    const result = await auditFiles([file]);
    expect(described(result)).toEqual(expectedMiui);
    expect(result.warnings).toEqual([]);
  });

  it('reads a HAR that starts with a UTF-8 byte order mark', async () => {
    const file = writeText(
      'bom.har',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(miuiCapture()))]),
    );
    expect(described(await auditFiles([file]))).toEqual(expectedMiui);
  });

  it('reads entries without optional fields, and a log without a version with a warning', async () => {
    const email = encodeURIComponent(PERSON.email);
    const file = writeJson(dir, 'bare.har', {
      log: { entries: [{ request: { url: `https://t.example/collect?email=${email}` } }] },
    });
    const result = await auditFiles([file]);
    expect(described(result)).toEqual(['0|contact|email|query|email|']);
    expect(result.warnings).toEqual([{ file, message: '"log.version" is missing; read as HAR 1.2' }]);
  });

  it('reads a .zhar (zlib-compressed mitmproxy export) and a gzip file like the plain HAR', async () => {
    const json = JSON.stringify(miuiCapture());
    const zhar = writeText('miui.zhar', deflateSync(json));
    const gz = writeText('miui.har.gz', gzipSync(json));
    for (const file of [zhar, gz]) expect(described(await auditFiles([file]))).toEqual([...MIUI_FINDINGS].sort());
  });

  it('reads a browser devtools export: pages, parsed params, bracketed IPv6 server address', async () => {
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        pages: [
          {
            startedDateTime: '2026-11-22T02:00:00.000Z',
            id: 'page_1',
            title: 'https://shop.example/',
            pageTimings: {},
          },
        ],
        entries: [
          {
            _initiator: { type: 'script' },
            _priority: 'High',
            _resourceType: 'xhr',
            cache: {},
            pageref: 'page_1',
            request: {
              method: 'POST',
              url: 'https://analytics.example.com/collect?v=2&tid=G-ABC123',
              httpVersion: 'http/2.0',
              headers: [
                { name: ':authority', value: 'analytics.example.com' },
                { name: 'content-type', value: 'application/x-www-form-urlencoded' },
                { name: 'referer', value: 'https://shop.example/checkout?step=2' },
              ],
              queryString: [],
              cookies: [],
              headersSize: -1,
              bodySize: 80,
              postData: {
                mimeType: 'application/x-www-form-urlencoded',
                text: 'dl=https%3A%2F%2Fshop.example%2Forders%2F991&uid=jane_d',
                params: [],
              },
            },
            response: {
              status: 204,
              statusText: '',
              httpVersion: 'http/2.0',
              headers: [],
              cookies: [],
              content: { size: 0, mimeType: 'x-unknown' },
              redirectURL: '',
              headersSize: -1,
              bodySize: 0,
            },
            serverIPAddress: '[2a00:1450:4001:80b::200e]',
            startedDateTime: '2026-11-22T02:00:01.000Z',
            time: 31,
            timings: { blocked: 1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 30, receive: 0 },
          },
        ],
      },
    };
    const result = await auditFiles([writeJson(dir, 'devtools.har', har)]);
    expect(described(result)).toEqual([
      '0|account-id|account-field|body|uid|form',
      // The page is https://shop.example/, so the Referer names one of its pages to a third party.
      '0|browsing-history|referer|header|referer|',
      '0|browsing-history|url|body|dl|form',
    ]);
    expect(result.hosts[0]?.addresses).toEqual(['2a00:1450:4001:80b::200e']);
  });

  it('reads an HTTP Toolkit export: binary bodies in _content, WebSocket messages sent', async () => {
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'HTTP Toolkit', version: '1.19.0' },
        entries: [
          {
            startedDateTime: '2026-11-22T02:00:00.000Z',
            time: 5,
            request: {
              method: 'POST',
              url: 'https://upload.example.com/v1/blob',
              httpVersion: 'HTTP/1.1',
              headers: [{ name: 'content-type', value: 'application/octet-stream' }],
              queryString: [],
              cookies: [],
              headersSize: -1,
              bodySize: 40,
              _requestBodyStatus: 'discarded:not-representable',
              _content: {
                text: Buffer.from(gzipSync(JSON.stringify({ imei: PERSON.imei }))).toString('base64'),
                size: 40,
                encoding: 'base64',
              },
            },
            response: {
              status: 200,
              statusText: 'OK',
              httpVersion: 'HTTP/1.1',
              headers: [],
              cookies: [],
              content: { size: 0, mimeType: 'text/plain', text: '' },
              redirectURL: '',
              headersSize: -1,
              bodySize: 0,
            },
            cache: {},
            timings: { send: 0, wait: 5, receive: 0 },
          },
          {
            startedDateTime: '2026-11-22T02:00:01.000Z',
            time: 5,
            _resourceType: 'websocket',
            _webSocketMessages: [
              { type: 'receive', opcode: 1, data: '{"hello":"jane.doe@example.org"}', time: 1 },
              {
                type: 'send',
                opcode: 1,
                data: JSON.stringify({ op: 'hello', contact: { mail: PERSON.email } }),
                time: 2,
              },
            ],
            request: {
              method: 'GET',
              url: 'wss://chat.example.com/socket',
              httpVersion: 'HTTP/1.1',
              headers: [],
              queryString: [],
              cookies: [],
              headersSize: -1,
              bodySize: 0,
            },
            response: {
              status: 101,
              statusText: 'Switching Protocols',
              httpVersion: 'HTTP/1.1',
              headers: [],
              cookies: [],
              content: { size: 0, mimeType: 'text/plain' },
              redirectURL: '',
              headersSize: -1,
              bodySize: 0,
            },
            cache: {},
            timings: { send: 0, wait: 5, receive: 0 },
          },
        ],
      },
    };
    const result = await auditFiles([writeJson(dir, 'httptoolkit.har', har)]);
    // Only what the app sent counts: the received message with an address is not a leak by this app.
    expect(described(result)).toEqual([
      '0|hardware-id|imei|body|imei|gzip>json',
      '1|contact|email|body|ws[0].contact.mail|json',
    ]);
  });

  it('skips entries that never reached the network (data:, blob:, about:)', async () => {
    const local = (url: string) => ({ request: { method: 'GET', url, headers: [] } });
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'WebInspector', version: '537.36' },
        entries: [
          local(`data:text/plain;base64,${Buffer.from(PERSON.email).toString('base64')}`),
          local('blob:https://shop.example/0b9f6a1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b'),
          local('about:blank'),
        ],
      },
    };
    const result = await auditFiles([writeJson(dir, 'local.har', har)]);
    expect(result.requests).toBe(3);
    expect(result.findings).toEqual([]);
    expect(result.hosts).toEqual([]);
  });

  it('reads cookies from the Cookie header when the capture did not parse them', async () => {
    const har = miuiCapture();
    const request = (har.log.entries[0] as { request: { headers: Array<{ name: string; value: string }> } }).request;
    request.headers.push({ name: 'Cookie', value: `session=abc; mi_uid=${PERSON.email}` });
    const result = await auditFiles([writeJson(dir, 'cookie.har', har)]);
    expect(described(result)).toContain('0|contact|email|cookie|mi_uid|');
  });
});

group('the entry scanner', () => {
  const tricky = JSON.stringify({
    log: {
      version: '1.2',
      creator: { name: 'x "quoted" \\ name', version: '1' },
      comment: 'braces } ] { [ and "quotes"',
      entries: [
        {
          request: { method: 'GET', url: 'https://a.example/}', headers: [{ name: 'x', value: '\\"}]\\\\' }] },
          response: { status: 200, content: { text: '{"response": [1, "}\\\\"]}' } },
          serverIPAddress: '10.0.0.1',
        },
        {
          request: {
            method: 'POST',
            url: 'https://b.example/',
            postData: { mimeType: 'text/plain', text: '{"a":[1,2,{"b":"\\\\"}]}' },
          },
        },
        { request: { method: 'GET', url: 'https://c.example/\u00e9\u4e2d' } },
      ],
    },
  });
  // Responses are left out (replaced by null): only what the app sent is audited.
  const expected = (JSON.parse(tricky) as { log: { entries: Array<Record<string, unknown>> } }).log.entries.map((e) =>
    'response' in e ? { ...e, response: null } : e,
  );

  it.each([1, 2, 3, 7, 64, 1 << 20])('splits entries identically with %i-byte chunks', async (size) => {
    const entries = await collect(tricky, size);
    expect(entries.map((e) => JSON.parse(e))).toEqual(expected);
  });

  it('reports entry offsets in bytes', async () => {
    const out = [];
    for await (const batch of splitHarEntries(chunksOf(tricky, 5), 'x.har')) out.push(...batch);
    for (const entry of out)
      expect(
        Buffer.from(tricky)
          .subarray(entry.offset, entry.offset + 1)
          .toString(),
      ).toBe('{');
  });
});

group('bad input gets an error naming the file and where it broke', () => {
  const good = JSON.stringify(miuiCapture());

  async function failure(file: string): Promise<CaptureError> {
    try {
      for await (const _ of readHar(file)) {
        // drain
      }
    } catch (error) {
      if (error instanceof CaptureError) return error;
      throw error;
    }
    throw new Error('expected a CaptureError');
  }

  it('not JSON at all', async () => {
    const file = writeText('notes.txt', 'hello, this is not a capture');
    const error = await failure(file);
    expect(error.message).toBe(`${file}: not a HAR file: it does not start with a JSON object (at byte 0)`);
  });

  it('an empty file', async () => {
    const file = writeText('empty.har', '');
    expect((await failure(file)).message).toContain('not a HAR file: it is empty');
  });

  it('JSON that is not a HAR', async () => {
    const file = writeText('package.json', '{"name":"x","version":"1.0.0"}');
    expect((await failure(file)).message).toBe(`${file}: not a HAR file: no "log" with "version" and "entries"`);
  });

  it('an unknown HAR version', async () => {
    const file = writeText('future.har', good.replace('"version":"1.2"', '"version":"3.0"'));
    const error = await failure(file);
    expect(error.message).toMatch(/future\.har: unsupported HAR version "3\.0"; expected 1\.1 or 1\.2 \(at byte \d+\)/);
  });

  it('a truncated file, naming the entry it ends inside', async () => {
    const two = JSON.stringify({
      log: { ...miuiCapture().log, entries: [...miuiCapture().log.entries, ...miuiCapture().log.entries] },
    });
    const cut = two.slice(0, two.length - 200);
    const file = writeText('cut.har', cut);
    const error = await failure(file);
    expect(error.message).toMatch(
      /cut\.har: truncated: the file ends inside an entry that began at byte \d+ \(at log\.entries\[1\], byte \d+\)/,
    );
    expect(error.where.entry).toBe(1);
    expect(error.where.byte).toBe(Buffer.byteLength(cut));
  });

  it('an entry that is not valid JSON', async () => {
    const text =
      '{"log":{"version":"1.2","entries":[{"request":{"method":"GET","url":"https://a.example/"}},{"request":{"method":GET}}]}}';
    const file = writeText('badentry.har', text);
    const error = await failure(file);
    expect(error.message).toMatch(/badentry\.har: an entry is not valid JSON: .* \(at log\.entries\[1\], byte \d+\)/);
    expect(error.where.byte).toBe(text.lastIndexOf('{"request"'));
  });

  it('an entry without a request', async () => {
    const file = writeText('noreq.har', '{"log":{"version":"1.2","entries":[{"response":{}}]}}');
    expect((await failure(file)).message).toContain('an entry has no "request" object (at log.entries[0], byte 35)');
  });

  it('a corrupt .zhar', async () => {
    const compressed = deflateSync(good);
    const file = writeText('broken.zhar', compressed.subarray(0, Math.floor(compressed.length / 2)));
    expect((await failure(file)).message).toMatch(/broken\.zhar: compressed data ends early \(truncated \.zhar\)/);
  });

  it('a missing file', async () => {
    expect((await failure(join(dir, 'nope.har'))).message).toContain('nope.har: cannot be read: ENOENT');
  });
});
