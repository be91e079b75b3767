import type { AuditResult } from '../audit.js';

/** Keeps the first and last two characters so a reader can tell findings apart without seeing the value. */
export function maskEvidence(value: string): string {
  const chars = [...value];
  if (chars.length <= 6) return '*'.repeat(chars.length);
  return `${chars.slice(0, 2).join('')}${'*'.repeat(Math.min(chars.length - 4, 16))}${chars.slice(-2).join('')}`;
}

/** A copy of the result with every finding's evidence masked (--redact). */
export function redactResult(result: AuditResult): AuditResult {
  return { ...result, findings: result.findings.map((f) => ({ ...f, evidence: maskEvidence(f.evidence) })) };
}
