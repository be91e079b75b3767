import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditResult, Finding } from '@candor/audit';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'candor-audit-'));
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
