/**
 * What the conformance collector checks, one rule per duty of docs/protocol.md. Each deviation it reports names
 * one of these rules, so a summary reads as a checklist a team can attach to a review.
 */
export const RULES = {
  'keys.fetched': 'fetches the key configuration (GET /v1/keys) and seals to its first key',
  'upload.content-type': 'POSTs to /v1/reports with content type application/candor-hpke',
  'upload.headers': 'sends no cookie, referer or authorization header with an upload',
  'envelope.framing': 'frames the body as header (7 bytes) || enc (32 bytes) || ciphertext',
  'envelope.suite': 'uses DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM (0x0020, 0x0001, 0x0001)',
  'envelope.key-id': 'names the key id it sealed to, one the collector serves',
  'envelope.opens': 'seals in HPKE base mode with info = "candor report v1" || 0x00 || header and empty aad',
  'envelope.fresh-ephemeral': 'uses a fresh ephemeral key for every seal',
  'compression.gzip': 'gzips the batch JSON before sealing, within the size limits',
  'batch.json': 'the plaintext is UTF-8 JSON',
  'batch.schema': 'the batch and each report match the report schema',
  'report.personal-data': 'no value looks like personal data or an identifier',
  'report.values':
    "each value has its registry shape, stays within its contribution bounds and the report's day is accepted",
  'report.day-ended': "sends a day's report only after that UTC day has ended",
  'report.ids': 'each report id is fresh: unique in the batch, never reused for another report',
  'report.one-per-day': 'one report per app per UTC day',
  'retry.honoured': 'retries a 503 with the same reports, resealed, no sooner than Retry-After',
} as const;

export type Rule = keyof typeof RULES;

/** One way an upload departs from the protocol. Values are never quoted: only where, and what rule. */
export interface Deviation {
  rule: Rule;
  detail: string;
  metric?: string;
  field?: string;
}
