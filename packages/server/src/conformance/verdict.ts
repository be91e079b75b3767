import { gzipSync } from 'node:zlib';
import { encodeHeader, infoFor, type Registry } from '@candor/protocol';
import { createInspector } from '../ingest/inspect.js';
import { DEFAULT_LIMITS } from '../limits/limits.js';
import { generateX25519KeyPair, HpkeRecipient, sealBase } from '../open/hpke.js';

/** What the collector answers an upload: accepted, or the problem it is refused with. */
export type Verdict =
  | { status: 202; accepted: number }
  | { status: number; type: string; metric: string; field: string; detector?: string };

export interface VerdictOptions {
  registry: Registry;
  /** The collector's clock, for the accepted-day window. */
  now?: () => number;
}

const KEY_ID = 1;

/**
 * The collector's verdict on a batch, from ingest's own inspection (ingest/inspect.ts): the batch is sealed to a
 * throwaway key and inspected exactly as an upload is. The test vectors' verdicts come from here, so they are the
 * collector's by construction; server/test/protocol-vectors.test.ts also sends them to a running collector.
 */
export function createVerdictChecker(options: VerdictOptions): (batch: unknown) => Promise<Verdict> {
  const { privateKey, publicKey } = generateX25519KeyPair();
  const recipient = new HpkeRecipient(privateKey);
  const inspect = createInspector({
    registries: [options.registry],
    keys: { recipientFor: (id) => (id === KEY_ID ? recipient : undefined), refreshIfStale: async () => {} },
    limits: DEFAULT_LIMITS,
    // Only the verdict is used: nothing is stored or de-duplicated.
    dedupeSecret: new Uint8Array(32),
    flatten: false,
    ...(options.now ? { now: options.now } : {}),
  });
  const header = encodeHeader(KEY_ID);
  return async (batch) => {
    const json = Buffer.from(JSON.stringify(batch));
    const { enc, ciphertext } = sealBase(publicKey, infoFor(header), new Uint8Array(0), gzipSync(json));
    const inspection = await inspect(Buffer.concat([header, enc, ciphertext]));
    if (inspection.ok) return { status: 202, accepted: inspection.reports.length };
    const p = inspection.problem;
    return {
      status: p.status,
      type: p.type,
      metric: p.metric ?? '(upload)',
      field: p.field ?? '',
      ...(p.detector ? { detector: p.detector } : {}),
    };
  };
}
