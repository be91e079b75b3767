import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditFiles } from '@candor/audit';
import { describe, expect, it } from 'vitest';
import { HarAppendError, HarAppender } from '../src/har-appender.js';
import { harEntry } from '../src/har-entry.js';

const entry = (n: number) =>
  harEntry({
    method: 'POST',
    url: `https://t.example/collect?n=${n}`,
    httpVersion: '1.1',
    rawHeaders: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify({ email: `user${n}@example.com` })),
    startedAt: new Date(),
  });

describe('the HAR appender', () => {
  it('leaves a complete HAR after every entry, without being closed (as after a crash)', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'candor-har-')), 'live.har');
    const har = await HarAppender.open(path);
    expect(JSON.parse(await readFile(path, 'utf8')).log.entries).toEqual([]);
    await har.append(entry(1));
    await har.append(entry(2));
    // Not closed: what a killed process leaves behind.
    const audit = await auditFiles([path]);
    expect(audit.requests).toBe(2);
    expect(audit.findings.filter((f) => f.category === 'contact').map((f) => f.evidence)).toEqual([
      'user1@example.com',
      'user2@example.com',
    ]);
    await har.close();
  });

  it('continues a capture it wrote, and refuses to write into any other file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-har-'));
    const path = join(dir, 'live.har');
    const first = await HarAppender.open(path);
    await first.append(entry(1));
    await first.close();
    const second = await HarAppender.open(path);
    await second.append(entry(2));
    await second.close();
    expect(
      JSON.parse(await readFile(path, 'utf8')).log.entries.map((e: { request: { url: string } }) => e.request.url),
    ).toEqual(['https://t.example/collect?n=1', 'https://t.example/collect?n=2']);
    const other = join(dir, 'other.har');
    await writeFile(other, '{"log":{"version":"1.2","entries":[]}}');
    await expect(HarAppender.open(other)).rejects.toThrow(HarAppendError);
    expect(await readFile(other, 'utf8')).toBe('{"log":{"version":"1.2","entries":[]}}');
  });

  it('keeps binary bodies as base64 and text as text', () => {
    const binary = harEntry({
      method: 'POST',
      url: 'https://t.example/b',
      httpVersion: '2.0',
      rawHeaders: [[':authority', 't.example']],
      body: new Uint8Array([0xff, 0x00, 0x10]),
      startedAt: new Date(0),
    }) as { request: { postData: { encoding?: string; text: string }; httpVersion: string; headers: unknown[] } };
    expect(binary.request.postData).toMatchObject({ encoding: 'base64', text: '/wAQ' });
    expect(binary.request.httpVersion).toBe('HTTP/2.0');
    expect(binary.request.headers).toEqual([]);
  });
});
