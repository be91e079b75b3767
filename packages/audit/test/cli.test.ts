import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AuditResult, runAudit } from '@candor/audit';
import { expect, describe as group, it } from 'vitest';
import { cleanCapture, miuiCapture, PERSON, privateModeCapture } from './fixtures/captures.js';
import { tempDir, writeJson } from './helpers.js';

const dir = tempDir();
const miui = writeJson(dir, 'miui.har', miuiCapture());
const clean = writeJson(dir, 'clean.har', cleanCapture());
const privateMode = writeJson(dir, 'private.har', privateModeCapture());

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAudit(argv, { stdout: (t) => (out += `${t}\n`), stderr: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

group('candor audit', () => {
  it('prints a summary naming each leak, where it went and how it was hidden', async () => {
    const { code, out } = await run([miui]);
    expect(code).toBe(0);
    expect(out).toContain('4 finding(s): 1 critical, 0 high, 3 medium, 0 low');
    expect(out).toContain('miui.com: 1 request(s) to tracking.intl.miui.com');
    expect(out).toMatch(
      /CRITICAL hardware-id\/imei .* miui\.har#0 tracking\.intl\.miui\.com body:value\.imei via form > base64 > json/,
    );
    expect(out).toContain(PERSON.imei);
  });

  it('says so when nothing was found', async () => {
    const { code, out } = await run([clean]);
    expect(code).toBe(0);
    expect(out).toContain('No findings');
  });

  it('--json gives the versioned schema with every required finding field', async () => {
    const { out } = await run([miui, '--json']);
    const result = JSON.parse(out) as AuditResult;
    expect(result.schema).toBe('candor-audit/1');
    expect(result.requests).toBe(1);
    const imei = result.findings.find((f) => f.detector === 'imei');
    expect(imei).toEqual({
      category: 'hardware-id',
      severity: 'critical',
      detector: 'imei',
      file: miui,
      entry: 0,
      host: 'tracking.intl.miui.com',
      domain: 'miui.com',
      location: 'body',
      field: 'value.imei',
      decoding: ['form', 'base64', 'json'],
      evidence: PERSON.imei,
    });
    expect(result.domains[0]).toMatchObject({
      domain: 'miui.com',
      categories: { 'hardware-id': 1, 'app-activity': 2, 'device-fingerprint': 1 },
    });
  });

  it('--redact masks evidence everywhere', async () => {
    const { out } = await run([miui, '--json', '--redact']);
    expect(out).not.toContain(PERSON.imei);
    const result = JSON.parse(out) as AuditResult;
    expect(result.findings.find((f) => f.detector === 'imei')?.evidence).toBe('49***********18');
    const text = await run([miui, '--redact']);
    expect(text.out).not.toContain(PERSON.imei);
  });

  it('--known finds a value given on the command line', async () => {
    const { out } = await run([privateMode, '--json', '--known', 'diary=example.org/private/diary']);
    const result = JSON.parse(out) as AuditResult;
    expect(result.findings.find((f) => f.category === 'known-value')).toMatchObject({
      field: 'events[0].url',
      note: 'diary (plain)',
    });
  });

  it('--fail-on sets the exit code', async () => {
    expect((await run([miui, '--fail-on', 'critical'])).code).toBe(1);
    expect((await run([privateMode, '--fail-on', 'critical'])).code).toBe(0);
    expect((await run([privateMode, '--fail-on', 'high'])).code).toBe(1);
    expect((await run([clean, '--fail-on', 'low'])).code).toBe(0);
  });

  it('--html writes a self-contained report with a chart per destination', async () => {
    const html = join(dir, 'report.html');
    const { code, err } = await run([miui, privateMode, clean, '--html', html]);
    expect(code).toBe(0);
    expect(err).toContain(`HTML report written to ${html}`);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing loaded from elsewhere
    expect(page).toContain('Chart.js'); // the inlined library's banner
    expect(page.match(/<canvas id="chart-\d+"/g)).toHaveLength(2); // miui.com and browser.example had findings
    const data = JSON.parse(
      /<script id="chart-data" type="application\/json">(.*?)<\/script>/s.exec(page)?.[1] ?? '[]',
    );
    expect(data.map((c: { domain: string }) => c.domain).sort()).toEqual(['browser.example', 'miui.com']);
  });

  it('rejects bad usage with exit code 2 and the usage text', async () => {
    for (const argv of [[], [miui, '--fail-on', 'severe'], [miui, '--known', 'novalue'], [miui, '--bogus']]) {
      const { code, err } = await run(argv);
      expect(code).toBe(2);
      expect(err).toContain('usage: candor audit FILE...');
    }
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--fail-on SEVERITY');
  });

  it('names the file and place when a capture is unreadable', async () => {
    const bad = writeJson(dir, 'bad.har', { log: { version: '0.9', entries: [] } });
    const { code, err } = await run([miui, bad]);
    expect(code).toBe(2);
    expect(err).toMatch(
      /candor audit: .*bad\.har: unsupported HAR version "0\.9"; expected 1\.1 or 1\.2 \(at byte \d+\)/,
    );
  });
});

group('the JSON report schema', () => {
  it('real output of every fixture matches candor-audit/1', async () => {
    const { AuditReportSchema } = await import('@candor/audit');
    const { out } = await run([miui, clean, privateMode, '--json', '--known', 'x=open_folder']);
    const parsed = AuditReportSchema.parse(JSON.parse(out));
    expect(parsed.findings.length).toBeGreaterThan(0);
  });

  it('docs/audit-report.schema.json is the schema the code enforces', async () => {
    const { auditJsonSchema } = await import('@candor/audit');
    const file = new URL('../../../docs/audit-report.schema.json', import.meta.url);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(auditJsonSchema());
  });
});
