import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { DecodeContext } from './context.js';

export type Compression = 'gzip' | 'zlib' | 'deflate' | 'brotli';

/** Compression recognisable from the first bytes; brotli and raw deflate have no magic and need a header hint. */
export function sniffCompression(bytes: Uint8Array): Compression | undefined {
  if (bytes.length < 3) return undefined;
  const a = bytes[0] as number;
  const b = bytes[1] as number;
  if (a === 0x1f && b === 0x8b && bytes[2] === 8) return 'gzip';
  if (a === 0x78 && (b === 0x01 || b === 0x5e || b === 0x9c || b === 0xda)) return 'zlib';
  return undefined;
}

/** Why nothing came out: the data is not in that format, or it would exceed the output budget. */
export type DecompressFailure = 'invalid' | 'limit';

/**
 * Decompresses within the request's output budget. A stream that would exceed it (a zip bomb) yields a warning
 * and 'limit'; a stream that is not valid yields 'invalid'.
 */
export function decompress(ctx: DecodeContext, bytes: Uint8Array, kind: Compression): Buffer | DecompressFailure {
  const maxOutputLength = ctx.outputBudget();
  if (maxOutputLength === 0) {
    ctx.warn(`decompressed output limit of ${ctx.limits.maxOutputBytes} bytes reached; ${kind} data skipped`);
    return 'limit';
  }
  try {
    const options = { maxOutputLength };
    const out =
      kind === 'gzip'
        ? gunzipSync(bytes, options)
        : kind === 'zlib'
          ? inflateSync(bytes, options)
          : kind === 'deflate'
            ? inflateRawSync(bytes, options)
            : brotliDecompressSync(bytes, options);
    ctx.outputBytes += out.length;
    return out;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      ctx.warn(`${kind} data expands beyond ${ctx.limits.maxOutputBytes} bytes (possible zip bomb); skipped`);
      return 'limit';
    }
    return 'invalid';
  }
}
