import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createUnzip } from 'node:zlib';
import { CaptureError } from './errors.js';

export interface CaptureSource {
  /** The capture's JSON bytes, decompressed when the file is a `.zhar` (zlib) or gzip. */
  chunks: AsyncIterable<Buffer>;
  /** Size of the file on disk. */
  size: number;
  compressed: boolean;
}

const CHUNK_BYTES = 1024 * 1024;

/** Zlib streams start with 0x78 and a header whose 16-bit value is a multiple of 31; gzip with 1f 8b. */
function looksCompressed(head: Buffer): boolean {
  if (head.length < 2) return false;
  const [a, b] = [head[0] as number, head[1] as number];
  if (a === 0x1f && b === 0x8b) return true;
  return (a & 0x0f) === 8 && ((a << 8) | b) % 31 === 0;
}

async function readHead(file: string): Promise<Buffer> {
  const stream = createReadStream(file, { start: 0, end: 1 });
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/**
 * Opens a capture for streaming. `.zhar` files (mitmproxy's zlib-compressed HAR) and gzip are recognised by their
 * first bytes, so a renamed file still opens. `onRawBytes` reports progress in bytes of the file on disk.
 */
export async function openCapture(file: string, onRawBytes?: (bytes: number) => void): Promise<CaptureSource> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new CaptureError(file, 'not a file');
    size = info.size;
  } catch (error) {
    if (error instanceof CaptureError) throw error;
    throw new CaptureError(file, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const compressed = looksCompressed(await readHead(file));
  const raw = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  if (onRawBytes) raw.on('data', (chunk) => onRawBytes(chunk.length));
  if (!compressed) return { chunks: raw as AsyncIterable<Buffer>, size, compressed };
  const unzip = createUnzip({ chunkSize: CHUNK_BYTES });
  const chunks = (async function* (): AsyncGenerator<Buffer> {
    const piped: Readable = raw.pipe(unzip);
    raw.on('error', (error) => unzip.destroy(error));
    try {
      for await (const chunk of piped) yield chunk as Buffer;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const problem =
        code === 'Z_BUF_ERROR'
          ? 'compressed data ends early (truncated .zhar)'
          : `compressed data is corrupt (${code ?? String(error)})`;
      throw new CaptureError(file, problem, { byte: raw.bytesRead });
    }
  })();
  return { chunks, size, compressed };
}
