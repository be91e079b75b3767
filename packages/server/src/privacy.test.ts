import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startCollector } from './collector.js';
import { sealEnvelope } from './open/envelope.js';
import { postRaw, sealForCollector } from './testing/client.js';
import { SAMPLE_DAY, sampleBatch, sampleReport, seededRandom } from './testing/reports.js';

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else out.push(path);
  }
  return out;
}

describe('the collector never stores or logs an address or user agent (contract point 8)', () => {
  it('after a load from several addresses and user agents, no file it wrote contains any of them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'candor-privacy-'));
    const logPath = join(dir, 'collector.log');
    const destination = pino.destination({ dest: logPath, sync: true });
    const collector = await startCollector({
      keysDir: join(dir, 'keys'),
      store: `duckdb:${join(dir, 'data', 'candor.duckdb')}`,
      dashboardDir: null,
      // The most verbose level: whatever the collector could log, it does.
      log: { level: 'trace', destination },
      k: 5,
    });

    const addresses = ['127.0.0.23', '127.0.0.47', '127.0.0.81', '127.0.0.119', '127.0.0.201'];
    const userAgents = addresses.map((_, i) => `CandorProbeAgent/${i}.7 (Redmi Note 8; MIUI 11.0.${i}; probe-ua-${i})`);
    const forwarded = ['203.0.113.77', '198.51.100.23', '2001:db8::beef'];
    const random = seededRandom(11);
    const { keys } = await (await fetch(`${collector.url}/v1/keys`)).json();
    let accepted = 0;
    const statuses = new Set<number>();
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        addresses.map(async (localAddress, i) => {
          const headers = {
            'user-agent': userAgents[i] as string,
            'x-forwarded-for': `${forwarded[i % forwarded.length]}, ${localAddress}`,
            'x-real-ip': forwarded[(i + 1) % forwarded.length] as string,
            forwarded: `for="${forwarded[(i + 2) % forwarded.length]}"`,
          };
          const good = await postRaw(collector.url, await sealForCollector(collector.url, sampleBatch(5, random)), {
            localAddress,
            headers,
          });
          statuses.add(good.status);
          if (good.status === 202) accepted += JSON.parse(good.body).accepted;
          // Rejections go down the logging paths too.
          const leaky = sampleReport(random, {
            system: { modelFamily: 'x', os: 'android', osMajor: 14, language: 'en' },
          });
          (leaky.metrics as Record<string, unknown>)['page_load.time_by_site'] = {
            'jane@example.com': { sum: 1, count: 1, buckets: { 1: 1 } },
          };
          statuses.add(
            (
              await postRaw(collector.url, await sealForCollector(collector.url, { v: 1, reports: [leaky] }), {
                localAddress,
                headers,
              })
            ).status,
          );
          statuses.add((await postRaw(collector.url, Buffer.from('garbage'), { localAddress, headers })).status);
          const stale = sealEnvelope(99, Buffer.from(keys[0].publicKey, 'base64url'), '{}');
          statuses.add((await postRaw(collector.url, stale, { localAddress, headers })).status);
          statuses.add(
            (
              await postRaw(collector.url, Buffer.from('{}'), {
                localAddress,
                headers: { ...headers, 'content-type': 'text/plain' },
              })
            ).status,
          );
        }),
      );
    }
    const answer = await fetch(
      `${collector.url}/v1/query?metric=page_load.count&by=modelFamily&from=${SAMPLE_DAY}&to=${SAMPLE_DAY}`,
      {
        headers: { authorization: `Bearer ${collector.queryToken}`, 'user-agent': userAgents[0] as string },
      },
    );
    expect(answer.status).toBe(200);
    await collector.close();
    destination.flushSync();

    expect(accepted).toBe(addresses.length * 4 * 5);
    expect([...statuses].sort()).toEqual([202, 400, 415, 422]);
    const files = await allFiles(dir);
    expect(files.some((f) => f.endsWith('.duckdb'))).toBe(true);
    expect((await stat(logPath)).size).toBeGreaterThan(0);

    // The personal data the firewall rejected must not be anywhere either.
    const needles = [
      ...addresses,
      ...userAgents,
      ...forwarded,
      'probe-ua',
      'CandorProbeAgent',
      'Redmi Note 8',
      'jane@example.com',
    ];
    let searched = 0;
    for (const file of files) {
      const bytes = await readFile(file);
      const texts = [bytes.toString('latin1'), bytes.toString('utf16le')];
      for (const needle of needles)
        for (const text of texts) expect(text.includes(needle), `${needle} in ${file}`).toBe(false);
      searched += bytes.length;
    }
    // The search is real: it finds what the collector does write.
    const log = await readFile(logPath, 'utf8');
    expect(log).toContain('upload rejected');
    expect(log).toContain('personal-data');
    expect(searched).toBeGreaterThan(1000);
  });
});
