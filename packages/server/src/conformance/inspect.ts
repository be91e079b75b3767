import { gunzipSync } from 'node:zlib';
import {
  AEAD_AES_128_GCM,
  ENC_LENGTH,
  HEADER_LENGTH,
  INFO_PREFIX,
  infoFor,
  KDF_HKDF_SHA256,
  KEM_X25519_HKDF_SHA256,
  ReportBatchSchema,
  SEALED_CONTENT_TYPE,
  TAG_LENGTH,
} from '@candor/protocol';
import type { PiiFirewall } from '../firewall/firewall.js';
import { DEFAULT_LIMITS } from '../limits/limits.js';
import { HpkeOpenError, type HpkeRecipient } from '../open/hpke.js';
import type { createRegistryChecker } from '../registry/check.js';
import type { Deviation } from './rules.js';

export interface InspectedUpload {
  deviations: Deviation[];
  /** The envelope's `enc` (hex) when the body was long enough to hold one. */
  enc?: string;
  /** The reports' ids and days, when the batch parsed. */
  reports: { id: string; app: string; day: string }[];
}

const EMPTY = new Uint8Array(0);

/** Common mistakes tried when the envelope does not open, so the deviation can say which one was made. */
function diagnoseOpen(recipient: HpkeRecipient, header: Uint8Array, enc: Uint8Array, ct: Uint8Array): string {
  const prefix = new TextEncoder().encode(INFO_PREFIX);
  const attempts: [string, Uint8Array, Uint8Array][] = [
    ['info is empty', EMPTY, EMPTY],
    ['info lacks the header', prefix, EMPTY],
    ['info lacks the 0x00 separator', Buffer.concat([prefix, header]), EMPTY],
    ['the header was passed as aad instead of in info', EMPTY, header],
    ['the header was passed as aad as well as in info', infoFor(header), header],
  ];
  for (const [mistake, info, aad] of attempts) {
    try {
      recipient.open(enc, info, aad, ct);
      return `it opens when ${mistake}: info must be "${INFO_PREFIX}" || 0x00 || header, aad empty`;
    } catch (error) {
      if (!(error instanceof HpkeOpenError)) throw error;
    }
  }
  return 'authentication failed: check the recipient key, the key schedule (RFC 9180 base mode) and the info bytes';
}

export interface InspectContext {
  keyId: number;
  /** The collector's clock: a report's day must have ended by it. */
  now: () => number;
  recipient: HpkeRecipient;
  firewall: PiiFirewall;
  check: ReturnType<typeof createRegistryChecker>;
}

/**
 * Checks one upload against docs/protocol.md and lists every deviation found, going as far as the upload can be
 * read: headers, framing, suite, key, opening, gzip, JSON, schema, personal data, registry values and bounds.
 * Per-upload rules only; rules across uploads (fresh ephemeral keys, ids, retries) are the session's.
 */
export function inspectUpload(headers: Headers, body: Uint8Array, ctx: InspectContext): InspectedUpload {
  const deviations: Deviation[] = [];
  const reports: InspectedUpload['reports'] = [];
  const done = (enc?: string): InspectedUpload => ({ deviations, reports, ...(enc ? { enc } : {}) });

  const contentType = headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== SEALED_CONTENT_TYPE) {
    deviations.push({ rule: 'upload.content-type', detail: `content type is "${contentType ?? '(none)'}"` });
  }
  for (const name of ['cookie', 'referer', 'authorization']) {
    if (headers.has(name)) deviations.push({ rule: 'upload.headers', detail: `sent a ${name} header` });
  }

  if (body.length < HEADER_LENGTH + ENC_LENGTH + TAG_LENGTH) {
    deviations.push({ rule: 'envelope.framing', detail: `${body.length} bytes is shorter than any envelope` });
    return done();
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const header = body.subarray(0, HEADER_LENGTH);
  const enc = body.subarray(HEADER_LENGTH, HEADER_LENGTH + ENC_LENGTH);
  const encHex = Buffer.from(enc).toString('hex');
  const ciphertext = body.subarray(HEADER_LENGTH + ENC_LENGTH);
  const suite = [view.getUint16(1), view.getUint16(3), view.getUint16(5)];
  if (suite[0] !== KEM_X25519_HKDF_SHA256 || suite[1] !== KDF_HKDF_SHA256 || suite[2] !== AEAD_AES_128_GCM) {
    const shown = suite.map((id) => `0x${id.toString(16).padStart(4, '0')}`).join(', ');
    deviations.push({ rule: 'envelope.suite', detail: `header names kem, kdf, aead ${shown}` });
    return done(encHex);
  }
  if (view.getUint8(0) !== ctx.keyId) {
    deviations.push({
      rule: 'envelope.key-id',
      detail: `key id ${view.getUint8(0)}; the collector serves only key id ${ctx.keyId}`,
    });
    return done(encHex);
  }

  let compressed: Buffer;
  try {
    compressed = ctx.recipient.open(enc, infoFor(header), EMPTY, ciphertext);
  } catch (error) {
    if (!(error instanceof HpkeOpenError)) throw error;
    deviations.push({ rule: 'envelope.opens', detail: diagnoseOpen(ctx.recipient, header, enc, ciphertext) });
    return done(encHex);
  }

  let plaintext: Buffer;
  try {
    plaintext = gunzipSync(compressed, { maxOutputLength: DEFAULT_LIMITS.maxPlaintextBytes });
  } catch (error) {
    const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    const looksLikeJson = compressed[0] === 0x7b;
    deviations.push({
      rule: 'compression.gzip',
      detail: tooLarge
        ? `the batch is larger than ${DEFAULT_LIMITS.maxPlaintextBytes} bytes once decompressed`
        : looksLikeJson
          ? 'the plaintext is JSON, not gzip (RFC 1952) of it'
          : 'the plaintext is not gzip (RFC 1952)',
    });
    return done(encHex);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    deviations.push({ rule: 'batch.json', detail: 'the decompressed plaintext is not UTF-8 JSON' });
    return done(encHex);
  }

  const shape = ReportBatchSchema.safeParse(parsed);
  const candidates = (parsed as { reports?: unknown } | null)?.reports;
  if (Array.isArray(candidates)) {
    for (const r of candidates) {
      const { id, app, day } = (r ?? {}) as Record<string, unknown>;
      if (typeof id === 'string') reports.push({ id, app: String(app), day: String(day) });
    }
  }
  if (!shape.success) {
    for (const issue of shape.error.issues.slice(0, 20)) {
      const path = issue.path[0] === 'reports' ? issue.path.slice(1) : issue.path;
      deviations.push({ rule: 'batch.schema', detail: issue.message, field: path.join('.') });
    }
  }
  const hit = ctx.firewall.scan(parsed);
  if (hit && 'tooDeep' in hit) {
    deviations.push({ rule: 'batch.schema', detail: 'the batch nests deeper than any report' });
    return done(encHex);
  }
  if (hit) {
    deviations.push({
      rule: 'report.personal-data',
      detail: `looks like ${hit.detector}`,
      metric: hit.metric,
      field: hit.field,
    });
  }
  const checked = ctx.check(parsed);
  if (!checked.ok && shape.success) {
    const p = checked.problem;
    const issues = p.errors?.length
      ? p.errors
      : [{ message: p.detail ?? p.title, metric: p.metric ?? '(report)', field: p.field ?? '' }];
    for (const issue of issues) {
      deviations.push({ rule: 'report.values', detail: issue.message, metric: issue.metric, field: issue.field });
    }
  }
  const today = new Date(ctx.now()).toISOString().slice(0, 10);
  for (const [i, r] of reports.entries()) {
    // Plain string order is date order for YYYY-MM-DD; a malformed day is the schema's deviation, not this one.
    if (/^\d{4}-\d{2}-\d{2}$/.test(r.day) && r.day >= today) {
      deviations.push({
        rule: 'report.day-ended',
        detail: `a report for ${r.day}, which has not ended`,
        field: `${i}.day`,
      });
    }
  }
  const ids = reports.map((r) => r.id);
  if (new Set(ids).size !== ids.length) {
    deviations.push({ rule: 'report.ids', detail: 'the same report id appears twice in one batch', field: 'id' });
  }
  return done(encHex);
}
