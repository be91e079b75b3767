import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auditFiles, CaptureError, type Finding } from '../src/index.js';

// Real captures, made by the scripts next to them (see their headers): mitmdump 8.1 and tshark 4.0.
const MITM = fileURLToPath(new URL('fixtures/mitm/app-traffic.mitm', import.meta.url));
const PCAP = fileURLToPath(new URL('fixtures/pcap/app-traffic.pcapng', import.meta.url));
const PCAP_NO_KEYS = fileURLToPath(new URL('fixtures/pcap/app-traffic-no-keys.pcapng', import.meta.url));

const tsharkMissing = spawnSync('tshark', ['--version']).error !== undefined;
if (tsharkMissing) {
  const message = 'pcapng tests: tshark is not installed (apt install tshark)';
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n*** SKIPPED: ${message} ***\n`);
}

function kinds(findings: Finding[]): string[] {
  return [...new Set(findings.map((f) => `${f.category}/${f.detector}`))].sort();
}

describe('mitmproxy flow files', () => {
  it('reads HTTP requests and WebSocket messages from a mitmdump -w file', async () => {
    const result = await auditFiles([MITM]);
    expect(result.requests).toBe(5); // a readiness probe, two POSTs, a pixel GET and a WebSocket
    expect(kinds(result.findings)).toEqual(
      expect.arrayContaining([
        'contact/email',
        'platform-id/advertising-id',
        'hardware-id/imei',
        'location/coordinate',
        'browsing-history/url',
        'persistent-id/recurs-across-requests',
      ]),
    );
    const imei = result.findings.find((f) => f.detector === 'imei');
    expect(imei?.decoding).toEqual(['gzip', 'json']);
    const socket = result.findings.find((f) => f.category === 'contact' && f.field.startsWith('ws['));
    expect(socket?.entry).toBe(4);
    expect(result.hosts.map((h) => h.host)).toEqual(['127.0.0.1']);
  });

  it('names the file and the flow when it is cut short or is not a flow file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-mitm-'));
    const cut = join(dir, 'cut.mitm');
    const bytes = await readFile(MITM);
    await writeFile(cut, bytes.subarray(0, bytes.length - 100));
    await expect(auditFiles([cut])).rejects.toThrow(/cut\.mitm: truncated: the file ends inside flow 4/);
    const har = join(dir, 'renamed.flow');
    await writeFile(har, '{"log":{"version":"1.2","entries":[]}}');
    await expect(auditFiles([har])).rejects.toThrow(CaptureError);
    await expect(auditFiles([har])).rejects.toThrow(/not a mitmproxy flow file/);
    // A length prefix claiming 100 GB is refused before anything is allocated for it.
    const huge = join(dir, 'huge.mitm');
    await writeFile(huge, '100000000000:');
    await expect(auditFiles([huge])).rejects.toThrow(/flow 0 is larger than/);
  });
});

describe.skipIf(tsharkMissing)('pcapng through tshark', () => {
  it('decrypts TLS with the embedded key log and reads HTTP/1.1 and HTTP/2 requests', async () => {
    const result = await auditFiles([PCAP]);
    expect(result.requests).toBe(2);
    expect(kinds(result.findings)).toEqual(
      expect.arrayContaining([
        'contact/email',
        'platform-id/advertising-id',
        'hardware-id/imei',
        'location/coordinate',
      ]),
    );
    const email = result.findings.find((f) => f.detector === 'email');
    const imei = result.findings.find((f) => f.detector === 'imei');
    expect(email?.entry).toBe(0); // HTTP/1.1
    expect(imei?.entry).toBe(1); // HTTP/2, headers and data joined
    expect(result.findings.some((f) => f.location === 'header' && f.entry === 1)).toBe(true);
  });

  it('names the file when tshark cannot read it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-pcap-'));
    const junk = join(dir, 'junk.pcapng');
    await writeFile(junk, 'this is not a capture');
    await expect(auditFiles([junk])).rejects.toThrow(/junk\.pcapng: tshark cannot read it/);
  });

  it('says the key log is missing when only encrypted traffic is left', async () => {
    const result = await auditFiles([PCAP_NO_KEYS]);
    expect(result.requests).toBe(0);
    expect(result.warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/no embedded TLS key log/));
  });
});

describe('pcapng without tshark', () => {
  it('says tshark is needed and how to get it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-nopath-'));
    const copy = join(dir, 'capture.pcapng');
    await copyFile(PCAP, copy);
    const path = process.env.PATH;
    process.env.PATH = dir; // a PATH where no tshark can be found
    try {
      await expect(auditFiles([copy])).rejects.toThrow(/needs tshark .*apt install tshark/);
    } finally {
      process.env.PATH = path;
    }
  });
});
