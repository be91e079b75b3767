import type { IncomingMessage, ServerResponse } from 'node:http';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { IngestAnswer, Upload } from './upload.js';

/** Reads a node request body, stopping (and discarding the rest) once it exceeds `limit` bytes. */
function readLimited(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too-large');
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * POST /v1/reports straight on node:http, bypassing the router: the ingest hot path pays for no Request object
 * or web stream. Every other route goes through the hono app.
 */
export function nodeUploadHandler(process: (upload: Upload) => Promise<IngestAnswer>, maxBodyBytes: number) {
  return (req: IncomingMessage, res: ServerResponse, onError: (error: unknown) => void): void => {
    process({
      contentType: req.headers['content-type'],
      address: req.socket.remoteAddress ?? '',
      readBody: () => readLimited(req, maxBodyBytes),
    }).then((answer) => {
      res.writeHead(answer.status, answer.headers).end(answer.body);
    }, onError);
  };
}

/** The same route inside the hono app (in-process use via app.request, and any server other than ours). */
export function honoUploadRoute(process: (upload: Upload) => Promise<IngestAnswer>, maxBodyBytes: number) {
  return async (c: Context): Promise<Response> => {
    const answer = await process({
      contentType: c.req.header('content-type'),
      address: getConnInfo(c).remote.address ?? '',
      readBody: async () => {
        if (Number(c.req.header('content-length')) > maxBodyBytes) return 'too-large';
        const body = new Uint8Array(await c.req.arrayBuffer());
        return body.length > maxBodyBytes ? 'too-large' : body;
      },
    });
    return c.body(answer.body, answer.status as 202, answer.headers);
  };
}
