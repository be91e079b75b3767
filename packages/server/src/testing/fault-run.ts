import { REPORT_VERSION, SEALED_CONTENT_TYPE } from '@candor/protocol';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { sealEnvelope } from '../open/envelope.js';
import { DEFAULT_CONSUMER } from '../queue/stream.js';
import { parseNatsUrl } from '../queue/url.js';
import type { ClickHouseStore } from '../store/clickhouse/store.js';
import { numberedReport, storedNumbers } from './numbered-reports.js';

/**
 * A load with a fault in the middle, for the scale-out fault test and `candor bench scale`: clients send sealed
 * uploads of numbered reports to the collectors, and like phones they send the very same upload again, to the
 * next collector, on a network error or a 5xx until one answers 2xx. When `faultAt` reports have been accepted,
 * `fault` runs (say, nats-server SIGKILLed and started again) while the clients carry on. Afterwards
 * `countCopies` says how many reports were stored twice and how many accepted ones are missing.
 */
export interface FaultLoadOptions {
  /** Collector base URLs (http://127.0.0.1:PORT), tried round robin. */
  collectors: string[];
  key: { id: number; publicKey: Uint8Array };
  /** Reports numbered first..first+reports-1. */
  first: number;
  reports: number;
  perUpload: number;
  /** Uploads in flight. */
  clients: number;
  random: () => number;
  faultAt: number;
  fault: () => Promise<void>;
}

export interface FaultLoad {
  /** Numbers of the reports whose upload was answered 2xx. */
  accepted: number[];
  /** Uploads sent again after an error or a 5xx. */
  retries: number;
  seconds: number;
}

export async function runFaultLoad(options: FaultLoadOptions): Promise<FaultLoad> {
  const accepted: number[] = [];
  let retries = 0;
  let next = options.first;
  const last = options.first + options.reports - 1;
  let turn = 0;
  let faulted: Promise<void> | null = null;
  const started = performance.now();
  const client = async () => {
    while (next <= last) {
      const numbers = Array.from({ length: Math.min(options.perUpload, last - next + 1) }, () => next++);
      const reports = numbers.map((n) => numberedReport(n, options.random));
      const body = new Uint8Array(
        sealEnvelope(options.key.id, options.key.publicKey, JSON.stringify({ v: REPORT_VERSION, reports })),
      );
      for (let attempt = 0; ; attempt++) {
        if (attempt > 600) throw new Error('an upload never got through');
        const url = options.collectors[turn++ % options.collectors.length];
        const response = await fetch(`${url}/v1/reports`, {
          method: 'POST',
          headers: { 'content-type': SEALED_CONTENT_TYPE },
          body,
          signal: AbortSignal.timeout(15_000),
        }).catch(() => null);
        const status = response?.status ?? 0;
        await response?.arrayBuffer().catch(() => null);
        if (status >= 200 && status < 300) {
          accepted.push(...numbers);
          break;
        }
        if (status >= 400 && status < 500 && status !== 429) throw new Error(`upload rejected with ${status}`);
        retries++;
        await new Promise((r) => setTimeout(r, 50 + Math.floor(options.random() * 100)));
      }
      if (!faulted && accepted.length >= options.faultAt) faulted = options.fault();
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  await faulted;
  return { accepted: accepted.sort((a, b) => a - b), retries, seconds: (performance.now() - started) / 1000 };
}

export interface Copies {
  /** Extra copies stored of accepted reports. */
  duplicates: number;
  /** Accepted reports not stored. */
  lost: number;
  /** Stored reports in the range that were never accepted. */
  unexpected: number;
  stored: number;
}

/** Compares what is stored for reports first..first+count-1 with the accepted ones. */
export async function countCopies(
  store: ClickHouseStore,
  accepted: readonly number[],
  first: number,
  count: number,
): Promise<Copies> {
  const copies = new Map<number, number>();
  let stored = 0;
  for (const n of await storedNumbers(store)) {
    if (n < first || n >= first + count) continue;
    copies.set(n, (copies.get(n) ?? 0) + 1);
    stored++;
  }
  const wanted = new Set(accepted);
  let duplicates = 0;
  let unexpected = 0;
  for (const [n, c] of copies) {
    if (wanted.has(n)) duplicates += c - 1;
    else unexpected += c;
  }
  let lost = 0;
  for (const n of wanted) if (!copies.has(n)) lost++;
  return { duplicates, lost, unexpected, stored };
}

/** What the work-queue stream still holds, and what its writer consumer has yet to deliver or see acknowledged. */
export async function queueState(
  queue: string,
  stream: string,
  durable = DEFAULT_CONSUMER.durable,
): Promise<{ messages: number; pending: number; ackPending: number }> {
  const connection = await connect({ servers: parseNatsUrl(queue) });
  try {
    const jsm = await jetstreamManager(connection);
    const [streamInfo, consumerInfo] = await Promise.all([
      jsm.streams.info(stream),
      jsm.consumers.info(stream, durable),
    ]);
    return {
      messages: streamInfo.state.messages,
      pending: consumerInfo.num_pending,
      ackPending: consumerInfo.num_ack_pending,
    };
  } finally {
    await connection.close();
  }
}
