import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { CaptureError } from './errors.js';
import type { CapturedRequest, NameValue } from './har-entry.js';

const run = promisify(execFile);

const TSHARK_MISSING =
  'reading a pcap or pcapng capture needs tshark (the command-line Wireshark: "apt install tshark", "brew install ' +
  'wireshark", or wireshark.org); or open it in Wireshark and export the HTTP traffic as a HAR';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** tshark prints byte fields as colon-separated hex ("7b:22:69"). */
function hexBytes(value: unknown): Buffer {
  const text = str(value);
  return text ? Buffer.from(text.replace(/:/g, ''), 'hex') : Buffer.alloc(0);
}

async function tsharkVersion(file: string): Promise<void> {
  try {
    await run('tshark', ['--version']);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new CaptureError(file, TSHARK_MISSING);
    throw new CaptureError(file, `tshark does not run: ${(error as Error).message}`);
  }
}

/**
 * Runs tshark and hands each line of its output to `onLine` as it comes, so a large capture is never held as text;
 * `onLine` returns false to stop early. Throws CaptureError with tshark's last complaint when it fails.
 */
async function tsharkLines(file: string, args: string[], onLine: (line: string) => boolean | undefined): Promise<void> {
  const tshark = spawn('tshark', ['-n', '-r', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tshark.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => tshark.once('close', resolve));
  let stopped = false;
  for await (const line of createInterface({ input: tshark.stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (onLine(line) === false) {
      stopped = true;
      tshark.kill();
      break;
    }
  }
  const code = await exited;
  if (!stopped && code !== 0) throw tsharkFailed(file, stderr, code);
}

function tsharkFailed(file: string, stderr: string, code: number | null): CaptureError {
  const message =
    stderr
      .trim()
      .split('\n')
      .filter((l) => !/Running as user/.test(l))
      .at(-1) ?? `exit code ${code}`;
  return new CaptureError(file, `tshark cannot read it: ${message}`);
}

/**
 * TCP ports that carry TLS, found by their ClientHello records. tshark decodes TLS only on well-known ports by
 * default; an app talking TLS on another port is decoded once its port is named.
 */
async function tlsPorts(file: string): Promise<number[]> {
  const ports = new Set<number>();
  const hello = 'tcp.payload[0:1] == 16 && tcp.payload[5:1] == 01';
  await tsharkLines(file, ['-Y', hello, '-T', 'fields', '-e', 'tcp.dstport'], (line) => {
    const port = Number(line);
    if (Number.isInteger(port) && port > 0 && port !== 443) ports.add(port);
    return ports.size < 200;
  });
  return [...ports];
}

interface Http2Request {
  headers: NameValue[];
  body: Buffer[];
  client: string;
  serverIp?: string;
}

/** Builds the request of an HTTP/1.x message tshark decoded (the body already de-chunked and decompressed). */
function http1Request(
  http: Json,
  serverIp: string | undefined,
): Omit<CapturedRequest, 'entry' | 'file' | 'size'> | undefined {
  const uri = str(http['http.request.full_uri']);
  const firstLine = Object.values(http).find((v) => isObject(v) && 'http.request.method' in v) as Json | undefined;
  if (!uri || !firstLine) return undefined;
  const headers: NameValue[] = [];
  for (const line of list(http['http.request.line'])) {
    const text = str(line)?.replace(/\r?\n$/, '');
    const colon = text?.indexOf(':') ?? -1;
    if (!text || colon <= 0) continue;
    const name = text.slice(0, colon).trim();
    // tshark hands over the body already decompressed; the header would send the auditor to decompress it again.
    if (name.toLowerCase() === 'content-encoding') continue;
    headers.push({ name, value: text.slice(colon + 1).trim() });
  }
  const data = str(http['http.file_data']);
  const mimeType = str(http['http.content_type']) ?? '';
  return {
    method: str(firstLine['http.request.method']) ?? 'GET',
    url: uri,
    headers,
    cookies: [],
    body: data ? { mimeType, text: data } : undefined,
    socketMessages: [],
    serverIp,
  };
}

function http2Url(headers: NameValue[]): string | undefined {
  const get = (name: string) => headers.find((h) => h.name === name)?.value;
  const authority = get(':authority') ?? headers.find((h) => h.name.toLowerCase() === 'host')?.value;
  const path = get(':path');
  if (!authority || !path) return undefined;
  return `${get(':scheme') ?? 'https'}://${authority}${path}`;
}

/**
 * Streams the HTTP requests of a pcap or pcapng capture through tshark: HTTP/1.x, and HTTP/2 with frames joined
 * per stream. TLS is decrypted when the pcapng embeds its key log (a Decryption Secrets Block, written by
 * `editcap --inject-secrets` or PCAPdroid); without keys only plain HTTP is readable, and the audit says so.
 */
export async function* readPcapBatches(
  file: string,
  options: { onRawBytes?: (bytes: number) => void; onWarning?: (message: string) => void } = {},
): AsyncGenerator<CapturedRequest[]> {
  await tsharkVersion(file);
  const decodeAs = (await tlsPorts(file)).flatMap((port) => ['-d', `tcp.port==${port},tls`]);
  const args = ['-n', '-r', file, ...decodeAs, '-Y', 'http.request || http2', '-T', 'json', '--no-duplicate-keys'];
  args.push('-J', 'ip ipv6 tcp tls http http2');
  const tshark: ChildProcessByStdio<null, Readable, Readable> = spawn('tshark', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  tshark.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => tshark.once('close', resolve));
  const streams = new Map<string, Http2Request>();
  let entry = 0;
  let lines: string[] = [];
  const finish = (partial: Omit<CapturedRequest, 'entry' | 'file' | 'size'>, size: number): CapturedRequest => ({
    ...partial,
    entry: entry++,
    file,
    size,
  });
  try {
    // tshark pretty-prints one packet per top-level array element, from "  {" to "  }" or "  },".
    for await (const line of createInterface({ input: tshark.stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line === '  {') lines = [];
      if (line !== '  }' && line !== '  },') {
        lines.push(line);
        continue;
      }
      lines.push('  }');
      const packet = JSON.parse(lines.join('\n')) as Json;
      const size = lines.reduce((n, l) => n + l.length + 1, 0);
      lines = [];
      const layers = (packet._source as Json | undefined)?.layers as Json | undefined;
      if (!layers) continue;
      const ip = (layers.ip ?? layers.ipv6) as Json | undefined;
      const serverIp = str(ip?.['ip.dst']) ?? str(ip?.['ipv6.dst']);
      const tcp = layers.tcp as Json | undefined;
      const connection = str(tcp?.['tcp.stream']) ?? '?';
      const source = `${str(ip?.['ip.src']) ?? str(ip?.['ipv6.src'])}:${str(tcp?.['tcp.srcport'])}`;
      const batch: CapturedRequest[] = [];
      for (const http of list(layers.http)) {
        if (!isObject(http)) continue;
        const request = http1Request(http, serverIp);
        if (request) batch.push(finish(request, size));
      }
      for (const layer of list(layers.http2)) {
        if (!isObject(layer)) continue;
        for (const frame of list(layer['http2.stream'])) {
          if (!isObject(frame)) continue;
          const type = str(frame['http2.type']);
          const id = `${connection}/${str(frame['http2.streamid'])}`;
          const endStream = (Number.parseInt(str(frame['http2.flags']) ?? '0', 16) & 0x1) === 1;
          let stream = streams.get(id);
          if (type === '1') {
            const headers: NameValue[] = [];
            for (const h of list(frame['http2.header'])) {
              if (!isObject(h)) continue;
              const name = str(h['http2.header.name']);
              if (name !== undefined) headers.push({ name, value: str(h['http2.header.value']) ?? '' });
            }
            if (!headers.some((h) => h.name === ':method')) continue; // a response
            stream = { headers, body: [], client: source, serverIp };
            streams.set(id, stream);
          } else if (type === '0' && stream && stream.client === source) {
            stream.body.push(hexBytes(frame['http2.data.data']));
          } else continue;
          if (endStream && stream && stream.client === source) {
            streams.delete(id);
            const request = http2Request(stream);
            if (request) batch.push(finish(request, size));
          }
        }
      }
      if (batch.length > 0) yield batch;
    }
    // Streams the capture ended inside still carried what the app sent so far.
    const rest = [...streams.values()].map(http2Request).filter((r) => r !== undefined);
    if (rest.length > 0) yield rest.map((r) => finish(r, 0));
  } finally {
    if (tshark.exitCode === null) tshark.kill();
  }
  const code = await exited;
  if (code !== 0) throw tsharkFailed(file, stderr, code);
  if (entry === 0 && (await hasEncryptedData(file, decodeAs)))
    options.onWarning?.(
      'the capture holds TLS traffic but no decrypted HTTP: it has no embedded TLS key log (see docs/capture.md)',
    );
}

/** Whether any TLS application data is in the capture (checked only when no HTTP could be read). */
async function hasEncryptedData(file: string, decodeAs: string[]): Promise<boolean> {
  let found = false;
  // tshark's "-c" counts packets read, not matched, so the first matching line ends the search instead.
  await tsharkLines(file, [...decodeAs, '-Y', 'tls.app_data', '-T', 'fields', '-e', 'frame.number'], () => {
    found = true;
    return false;
  });
  return found;
}

function http2Request(stream: Http2Request): Omit<CapturedRequest, 'entry' | 'file' | 'size'> | undefined {
  const url = http2Url(stream.headers);
  if (!url) return undefined;
  const headers = stream.headers.filter((h) => !h.name.startsWith(':'));
  const body = Buffer.concat(stream.body);
  const mimeType = headers.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
  return {
    method: stream.headers.find((h) => h.name === ':method')?.value ?? 'GET',
    url,
    headers,
    cookies: [],
    body: body.length > 0 ? { mimeType, bytes: body } : undefined,
    socketMessages: [],
    serverIp: stream.serverIp,
  };
}
