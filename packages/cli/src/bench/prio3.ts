// `candor bench prio3`: what secret sharing costs. The SDK side: milliseconds and bytes per daily report with
// and without Prio3, the same report and registry but for the `prio3` flags, runs interleaved in one process so
// the ratio holds on a noisy machine. The aggregator side: full two-party preparations (leader init, helper
// init and combine, leader finish: what prio3/prepare.ts does per report) per second on one core, per circuit.
//   --quick   fewer iterations (for a smoke run)
import { generateKeyPairSync } from 'node:crypto';
import { defineRegistry, prio3Circuit, prio3Kind, type Registry } from '@candor/protocol';
import {
  decodeInputShare,
  decodePublicShare,
  HELPER,
  LEADER,
  prio3For,
  shardMeasurement,
} from '@candor/protocol/prio3';
import { createCandor, memoryQueueStorage } from '@candor/sdk';

const common = {
  owner: 'bench',
  purpose: 'Measuring Prio3 costs.',
  sensitivity: 'technical',
  expires: 'never',
} as const;

function benchRegistry(prio3: boolean): Registry {
  return defineRegistry({
    app: 'prio3-bench',
    version: '2026.11.1',
    metrics: {
      'b.count': {
        ...common,
        type: 'counter',
        category: 'ui',
        description: 'A counter, Sum over 10 bits.',
        max: 1023,
        prio3,
      },
      'b.theme': {
        ...common,
        type: 'enumeration',
        category: 'ui',
        description: 'An enumeration of four.',
        values: ['a', 'b', 'c', 'd'],
        prio3,
      },
      'b.tabs': {
        ...common,
        type: 'labeled_counter',
        category: 'ui',
        description: 'A labeled counter of five, 4 bits each.',
        labels: ['a', 'b', 'c', 'd', 'e'],
        max: 15,
        maxTotal: 75,
        prio3,
      },
      'b.load': {
        ...common,
        type: 'timing_distribution',
        category: 'ui',
        description: 'A timing, on the release buckets.',
        unit: 'ms',
        prio3,
      },
    },
  });
}

/** A fresh X25519 key served as both aggregators' key config (raw public key, base64url). */
function keyConfig(): string {
  const { publicKey } = generateKeyPairSync('x25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return JSON.stringify({
    keys: [{ id: 1, kem: 0x20, kdf: 1, aead: 1, publicKey: Buffer.from(raw).toString('base64url') }],
  });
}

/** One device-day end to end in the SDK (record, fold, share, seal, upload to a stand-in); returns ms and bytes. */
async function oneReport(registry: Registry, keys: string): Promise<{ ms: number; bytes: number }> {
  let bytes = 0;
  let now = Date.parse('2026-11-20T12:00:00Z');
  const candor = createCandor({
    registry,
    collector: 'http://leader.invalid',
    prio3Helper: 'http://helper.invalid',
    appVersion: '1.0.0',
    consent: { regime: 'opt-in', state: 'granted' },
    storage: memoryQueueStorage(),
    flushIntervalMs: 0,
    pageLifecycle: false,
    now: () => now,
    fetch: async (input, init) => {
      if (String(input).endsWith('/v1/keys'))
        return new Response(keys, { headers: { 'cache-control': 'max-age=300' } });
      bytes += (init?.body as Uint8Array | undefined)?.byteLength ?? 0;
      return new Response(null, { status: 202 });
    },
  });
  await candor.ready;
  candor.counter('b.count').add(17);
  candor.enumeration('b.theme').set('c');
  candor.labeledCounter('b.tabs').add('b', 3);
  for (let i = 0; i < 20; i++) candor.timing('b.load').record(50 + i * 40);
  await candor.flush();
  now += 86_400_000;
  const start = process.hrtime.bigint();
  await candor.flush();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  await candor.shutdown();
  return { ms, bytes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function benchSdkSide(rounds: number): Promise<void> {
  const keys = keyConfig();
  const plain = benchRegistry(false);
  const shared = benchRegistry(true);
  const a: { ms: number; bytes: number }[] = [];
  const b: { ms: number; bytes: number }[] = [];
  await oneReport(shared, keys); // loads the Prio3 code once, outside the timing
  for (let i = 0; i < rounds; i++) {
    a.push(await oneReport(plain, keys));
    b.push(await oneReport(shared, keys));
  }
  const ms = [median(a.map((r) => r.ms)), median(b.map((r) => r.ms))] as const;
  const bytes = [median(a.map((r) => r.bytes)), median(b.map((r) => r.bytes))] as const;
  console.log(
    'SDK, one daily report with a counter, an enumeration, a labeled counter and a timing (median of interleaved runs):',
  );
  console.log(`  plain:        ${ms[0].toFixed(2)} ms to build, seal and send, ${bytes[0]} B on the wire`);
  console.log(`  Prio3 shares: ${ms[1].toFixed(2)} ms, ${bytes[1]} B`);
  console.log(`  ratio Prio3 / plain: ${(ms[1] / ms[0]).toFixed(1)}x time, ${(bytes[1] / bytes[0]).toFixed(1)}x bytes`);
}

async function benchPreparations(durationMs: number): Promise<void> {
  const registry = benchRegistry(true);
  const verifyKey = Buffer.alloc(16, 7);
  console.log('Aggregators, report preparations per second on one core:');
  for (const [name, def] of Object.entries(registry.metrics)) {
    const kind = prio3Kind(def);
    const vdaf = prio3For(kind);
    const measurement =
      kind.type === 'sum' ? 17 : kind.type === 'count' ? true : kind.type === 'sumvec' ? [0, 3, 0, 1, 0] : 2;
    const nonce = crypto.getRandomValues(new Uint8Array(16));
    const shares = await shardMeasurement(kind, measurement, nonce);
    const n = Buffer.from(nonce);
    // Each side timed on its own: what one aggregator's core does per report.
    let done = 0;
    let leaderMs = 0;
    let helperMs = 0;
    const start = performance.now();
    while (performance.now() - start < durationMs) {
      let t = performance.now();
      const leader = await vdaf.prepareInit(
        verifyKey,
        LEADER,
        null,
        n,
        decodePublicShare(vdaf, shares.publicShare),
        await decodeInputShare(vdaf, LEADER, shares.leaderShare),
      );
      leaderMs += performance.now() - t;
      t = performance.now();
      const helper = await vdaf.prepareInit(
        verifyKey,
        HELPER,
        null,
        n,
        decodePublicShare(vdaf, shares.publicShare),
        await decodeInputShare(vdaf, HELPER, shares.helperShare),
      );
      const message = await vdaf.unshardPreparationShares(null, [leader.preparationShare, helper.preparationShare]);
      vdaf.prepareNext(helper.preparationState, message);
      helperMs += performance.now() - t;
      t = performance.now();
      vdaf.prepareNext(leader.preparationState, message);
      leaderMs += performance.now() - t;
      done++;
    }
    const rate = (ms: number) => ((done * 1000) / ms).toFixed(0);
    console.log(
      `  ${name.padEnd(8)} ${prio3Circuit(kind).padEnd(28)} leader ${rate(leaderMs).padStart(5)}/s, helper ${rate(helperMs).padStart(5)}/s, both in one process ${rate(leaderMs + helperMs).padStart(5)}/s`,
    );
  }
}

export async function benchPrio3(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  await benchSdkSide(quick ? 5 : 25);
  await benchPreparations(quick ? 300 : 2000);
}
