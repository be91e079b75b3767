/**
 * Headers every HTTP client sends as part of the protocol. They are left out of value detection (a Referer or
 * User-Agent is the browser's doing, not the app's payload); custom headers such as "X-Device-Id" are examined.
 */
const PROTOCOL_HEADERS = new Set([
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-charset',
  'content-type',
  'content-length',
  'content-encoding',
  'connection',
  'keep-alive',
  'origin',
  'referer',
  'cache-control',
  'pragma',
  'upgrade-insecure-requests',
  'te',
  'dnt',
  'priority',
  'cookie',
  'if-none-match',
  'if-modified-since',
  'range',
  'if-match',
  'if-range',
  'expect',
  'upgrade',
  'via',
  'transfer-encoding',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'x-requested-with',
  'purpose',
]);

export function isProtocolHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(':') || lower.startsWith('sec-') || PROTOCOL_HEADERS.has(lower);
}

/** "X-Device-Id" -> "device-id", so the field-name hints apply to custom headers too. */
export function headerField(name: string): string {
  return name.toLowerCase().replace(/^x-/, '');
}

export function parseCookieHeader(value: string): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const pair of value.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    out.push({ name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() });
  }
  return out;
}
