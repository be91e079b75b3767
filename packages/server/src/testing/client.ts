import { request } from 'node:http';
import { type KeyConfigList, PATHS, type ReportBatch, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { sealEnvelope } from '../open/envelope.js';

/** Fetches the collector's newest key and seals a batch to it, as a device would. */
export async function sealForCollector(url: string, batch: ReportBatch | string): Promise<Buffer> {
  const { keys } = (await (await fetch(url + PATHS.keys)).json()) as KeyConfigList;
  const key = keys[0];
  if (!key) throw new Error('collector serves no key');
  return sealEnvelope(
    key.id,
    Buffer.from(key.publicKey, 'base64url'),
    typeof batch === 'string' ? batch : JSON.stringify(batch),
  );
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * POSTs with node:http so a test can choose the socket's local address (any of 127.0.0.0/8 on Linux) and send
 * any header, like a device on a distinct network would.
 */
export function postRaw(
  url: string,
  body: Uint8Array,
  options: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const target = new URL(PATHS.reports, url);
  return new Promise((done, fail) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        headers: { 'content-type': SEALED_CONTENT_TYPE, 'content-length': String(body.length), ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}
