const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes that are readable text: valid UTF-8 without control characters (tab and line breaks allowed). Random or
 * encrypted bytes almost never pass, which keeps sealed payloads from decoding into false findings.
 */
export function asPrintableText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || c === 0xfffd) return undefined;
  }
  return text;
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
