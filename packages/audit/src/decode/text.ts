import { isUtf8 } from 'node:buffer';

/**
 * Bytes that are readable text: valid UTF-8 without control characters (tab and line breaks allowed). Random or
 * encrypted bytes almost never pass, which keeps sealed payloads from decoding into false findings.
 */
export function asPrintableText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  // Control bytes are single bytes in UTF-8, so this scan fails random data within a few bytes, before the
  // (native, exception-free) UTF-8 validation.
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return undefined;
  }
  if (!isUtf8(bytes)) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  return text.includes('\ufffd') ? undefined : text;
}

/** Shannon entropy in bits per byte. */
export function entropy(bytes: Uint8Array): number {
  const counts = new Uint32Array(256);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    counts[b] = (counts[b] as number) + 1;
  }
  let bits = 0;
  for (let i = 0; i < 256; i++) {
    const n = counts[i] as number;
    if (n === 0) continue;
    const p = n / bytes.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
