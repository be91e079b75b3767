import { asPrintableText } from '../decode/text.js';

/** One request and its response, as a test, a proxy or a recording fetch saw them. */
export interface Exchange {
  method: string;
  url: string;
  requestHeaders?: Array<[string, string]>;
  requestBody?: string | Uint8Array;
  status?: number;
  responseHeaders?: Array<[string, string]>;
  responseBody?: string | Uint8Array;
  serverIp?: string;
  startedAt?: Date;
}

export interface HarDocument {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    entries: Array<Record<string, unknown>>;
  };
}

function headerList(headers: Array<[string, string]> | undefined): Array<{ name: string; value: string }> {
  return (headers ?? []).map(([name, value]) => ({ name, value }));
}

function contentType(headers: Array<[string, string]> | undefined): string {
  return headers?.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? 'application/octet-stream';
}

/** Text stays text; bytes that are not readable text are stored base64, the way mitmproxy exports them. */
function bodyContent(body: string | Uint8Array): { text: string; encoding?: 'base64'; size: number } {
  if (typeof body === 'string') return { text: body, size: Buffer.byteLength(body) };
  const text = asPrintableText(body);
  if (text !== undefined) return { text, size: body.length };
  return { text: Buffer.from(body).toString('base64'), encoding: 'base64', size: body.length };
}

/** Builds a HAR 1.2 document from recorded exchanges. */
export function harFromExchanges(exchanges: Exchange[], creator = { name: 'candor', version: '0.1.0' }): HarDocument {
  const entries = exchanges.map((x) => {
    const url = new URL(x.url);
    const request: Record<string, unknown> = {
      method: x.method,
      url: x.url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headerList(x.requestHeaders),
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      headersSize: -1,
      bodySize: x.requestBody === undefined ? 0 : bodyContent(x.requestBody).size,
    };
    if (x.requestBody !== undefined) {
      const { text, encoding } = bodyContent(x.requestBody);
      request.postData = { mimeType: contentType(x.requestHeaders), text, ...(encoding ? { encoding } : {}) };
    }
    const response = x.responseBody === undefined ? { text: '', size: 0 } : bodyContent(x.responseBody);
    return {
      startedDateTime: (x.startedAt ?? new Date()).toISOString(),
      time: 0,
      request,
      response: {
        status: x.status ?? 200,
        statusText: '',
        httpVersion: 'HTTP/1.1',
        cookies: [],
        headers: headerList(x.responseHeaders),
        content: { mimeType: contentType(x.responseHeaders), ...response },
        redirectURL: '',
        headersSize: -1,
        bodySize: response.size,
      },
      cache: {},
      timings: { send: 0, wait: 0, receive: 0 },
      ...(x.serverIp ? { serverIPAddress: x.serverIp } : {}),
    };
  });
  return { log: { version: '1.2', creator, entries } };
}

/**
 * Wraps a fetch so every request it makes, and the response, is kept as an Exchange. Used to record an SDK's
 * traffic for a self-audit.
 */
export function recordingFetch(inner: typeof fetch = fetch): { fetch: typeof fetch; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const wrapped = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const requestBody = request.body ? new Uint8Array(await request.clone().arrayBuffer()) : undefined;
    const response = await inner(request);
    const responseBody = new Uint8Array(await response.clone().arrayBuffer());
    exchanges.push({
      method: request.method,
      url: request.url,
      requestHeaders: [...request.headers],
      requestBody,
      status: response.status,
      responseHeaders: [...response.headers],
      responseBody,
      startedAt: new Date(),
    });
    return response;
  };
  return { fetch: wrapped as typeof fetch, exchanges };
}
