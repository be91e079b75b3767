// The cost of sending through an Oblivious HTTP relay, side by side with sending straight to the collector in the
// same run: one device's daily send (key fetches as a once-a-day sender makes them, seal, upload, answer) timed
// end to end on loopback with an in-process collector and relay, and the bytes each send puts on the wire.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry } from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { startCollector, startRelay } from '@candor/server';

const DAY_MS = 86_400_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function benchRelay(quick: boolean): Promise<void> {
  const rounds = quick ? 10 : 40;
  const dir = await mkdtemp(join(tmpdir(), 'candor-bench-relay-'));
  let now = Date.now() - rounds * DAY_MS;
  const collector = await startCollector({
    keysDir: join(dir, 'keys'),
    store: 'duckdb::memory:',
    dashboardDir: null,
    rateLimit: false,
    createQueryToken: false,
    log: { level: 'silent' },
    now: () => now,
  });
  const relay = await startRelay({
    gateway: `${collector.url}/ohttp-gateway`,
    ratePerMinute: false,
    log: { level: 'silent' },
  });
  const wire = { direct: 0, relay: 0 };
  const counting =
    (key: keyof typeof wire): typeof fetch =>
    async (input, init) => {
      const response = await fetch(input, init);
      const body = new Uint8Array(await response.arrayBuffer());
      wire[key] += ((init?.body as Uint8Array | undefined)?.length ?? 0) + body.length;
      return new Response(body, { status: response.status, headers: response.headers });
    };
  const device = (key: keyof typeof wire) =>
    createCandor({
      registry: candorBrowserRegistry,
      collector: collector.url,
      ...(key === 'relay' ? { relay: { url: relay.url } } : {}),
      appVersion: '3.4.0',
      system: { modelFamily: 'Redmi Note 8', os: 'android', osMajor: 14, language: 'en-GB' },
      consent: { regime: 'opt-out' },
      storage: memoryQueueStorage(),
      flushIntervalMs: 0,
      pageLifecycle: false,
      fetch: counting(key),
      now: () => now,
    });
  const direct = device('direct');
  const relayed = device('relay');
  await Promise.all([direct.ready, relayed.ready]);
  const times = { direct: [] as number[], relay: [] as number[] };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const c of [direct, relayed]) {
        c.counter('page_load.count').add(5);
        c.site('page_load.time_by_site').record('https://example.com/', 420);
        await c.flush();
      }
      now += DAY_MS;
      // Interleaved, so a busy moment on the machine slows both alike.
      for (const [key, c] of [
        ['direct', direct],
        ['relay', relayed],
      ] as const) {
        const started = performance.now();
        await c.flush();
        times[key].push(performance.now() - started);
      }
    }
  } finally {
    await Promise.all([direct.shutdown(), relayed.shutdown()]);
    await relay.close();
    await collector.close();
    await rm(dir, { recursive: true, force: true });
  }
  const a = median(times.direct);
  const b = median(times.relay);
  const sent = { direct: direct.transparencyLog().length, relay: relayed.transparencyLog().length };
  console.log(`\nsending through an Oblivious HTTP relay (RFC 9458), median of ${rounds} daily sends each, loopback`);
  console.log(`  ${''.padEnd(34)}${'direct'.padStart(10)}${'via relay'.padStart(12)}${'ratio'.padStart(9)}`);
  console.log(
    `  ${'ms per daily send (keys, seal, up)'.padEnd(34)}${a.toFixed(2).padStart(10)}${b.toFixed(2).padStart(12)}${(b / a).toFixed(2).padStart(9)}`,
  );
  console.log(
    `  ${'bytes on the wire per send'.padEnd(34)}${String(Math.round(wire.direct / rounds)).padStart(10)}${String(Math.round(wire.relay / rounds)).padStart(12)}${(wire.relay / wire.direct).toFixed(2).padStart(9)}`,
  );
  console.log(
    `  check: reports logged as sent: direct ${sent.direct}, via relay ${sent.relay}; collector accepted ${collector.stats.accepted} (expected ${2 * rounds})`,
  );
}
