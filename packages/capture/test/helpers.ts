import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { WebSocketServer } from 'ws';

/** A self-signed certificate for localhost and 127.0.0.1, standing in for a real site's. */
export function upstreamCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'candor-upstream-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

export interface Upstream {
  h1Port: number;
  h2Port: number;
  /** Bytes of request bodies received, by path. */
  received: Map<string, number>;
  /** Messages the WebSocket server received. */
  socketMessages: string[];
  close(): Promise<void>;
}

/** An HTTPS server (HTTP/1.1 and WebSocket) and an HTTP/2 server that count what they receive and answer 204. */
export async function startUpstream(credentials: { key: string; cert: string }): Promise<Upstream> {
  const received = new Map<string, number>();
  const socketMessages: string[] = [];
  const count = (path: string, request: IncomingMessage | http2.Http2ServerRequest, done: () => void) => {
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    request.on('end', () => {
      received.set(path, (received.get(path) ?? 0) + bytes);
      done();
    });
  };
  const h1 = https.createServer(credentials, (request, response) =>
    count(request.url ?? '', request, () => response.writeHead(204).end()),
  );
  const wss = new WebSocketServer({ server: h1 });
  wss.on('connection', (socket) =>
    socket.on('message', (data) => {
      socketMessages.push(String(data));
      socket.send('ok');
    }),
  );
  const h2 = http2.createSecureServer(credentials, (request, response) =>
    count(request.url, request, () => response.writeHead(204).end()),
  );
  // The proxy may keep its upstream HTTP/2 connections open; closing the server must not wait for them.
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await Promise.all([h1, h2].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  return {
    h1Port: (h1.address() as AddressInfo).port,
    h2Port: (h2.address() as AddressInfo).port,
    received,
    socketMessages,
    async close() {
      for (const client of wss.clients) client.terminate();
      h1.closeAllConnections();
      for (const session of sessions) session.destroy();
      await Promise.all([new Promise((resolve) => h1.close(resolve)), new Promise((resolve) => h2.close(resolve))]);
    },
  };
}

/** Opens a CONNECT tunnel through the proxy to localhost:port and starts TLS in it, as a phone does. */
export function tunnel(
  proxyPort: number,
  port: number,
  options: { ca?: string; alpn?: string[]; servername?: string } = {},
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const connect = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: `localhost:${port}` });
    connect.on('connect', (response, socket) => {
      if (response.statusCode !== 200) return reject(new Error(`CONNECT answered ${response.statusCode}`));
      const secure = tls.connect({
        socket,
        servername: options.servername ?? 'localhost',
        ca: options.ca,
        ALPNProtocols: options.alpn ?? ['http/1.1'],
      });
      secure.once('secureConnect', () => resolve(secure));
      secure.once('error', reject);
    });
    connect.on('error', reject);
    connect.end();
  });
}

/** An agent whose every connection is a fresh tunnel through the proxy (for https.request and ws). */
export function tunnelAgent(proxyPort: number, port: number, ca: string): https.Agent {
  const agent = new https.Agent({ keepAlive: false });
  (agent as unknown as { createConnection: unknown }).createConnection = (
    _options: unknown,
    callback: (error: Error | null, socket?: tls.TLSSocket) => void,
  ) => {
    tunnel(proxyPort, port, { ca }).then(
      (socket) => callback(null, socket),
      (error: Error) => callback(error),
    );
  };
  return agent;
}
