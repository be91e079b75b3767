import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditResult, Finding } from '@candor/audit';
import { afterAll } from 'vitest';

/** A scratch directory removed when the calling test file finishes. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'candor-audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/** A finding as one comparable line: entry|category|detector|location|field|decoding. */
export function describe(finding: Finding): string {
  return [
    finding.entry,
    finding.category,
    finding.detector,
    finding.location,
    finding.field,
    finding.decoding.join('>'),
  ].join('|');
}

export function described(result: AuditResult): string[] {
  return result.findings.map(describe).sort();
}
