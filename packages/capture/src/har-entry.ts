import { isUtf8 } from 'node:buffer';

/** A HAR 1.2 entry as candor capture writes it: what the app sent in full, the response without its body. */
export type HarEntry = Record<string, unknown>;

export interface SentRequest {
  method: string;
  url: string;
  /** "1.1" or "2.0", as the client spoke it to the proxy. */
  httpVersion: string;
  rawHeaders: Array<[string, string]>;
  body: Uint8Array;
  /** The body was longer than the proxy keeps; it was forwarded in full but only its length is recorded. */
  bodyDropped?: boolean;
  startedAt: Date;
  /** Messages the app sent on a WebSocket, text or (base64) binary. */
  socketMessages?: Array<{ time: number; text: string; binary: boolean }>;
}

export interface ReceivedResponse {
  status: number;
  statusText: string;
  rawHeaders: Array<[string, string]>;
  bodySize: number;
}

function headerList(raw: Array<[string, string]>): Array<{ name: string; value: string }> {
  // HTTP/2 pseudo-headers repeat the method, path and authority already in the entry.
  return raw.filter(([name]) => !name.startsWith(':')).map(([name, value]) => ({ name, value }));
}

function header(raw: Array<[string, string]>, name: string): string | undefined {
  return raw.find(([n]) => n.toLowerCase() === name)?.[1];
}

function harVersion(version: string): string {
  return version.startsWith('2') ? 'HTTP/2.0' : `HTTP/${version}`;
}

/** Readable text stays text; anything else is kept base64, as mitmproxy's HAR export does. */
function postData(body: Uint8Array, mimeType: string): Record<string, unknown> {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.length);
  if (isUtf8(bytes)) return { mimeType, text: bytes.toString('utf8') };
  return { mimeType, text: bytes.toString('base64'), encoding: 'base64' };
}

function cookies(raw: Array<[string, string]>): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const [name, value] of raw) {
    if (name.toLowerCase() !== 'cookie') continue;
    for (const part of value.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0) out.push({ name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() });
    }
  }
  return out;
}

/** Builds the HAR entry for one request; the response is given only for a WebSocket, written when it closes. */
export function harEntry(request: SentRequest, response?: ReceivedResponse): HarEntry {
  const url = new URL(request.url);
  const mimeType = header(request.rawHeaders, 'content-type') ?? '';
  const declared = Number(header(request.rawHeaders, 'content-length') ?? Number.NaN);
  const comments: string[] = [];
  const entryRequest: Record<string, unknown> = {
    method: request.method,
    url: request.url,
    httpVersion: harVersion(request.httpVersion),
    cookies: cookies(request.rawHeaders),
    headers: headerList(request.rawHeaders),
    queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
    headersSize: -1,
    bodySize: request.bodyDropped ? (Number.isFinite(declared) ? declared : -1) : request.body.length,
  };
  if (request.bodyDropped)
    comments.push('the request body was larger than candor capture keeps; it was forwarded but not recorded');
  else if (request.body.length > 0) entryRequest.postData = postData(request.body, mimeType);
  const entry: HarEntry = {
    startedDateTime: request.startedAt.toISOString(),
    time: 0,
    request: entryRequest,
    response: {
      status: response?.status ?? 0,
      statusText: response?.statusText ?? '',
      httpVersion: harVersion(request.httpVersion),
      cookies: [],
      headers: headerList(response?.rawHeaders ?? []),
      // Only what the app sent is audited; response bodies are not kept (see docs/capture.md).
      content: { size: response?.bodySize ?? 0, mimeType: header(response?.rawHeaders ?? [], 'content-type') ?? '' },
      redirectURL: '',
      headersSize: -1,
      bodySize: response?.bodySize ?? -1,
    },
    cache: {},
    timings: { send: 0, wait: 0, receive: 0 },
  };
  if (!response) comments.push('the response is not recorded: the entry is written as soon as the request is sent');
  if (request.socketMessages) {
    entry._resourceType = 'websocket';
    entry._webSocketMessages = request.socketMessages.map((m) => ({
      type: 'send',
      time: m.time,
      opcode: m.binary ? 2 : 1,
      data: m.text,
    }));
  }
  if (comments.length > 0) entry.comment = comments.join('; ');
  return entry;
}
