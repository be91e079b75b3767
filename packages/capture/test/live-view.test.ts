import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LiveView } from '../src/live-view.js';

function get(url: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: host ? { host } : {} }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        // The event stream stays open; the first event is enough.
        if (body.includes('\n\n') && response.headers['content-type']?.includes('event-stream')) response.destroy();
      });
      response.on('close', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the live view', () => {
  it('listens on 127.0.0.1, replays events to a late page, and answers only loopback names', async () => {
    const view = new LiveView();
    const url = await view.listen(0);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      view.publish({ kind: 'pinned', host: 'pinned.example' });
      const events = await get(`${url}events`);
      expect(events.status).toBe(200);
      expect(events.body).toContain('"host":"pinned.example"');
      // A rebinding page at evil.example resolved to 127.0.0.1 sends its own name.
      const rebound = await get(`${url}events`, `evil.example:${new URL(url).port}`);
      expect(rebound.status).toBe(421);
      expect(rebound.body).not.toContain('pinned.example');
    } finally {
      await view.close();
    }
  });
});
