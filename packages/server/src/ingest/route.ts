import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { IngestAnswer, Upload } from './upload.js';

/**
 * POST /v1/reports: hono's body limit stops reading at `maxBodyBytes` (declared or streamed), then the upload goes
 * to the ingest pipeline, which answers every outcome, a too-large body included, as problem+json.
 */
export function uploadRoute(
  process: (upload: Upload) => Promise<IngestAnswer>,
  maxBodyBytes: number,
): [MiddlewareHandler, (c: Context) => Promise<Response>] {
  const answer = async (c: Context, readBody: Upload['readBody']): Promise<Response> => {
    const result = await process({
      contentType: c.req.header('content-type'),
      address: getConnInfo(c).remote.address ?? '',
      readBody,
    });
    return c.body(result.body, result.status as 202, result.headers);
  };
  return [
    bodyLimit({ maxSize: maxBodyBytes, onError: (c) => answer(c, async () => 'too-large') }),
    (c) => answer(c, async () => new Uint8Array(await c.req.arrayBuffer())),
  ];
}
