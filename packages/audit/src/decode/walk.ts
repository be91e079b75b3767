import { type Compression, decompress, sniffCompression } from './compression.js';
import type { DecodeContext } from './context.js';
import { multipartBoundary, parseMultipart } from './multipart.js';
import { parseProtobuf } from './protobuf.js';
import { asPrintableText, entropy } from './text.js';

/** Values are examined whole up to this size; longer text is still decoded but handed to detectors clipped. */
const MAX_LEAF_CHARS = 64 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
/** Base64 padded with dots instead of "=" (reCAPTCHA's "co" parameter). */
const DOT_PADDED_BASE64 = /^[A-Za-z0-9+/_-]{6,}\.{1,2}$/;
const HEX = /^[0-9a-fA-F]+$/;
const JWT = /^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const PERCENT = /%[0-9A-Fa-f]{2}/;
const FORM_PAIR = /^[\w.$[\]-]+=[^&\s]*$/;
const FORM_KEY = /^[\w.$[\]%-]+$/;
/** An absolute URL is examined as one value (its query included), never taken apart as a form. */
const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

function join(field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`;
}

function push(chain: string[], step: string): string[] {
  return [...chain, step];
}

function tooDeep(ctx: DecodeContext, chain: string[]): boolean {
  if (chain.length < ctx.limits.maxSteps) return false;
  ctx.warn(`more than ${ctx.limits.maxSteps} nested encodings; deeper layers were not decoded`);
  return true;
}

/**
 * A string: unwrapped by every encoding it plausibly carries. It is handed to the detectors as it is unless it
 * was fully unwrapped into something else (JSON, a form, a JWT, URL-decoded or base64/hex text), so one value is
 * not reported twice.
 */
export function decodeString(ctx: DecodeContext, text: string, field: string, chain: string[]): void {
  const unwrapped = unwrapString(ctx, text, field, chain);
  if (unwrapped !== true) {
    const value = text.length > MAX_LEAF_CHARS ? text.slice(0, MAX_LEAF_CHARS) : text;
    ctx.emit({ field, value, decoding: chain, ...(unwrapped === 'protobuf' ? { structured: true } : {}) });
    if (text.includes('://') && ABSOLUTE_URL.test(text)) decodeUrlParts(ctx, text, field, chain);
  }
}

/**
 * A URL carried as a value is examined whole (it names a page) and its parts are examined too: a page address
 * can carry an e-mail or an id in its own query or fragment ("dl=https://shop/register?email=...").
 */
export function decodeUrlParts(ctx: DecodeContext, text: string, field: string, chain: string[]): void {
  if (tooDeep(ctx, chain)) return;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return;
  }
  const next = push(chain, 'url-query');
  for (const [name, value] of url.searchParams) if (value !== '') decodeString(ctx, value, join(field, name), next);
  const fragment = url.hash.slice(1);
  if (fragment.includes('=') && looksLikeForm(fragment)) decodeForm(ctx, fragment, field, push(chain, 'url-fragment'));
}

/** "name=value; name2=value2": a cookie jar copied into a value (Google Analytics' utmcc, consent strings). */
const COOKIE_JAR = /^\s*[\w.$-]+=[^;=]*(?:;[\s+]*[\w.$-]+=[^;]*)+;?\s*$/;

function decodeCookieJar(ctx: DecodeContext, text: string, field: string, chain: string[]): void {
  const next = push(chain, 'cookie');
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair
      .slice(0, eq)
      .replace(/^[\s+]+/, '')
      .trim();
    decodeString(ctx, pair.slice(eq + 1).trim(), join(field, name), next);
  }
}

/** true when the text was fully unwrapped into something else; 'protobuf' when its bytes held a message. */
function unwrapString(ctx: DecodeContext, text: string, field: string, chain: string[]): boolean | 'protobuf' {
  if (text.length < 4 || tooDeep(ctx, chain)) return false;
  const first = text.charCodeAt(0);
  const trimmed = first === 0x20 || first === 0x0a || first === 0x0d || first === 0x09 ? text.trim() : text;
  const lead = trimmed[0];
  if (lead === '{' || lead === '[') {
    const parsed = tryJson(trimmed);
    if (parsed !== undefined && typeof parsed === 'object') {
      walkJson(ctx, parsed, field, push(chain, 'json'), 0);
      return true;
    }
  }
  if (lead === 'e' && JWT.test(trimmed)) return decodeJwt(ctx, trimmed, field, chain);
  if (ABSOLUTE_URL.test(trimmed)) return false;
  const hasEquals = trimmed.includes('=');
  if (hasEquals && trimmed.includes(';') && COOKIE_JAR.test(trimmed)) {
    decodeCookieJar(ctx, trimmed, field, chain);
    return true;
  }
  if (hasEquals && looksLikeForm(trimmed)) {
    decodeForm(ctx, trimmed, field, chain);
    return true;
  }
  if (hasEquals && trimmed.includes('\n') && decodeFormLines(ctx, trimmed, field, chain)) return true;
  if (PERCENT.test(trimmed)) {
    let unescaped: string | undefined;
    try {
      unescaped = decodeURIComponent(trimmed.replace(/\+/g, ' '));
    } catch {
      unescaped = undefined;
    }
    if (unescaped !== undefined && unescaped !== trimmed) {
      decodeString(ctx, unescaped, field, push(chain, 'url'));
      return true;
    }
  }
  if (trimmed.length < 8) return false;
  if (trimmed.length >= 16 && trimmed.length % 2 === 0 && HEX.test(trimmed)) {
    // Hex is only unwrapped when it holds text; hashes and random ids stay as they are.
    return decodeBytes(ctx, Buffer.from(trimmed, 'hex'), field, push(chain, 'hex'), undefined, true) === 'text';
  }
  if (BASE64.test(trimmed) && (trimmed.length % 4 === 0 || !hasEquals))
    return unwrapped(decodeBytes(ctx, Buffer.from(trimmed, 'base64'), field, push(chain, 'base64'), undefined, true));
  if (BASE64URL.test(trimmed))
    return unwrapped(
      decodeBytes(ctx, Buffer.from(trimmed, 'base64url'), field, push(chain, 'base64url'), undefined, true),
    );
  if (DOT_PADDED_BASE64.test(trimmed))
    return unwrapped(
      decodeBytes(
        ctx,
        Buffer.from(trimmed.replace(/\.+$/, ''), 'base64url'),
        field,
        push(chain, 'base64'),
        undefined,
        true,
      ),
    );
  return false;
}

function unwrapped(outcome: BytesOutcome): boolean | 'protobuf' {
  return outcome === 'text' ? true : outcome === 'protobuf' ? 'protobuf' : false;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function looksLikeForm(text: string): boolean {
  // Base64 padding ("...==") is not a form; a form has key=value pairs joined by "&".
  if (!text.includes('&')) {
    // One pair: its key must read as a name, not as the random head of a token ("IDXL0vH3...NE=.UsRnv6").
    const eq = text.indexOf('=');
    return eq > 0 && eq <= 24 && eq < text.length - 1 && !text.endsWith('=') && FORM_PAIR.test(text);
  }
  const pairs = text.split('&');
  let named = 0;
  for (const pair of pairs) {
    if (pair === '') continue;
    if (/\s/.test(pair)) return false;
    const eq = pair.indexOf('=');
    if (eq > 0 && FORM_KEY.test(pair.slice(0, eq))) named++;
  }
  return named > 0 && named >= pairs.length / 2;
}

/** Beacons that batch several form-encoded hits, one per line (Google Analytics' /batch, sendBeacon text/plain). */
function decodeFormLines(ctx: DecodeContext, text: string, field: string, chain: string[]): boolean {
  const lines = text.split(/\r?\n/).filter((line) => line !== '');
  if (lines.length < 2 || !lines.every((line) => line.includes('=') && looksLikeForm(line))) return false;
  lines.forEach((line, i) => {
    decodeForm(ctx, line, `${field}[${i}]`, chain);
  });
  return true;
}

export function decodeForm(ctx: DecodeContext, text: string, field: string, chain: string[]): void {
  const next = push(chain, 'form');
  for (const [name, value] of new URLSearchParams(text)) decodeString(ctx, value, join(field, name), next);
}

function decodeJwt(ctx: DecodeContext, token: string, field: string, chain: string[]): boolean {
  const [header, payload] = token.split('.');
  const next = push(chain, 'jwt');
  let decoded = false;
  for (const [part, name] of [
    [header, 'header'],
    [payload, 'payload'],
  ] as const) {
    const json = tryJson(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    if (json !== undefined) {
      walkJson(ctx, json, join(field, name), next, 0);
      decoded = true;
    }
  }
  return decoded;
}

export function walkJson(ctx: DecodeContext, value: unknown, field: string, chain: string[], nesting: number): void {
  if (nesting > ctx.limits.maxNesting) {
    ctx.warn(`JSON nested deeper than ${ctx.limits.maxNesting} levels; deeper values were not examined`);
    return;
  }
  if (typeof value === 'string') decodeString(ctx, value, field, chain);
  else if (typeof value === 'number') ctx.emit({ field, value: String(value), decoding: chain, jsonNumber: true });
  else if (typeof value === 'boolean') ctx.emit({ field, value: String(value), decoding: chain });
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) walkJson(ctx, value[i], `${field}[${i}]`, chain, nesting + 1);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = join(field, key);
      // A key can be data too: maps keyed by e-mail address, URL or id ({"a@b.example": {...}}).
      if (keyMayBeData(key)) ctx.emit({ field: `${path}.(key)`, value: key, decoding: chain });
      walkJson(ctx, child, path, chain, nesting + 1);
    }
  }
}

/** Keys worth examining as values: ones holding an "@" or a URL. Field names never do. */
function keyMayBeData(key: string): boolean {
  return key.length >= 6 && (key.includes('@') || key.includes('://'));
}

/**
 * Bytes: decompressed when compressed, read as text when they are text, as protobuf when they parse strictly as
 * protobuf, and otherwise left alone as opaque (encrypted or random) data. `fromText` marks bytes that came out of
 * base64 or hex: the caller keeps the original string unless they turned out to be text ("text"), so a hash or
 * random token that happens to be valid base64 is still examined as itself.
 */
export function decodeBytes(
  ctx: DecodeContext,
  bytes: Uint8Array,
  field: string,
  chain: string[],
  compression?: Compression,
  fromText = false,
  nesting = 0,
): BytesOutcome {
  if (bytes.length === 0 || tooDeep(ctx, chain)) return 'opaque';
  const kind = compression ?? sniffCompression(bytes);
  if (kind) {
    const out = decompress(ctx, bytes, kind);
    if (!Buffer.isBuffer(out)) return 'opaque';
    decodeBytes(ctx, out, field, push(chain, kind), undefined, false, nesting);
    return 'text';
  }
  const text = asPrintableText(bytes);
  if (text !== undefined) {
    // Decoded text of a few letters is as likely chance as meaning.
    if (fromText && text.length < 4) return 'opaque';
    decodeString(ctx, text, field, chain);
    return 'text';
  }
  return decodeProtobuf(ctx, bytes, field, chain, nesting) ? 'protobuf' : 'opaque';
}

/** What bytes turned out to be: readable (text, or compressed text), a protobuf message, or nothing readable. */
export type BytesOutcome = 'text' | 'protobuf' | 'opaque';

function decodeProtobuf(
  ctx: DecodeContext,
  bytes: Uint8Array,
  field: string,
  chain: string[],
  nesting: number,
): boolean {
  if (nesting > ctx.limits.maxNesting) {
    ctx.warn(`protobuf nested deeper than ${ctx.limits.maxNesting} levels; deeper values were not examined`);
    return false;
  }
  const fields = parseProtobuf(bytes);
  if (!fields) return false;
  // A long buffer that still parses but looks random (encrypted or compressed) is not taken for a message.
  if (nesting === 0 && bytes.length >= 128 && entropy(bytes) > 7.0) return false;
  const next = chain[chain.length - 1] === 'protobuf' ? chain : push(chain, 'protobuf');
  for (const f of fields) {
    const path = join(field, `#${f.number}`);
    if (f.type !== 'bytes') {
      ctx.emit({ field: path, value: f.value.toString(), decoding: next, unnamedNumber: true });
      continue;
    }
    const text = asPrintableText(f.value);
    if (text !== undefined) {
      if (text.length >= 2) decodeString(ctx, text, path, next);
    } else if (sniffCompression(f.value)) decodeBytes(ctx, f.value, path, next, undefined, false, nesting + 1);
    else decodeProtobuf(ctx, f.value, path, next, nesting + 1);
  }
  return true;
}

/** A request or message body, read according to its content type and content encoding. */
export function decodeBody(
  ctx: DecodeContext,
  body: { mimeType: string; text?: string; bytes?: Uint8Array },
  field: string,
  contentEncoding: string | undefined,
): void {
  const mime = body.mimeType.toLowerCase();
  const encoding = contentEncoding?.toLowerCase().trim();
  const compression: Compression | undefined =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? 'gzip'
      : encoding === 'br'
        ? 'brotli'
        : encoding === 'deflate'
          ? 'zlib'
          : undefined;
  let bytes = body.bytes;
  const chain: string[] = [];
  if (compression) {
    const raw = bytes ?? Buffer.from(body.text ?? '', 'latin1');
    let out = decompress(ctx, raw, compression);
    if (out === 'invalid' && compression === 'zlib') out = decompress(ctx, raw, 'deflate');
    if (out === 'limit') return;
    if (Buffer.isBuffer(out)) {
      bytes = out;
      chain.push(compression === 'zlib' ? 'deflate' : compression);
    } else {
      // mitmproxy keeps "Content-Encoding: gzip" on bodies it has already decoded: read the body as stored.
      ctx.warn(
        `request body declared Content-Encoding "${contentEncoding?.trim()}" but is not ${compression} data; read as stored`,
      );
    }
  }
  if (mime.startsWith('multipart/')) {
    const boundary = multipartBoundary(body.mimeType);
    const raw = bytes ? Buffer.from(bytes) : Buffer.from(body.text ?? '', 'utf8');
    if (boundary) {
      for (const part of parseMultipart(raw, boundary)) {
        decodeBytes(ctx, part.body, join(field, part.name || 'part'), push(chain, 'multipart'));
        if (part.filename)
          ctx.emit({
            field: join(field, `${part.name || 'part'}.filename`),
            value: part.filename,
            decoding: push(chain, 'multipart'),
          });
      }
      return;
    }
  }
  if (bytes) {
    const text = asPrintableText(bytes);
    if (text === undefined) {
      decodeBytes(ctx, bytes, field, chain);
      return;
    }
    decodeTextBody(ctx, text, mime, field, chain);
    return;
  }
  decodeTextBody(ctx, body.text ?? '', mime, field, chain);
}

function decodeTextBody(ctx: DecodeContext, text: string, mime: string, field: string, chain: string[]): void {
  // Scripts often send JSON labelled as a form; the text says what it is.
  const lead = text.trimStart()[0];
  if (mime.includes('x-www-form-urlencoded') && lead !== '{' && lead !== '[') decodeForm(ctx, text, field, chain);
  else decodeString(ctx, text, field, chain);
}
