/**
 * A crash leaves the device as its error type and a 16-hex signature, nothing else. The signature is the first
 * 16 hex chars of SHA-256 over the app's own stack frames after normalisation:
 *
 *   - the message is never read (it can hold user input, URLs, e-mail addresses);
 *   - only frames from the app's own code are kept: frames in node_modules, node: internals, browser
 *     extensions, native code, eval and anonymous sources are dropped, and so are lines that name no source
 *     position (V8's "at async Promise.all (index 3)", whose index depends on scheduling);
 *   - each kept frame becomes "function@file": the function name (identifier characters only) and the file's
 *     base name without directories, host, query, fragment, line or column, with build hashes
 *     ("main.3f9a1c2b.js" -> "main.js") removed so a rebuild keeps the same signature;
 *   - at most the top 8 kept frames are used.
 *
 * So two devices with the same bug produce the same signature, and the signature says nothing about the person.
 */
import { toHex, utf8 } from '../util/bytes.js';

export const MAX_SIGNATURE_FRAMES = 8;
const TYPE_PATTERN = /^[A-Za-z_$][\w$.]{0,63}$/;
/** Type names kept: the built-in ones (Error, TypeError, DOMException ...) and the app's own that read as such. */
const TYPE_SUFFIX = /(?:Error|Exception|Abort|Failure|Fault)$/;
const FOREIGN_SOURCE =
  /node_modules|^node:|^internal[/:]|extension:\/\/|^native|<anonymous>|\beval\b|^blob:|^data:|\[native code\]/;

/** The error's type name; anything that does not look like a type name is reported as "Error". */
export function crashType(error: unknown): string {
  const name =
    error instanceof Error || (typeof error === 'object' && error !== null)
      ? (error as { name?: unknown }).name
      : undefined;
  if (typeof name !== 'string' || !TYPE_PATTERN.test(name)) return 'Error';
  return TYPE_SUFFIX.test(name) ? name : 'Error';
}

/**
 * One stack line as function and source file. Only lines that name a position (":line" or ":line:col") are
 * frames of code; V8's "at async Promise.all (index 3)" and the like name no file and are skipped, or the
 * signature would change with scheduling.
 */
function parseFrame(line: string): { fn: string; source: string } | null {
  const text = line.trim();
  // V8: "at fn (source:line:col)" or "at source:line:col"
  let m = /^at (?:(.+?) \()?(.+?):\d+(?::\d+)?\)?$/.exec(text);
  if (m) return { fn: m[1] ?? '', source: m[2] ?? '' };
  // SpiderMonkey / JavaScriptCore: "fn@source:line:col"
  m = /^(.*?)@(.+?):\d+(?::\d+)?$/.exec(text);
  if (m) return { fn: m[1] ?? '', source: m[2] ?? '' };
  return null;
}

function baseName(source: string): string {
  const withoutQuery = source.split(/[?#]/)[0] ?? '';
  const last = withoutQuery.split(/[/\\]/).pop() ?? '';
  return last.replace(/[.-][0-9a-f]{6,}(?=\.)/gi, '').replace(/[^\w.$-]/g, '');
}

function functionName(fn: string): string {
  const cleaned = fn
    .replace(/^async /, '')
    .replace(/^new /, '')
    .replace(/ \[as [^\]]+\]$/, '')
    .replace(/[^\w$.<>]/g, '');
  return cleaned.slice(0, 64) || '?';
}

/** The app's own frames, normalised (see the module comment). */
export function normaliseFrames(stack: string | undefined): string[] {
  const frames: string[] = [];
  const lines = (stack ?? '').split('\n');
  // V8 stacks start with "Name: message" (the message may span lines); only its "at ..." lines are frames.
  const v8 = lines.some((l) => /^\s+at /.test(l));
  for (const line of lines) {
    if (v8 && !/^\s+at /.test(line)) continue;
    const frame = parseFrame(line);
    if (!frame?.source || FOREIGN_SOURCE.test(frame.source)) continue;
    const file = baseName(frame.source);
    if (!file) continue;
    frames.push(`${functionName(frame.fn)}@${file}`);
    if (frames.length === MAX_SIGNATURE_FRAMES) break;
  }
  return frames;
}

/** What is hashed: the type and the normalised frames, one per line. Kept in memory until the report is built. */
export function crashKey(error: unknown): { type: string; key: string } {
  const type = crashType(error);
  const stack = typeof error === 'object' && error !== null ? (error as { stack?: unknown }).stack : undefined;
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  let text = typeof stack === 'string' ? stack : '';
  // Drop the V8 header ("Name: message") before parsing, so no part of a message can pose as a frame.
  const header = typeof message === 'string' && message ? `: ${message}` : '';
  const at = header ? text.indexOf(header) : -1;
  if (at >= 0) text = text.slice(at + header.length);
  const frames = normaliseFrames(text);
  return { type, key: [type, ...frames].join('\n') };
}

export async function crashSignature(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(key) as Uint8Array<ArrayBuffer>));
  return toHex(digest.subarray(0, 8));
}
