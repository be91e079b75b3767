import { open } from 'node:fs/promises';
import { CaptureError } from './errors.js';
import type { CapturedRequest, NameValue } from './har-entry.js';
import { parseTnet, TnetError, type TnetValue, tnetSize } from './tnetstring.js';

type Dict = { [key: string]: TnetValue };

const CHUNK_BYTES = 1024 * 1024;
const MAX_FLOW_BYTES = 512 * 1024 * 1024;

function isDict(value: TnetValue | undefined): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function text(value: TnetValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

function headerPairs(value: TnetValue | undefined): NameValue[] {
  if (!Array.isArray(value)) return [];
  const out: NameValue[] = [];
  for (const pair of value) {
    if (!Array.isArray(pair)) continue;
    const name = text(pair[0]);
    const content = text(pair[1]);
    if (name !== undefined && content !== undefined) out.push({ name, value: content });
  }
  return out;
}

/**
 * The address the app asked for. mitmproxy's `host` is where it connected (an IP address in transparent mode),
 * so the name the app used comes first: HTTP/2's authority, then the Host header, then the TLS server name.
 */
function requestUrl(request: Dict, headers: NameValue[], serverSni: string | undefined): string {
  const scheme = text(request.scheme) || 'http';
  const hostHeader = headers.find((h) => h.name.toLowerCase() === 'host')?.value;
  const authority = text(request.authority) || hostHeader;
  const port = typeof request.port === 'number' ? request.port : undefined;
  const defaultPort = scheme === 'https' ? 443 : 80;
  const host = text(request.host) || serverSni || '';
  const where =
    authority || (port && port !== defaultPort ? `${host.includes(':') ? `[${host}]` : host}:${port}` : host);
  const path = text(request.path) || '/';
  return path.startsWith('/') ? `${scheme}://${where}${path}` : path;
}

/** One flow of mitmproxy 8's format (version 17; earlier and later versions differ only in fields not read). */
function readFlow(
  flow: TnetValue,
  file: string,
  index: number,
  offset: number,
  size: number,
): CapturedRequest | undefined {
  if (!isDict(flow)) throw new CaptureError(file, `flow ${index} is not a dictionary`, { byte: offset });
  const type = text(flow.type);
  // TCP, UDP and DNS flows carry no HTTP request to audit.
  if (type !== 'http') return undefined;
  const request = flow.request;
  if (!isDict(request)) throw new CaptureError(file, `flow ${index} has no request`, { byte: offset });
  const headers = headerPairs(request.headers);
  const serverConn = isDict(flow.server_conn) ? flow.server_conn : undefined;
  const sni = text(serverConn?.sni) || undefined;
  const content = request.content;
  const contentType = headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
  const socketMessages: string[] = [];
  if (isDict(flow.websocket) && Array.isArray(flow.websocket.messages)) {
    for (const message of flow.websocket.messages) {
      // [opcode, from_client, content, timestamp, ...]: only what the app sent.
      if (!Array.isArray(message) || message[1] !== true) continue;
      const data = message[2];
      if (Buffer.isBuffer(data))
        socketMessages.push(message[0] === 2 ? data.toString('base64') : data.toString('utf8'));
      else if (typeof data === 'string') socketMessages.push(data);
    }
  }
  const address = serverConn?.ip_address ?? serverConn?.address;
  const serverIp = Array.isArray(address) ? text(address[0]) : undefined;
  return {
    entry: index,
    file,
    method: text(request.method) ?? 'GET',
    url: requestUrl(request, headers, sni),
    headers,
    cookies: [],
    body: Buffer.isBuffer(content) && content.length > 0 ? { mimeType: contentType, bytes: content } : undefined,
    socketMessages,
    serverIp,
    size,
  };
}

/**
 * Streams the HTTP requests (and WebSocket messages) of a mitmproxy flow file (`mitmdump -w`, `.mitm`/`.flow`),
 * one flow held at a time. Flow numbers count every flow in the file, TCP and DNS flows included.
 */
export async function* readMitmFlowBatches(
  file: string,
  options: { onRawBytes?: (bytes: number) => void } = {},
): AsyncGenerator<CapturedRequest[]> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new CaptureError(file, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    let buffer = Buffer.alloc(0);
    let position = 0; // file offset of buffer[0]
    let index = 0;
    let eof = false;
    for (;;) {
      const batch: CapturedRequest[] = [];
      let at = 0;
      let need = 0; // bytes the next flow spans, when its length prefix has been read
      for (;;) {
        let size: number | undefined;
        try {
          size = tnetSize(buffer, at);
        } catch (error) {
          throw new CaptureError(file, `not a mitmproxy flow file: ${(error as Error).message}`, {
            byte: position + at,
          });
        }
        need = size ?? 0;
        if (size === undefined || at + size > buffer.length) break;
        let flow: TnetValue;
        try {
          flow = parseTnet(buffer.subarray(at, at + size)).value;
        } catch (error) {
          const problem = error instanceof TnetError ? error.message : String(error);
          throw new CaptureError(file, `flow ${index} is corrupt: ${problem}`, { byte: position + at });
        }
        const request = readFlow(flow, file, index, position + at, size);
        if (request) batch.push(request);
        index++;
        at += size;
      }
      buffer = buffer.subarray(at);
      position += at;
      if (batch.length > 0) yield batch;
      if (eof) {
        if (buffer.length > 0)
          throw new CaptureError(file, `truncated: the file ends inside flow ${index}`, { byte: position });
        break;
      }
      if (need > MAX_FLOW_BYTES)
        throw new CaptureError(file, `flow ${index} is larger than ${MAX_FLOW_BYTES} bytes`, { byte: position });
      // One read brings in the rest of a large flow, so a big upload is not assembled chunk by chunk.
      const want = Math.max(CHUNK_BYTES, need - buffer.length);
      const chunk = Buffer.alloc(want);
      const { bytesRead } = await handle.read(chunk, 0, want, position + buffer.length);
      if (bytesRead === 0) eof = true;
      else {
        options.onRawBytes?.(bytesRead);
        const fresh = chunk.subarray(0, bytesRead);
        buffer = buffer.length === 0 ? fresh : Buffer.concat([buffer, fresh]);
      }
    }
    if (index === 0) throw new CaptureError(file, 'not a mitmproxy flow file: it is empty');
  } finally {
    await handle.close();
  }
}
