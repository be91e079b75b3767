import { describe, expect, it } from 'vitest';
import { type CapturedRequest, LiveAuditor } from '../src/index.js';

function request(entry: number, url: string, body: Record<string, unknown>): CapturedRequest {
  return {
    entry,
    file: 'live.har',
    method: 'POST',
    url,
    headers: [{ name: 'content-type', value: 'application/json' }],
    cookies: [],
    body: { mimeType: 'application/json', text: JSON.stringify(body) },
    socketMessages: [],
    size: 0,
  };
}

const INSTALL = 'c5a1f0e2-7d4b-4e8a-9b3c-1f2e3d4c5b6a';

describe('the live auditor', () => {
  it('reports a recurring identifier when its second request arrives, then at each further request', () => {
    const auditor = new LiveAuditor();
    const linked = (i: number, url: string) =>
      auditor
        .inspect(request(i, url, { install_token: INSTALL, n: i }))
        .findings.filter((f) => f.category === 'persistent-id' && f.detector.startsWith('recurs'));
    expect(linked(0, 'https://a.tracker.example/v1')).toEqual([]);
    const second = linked(1, 'https://a.tracker.example/v1');
    expect(second.map((f) => [f.entry, f.detector, f.severity])).toEqual([
      [0, 'recurs-across-requests', 'medium'],
      [1, 'recurs-across-requests', 'medium'],
    ]);
    // A third request, to another company: only its own occurrence is new, and it now links two sites.
    const third = linked(2, 'https://b.ads.example/collect');
    expect(third.map((f) => [f.entry, f.detector, f.severity, f.domain])).toEqual([
      [2, 'recurs-across-sites', 'high', 'ads.example'],
    ]);
  });

  it('finds what the offline audit finds in a single request', () => {
    const auditor = new LiveAuditor({ known: [{ name: 'my phone number', value: '+4915112345678' }] });
    const { findings, host } = auditor.inspect(
      request(0, 'https://t.example/e', { email: 'jane.doe@example.com', msisdn: '+4915112345678' }),
    );
    expect(host).toBe('t.example');
    expect(findings.map((f) => f.category)).toEqual(expect.arrayContaining(['contact', 'known-value']));
  });
});
