import { CaptureError } from './errors.js';

export interface NameValue {
  name: string;
  value: string;
}

/** A request body as captured: text, or bytes when the capture stored it base64. */
export interface CapturedBody {
  mimeType: string;
  text?: string;
  bytes?: Buffer;
  /** Form fields a capture tool already parsed; used only when no text was kept. */
  params?: NameValue[];
}

/** What the auditor needs from one HAR entry: everything the app sent, and where it went. */
export interface CapturedRequest {
  /** 0-based index in the file's log.entries. */
  entry: number;
  file: string;
  method: string;
  url: string;
  headers: NameValue[];
  cookies: NameValue[];
  body?: CapturedBody;
  /** Messages the app sent over a WebSocket (HTTP Toolkit records them). */
  socketMessages: string[];
  /** The server address the capture records, without IPv6 brackets. */
  serverIp?: string;
  /** The page (browser captures) the request belongs to: its `pageref`, and the page's title when it is a URL. */
  page?: { id: string; url?: string };
  /** What the browser loaded it as (Chrome's `_resourceType`: "document", "script", "xhr", ...). */
  resourceType?: string;
  /** Size of the entry's JSON text, for throughput figures. */
  size: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nameValues(list: unknown): NameValue[] {
  if (!Array.isArray(list)) return [];
  const out: NameValue[] = [];
  for (const item of list) {
    if (isObject(item) && typeof item.name === 'string')
      out.push({ name: item.name, value: typeof item.value === 'string' ? item.value : String(item.value ?? '') });
  }
  return out;
}

function decodeText(text: string, encoding: unknown): { text?: string; bytes?: Buffer } {
  if (typeof encoding === 'string' && encoding.toLowerCase() === 'base64')
    return { bytes: Buffer.from(text, 'base64') };
  return { text };
}

/**
 * Reads one parsed entry. Browser devtools, mitmproxy and HTTP Toolkit agree on the HAR 1.2 core; they differ on
 * binary request bodies: mitmproxy marks `postData.encoding: "base64"`, HTTP Toolkit moves them to
 * `request._content` with `encoding: "base64"`.
 */
export function readEntry(raw: unknown, file: string, index: number, offset: number, size: number): CapturedRequest {
  const where = { entry: index, byte: offset };
  if (!isObject(raw)) throw new CaptureError(file, 'an entry is not a JSON object', where);
  const request = raw.request;
  if (!isObject(request)) throw new CaptureError(file, 'an entry has no "request" object', where);
  if (typeof request.url !== 'string') throw new CaptureError(file, 'an entry\'s request has no "url" string', where);
  // Hand-built HARs sometimes leave the method out; what was sent is still in the URL.
  const method = typeof request.method === 'string' ? request.method : 'GET';
  const headers = nameValues(request.headers);
  const contentType = headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
  let body: CapturedBody | undefined;
  const postData = request.postData;
  const content = request._content;
  if (isObject(postData) && (typeof postData.text === 'string' || Array.isArray(postData.params))) {
    const mimeType = typeof postData.mimeType === 'string' ? postData.mimeType : contentType;
    body = { mimeType };
    if (typeof postData.text === 'string' && postData.text !== '')
      Object.assign(body, decodeText(postData.text, postData.encoding));
    else body.params = nameValues(postData.params);
  } else if (isObject(content) && typeof content.text === 'string') {
    const mimeType = typeof content.mimeType === 'string' ? content.mimeType : contentType;
    body = { mimeType, ...decodeText(content.text, content.encoding) };
  }
  const socketMessages: string[] = [];
  if (Array.isArray(raw._webSocketMessages)) {
    for (const message of raw._webSocketMessages) {
      if (isObject(message) && message.type === 'send' && typeof message.data === 'string')
        socketMessages.push(message.data);
    }
  }
  const serverIp =
    typeof raw.serverIPAddress === 'string' && raw.serverIPAddress !== ''
      ? raw.serverIPAddress.replace(/^\[|\]$/g, '')
      : undefined;
  return {
    entry: index,
    file,
    method,
    url: request.url,
    headers,
    cookies: nameValues(request.cookies),
    body,
    socketMessages,
    serverIp,
    ...(typeof raw.pageref === 'string' ? { page: { id: raw.pageref } } : {}),
    ...(typeof raw._resourceType === 'string' ? { resourceType: raw._resourceType.toLowerCase() } : {}),
    size,
  };
}
