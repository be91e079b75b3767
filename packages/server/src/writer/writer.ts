import { candorBrowserRegistry, type Registry } from '@candor/protocol';
import { type Consumer, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decodeReport } from '../queue/message.js';
import {
  type ConsumerSettings,
  DEFAULT_CONSUMER,
  DEFAULT_STREAM,
  ensureConsumer,
  ensureStream,
  type StreamSettings,
} from '../queue/stream.js';
import { parseNatsUrl } from '../queue/url.js';
import type { IngestItem } from '../store/clickhouse/ingest.js';
import { ClickHouseStore } from '../store/clickhouse/store.js';
import { flattenReport } from '../store/rows.js';

/** Where the writer says what it is doing; pino loggers fit. */
export interface WriterLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const silent: WriterLog = { info() {}, warn() {}, error() {} };

export interface WriterOptions {
  /** nats://HOST:4222 */
  queue: string;
  /** clickhouse://HOST:8123/DB, or an open store (the writer then leaves closing it to the caller). */
  store: string | ClickHouseStore;
  /** Registries of the apps whose reports the collectors accept. */
  registries?: Registry[];
  /** Most messages per batch. */
  batchSize?: number;
  /** Longest wait for a batch to fill, in milliseconds (JetStream pull requests last at least 1000). */
  maxWaitMs?: number;
  stream?: Partial<StreamSettings>;
  consumer?: Partial<ConsumerSettings>;
  log?: WriterLog;
}

export interface WriterStats {
  batches: number;
  /** Reports inserted into ClickHouse. */
  inserted: number;
  /** Redelivered reports found already stored and only acknowledged. */
  skipped: number;
  /** Failed insert attempts (each retried). */
  failedAttempts: number;
}

export interface RunningWriter {
  stats: WriterStats;
  /** Finishes the batch in hand, then disconnects. Unfinished work stays in the stream for the next writer. */
  stop(): Promise<void>;
  /** Settles when the writer loop ends. */
  done: Promise<void>;
}

/**
 * The writer role: pulls reports from JetStream in batches, flattens them, stores them in ClickHouse exactly
 * once (see store/clickhouse/ingest.ts), and only then acknowledges them. A writer killed at any point loses
 * nothing (unacknowledged messages are delivered again) and double-counts nothing (already stored sequences
 * are skipped). Several writers may share the durable consumer; docs/scale.md names the one caveat.
 */
export async function startWriter(options: WriterOptions): Promise<RunningWriter> {
  const log = options.log ?? silent;
  const streamSettings = { ...DEFAULT_STREAM, ...options.stream };
  const consumerSettings = { ...DEFAULT_CONSUMER, ...options.consumer };
  const registries = new Map((options.registries ?? [candorBrowserRegistry]).map((r) => [r.app, r]));
  const batchSize = options.batchSize ?? 2000;
  const maxWaitMs = Math.max(options.maxWaitMs ?? 1000, 1000);

  const ownsStore = typeof options.store === 'string';
  const store = typeof options.store === 'string' ? await ClickHouseStore.open({ url: options.store }) : options.store;
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers: parseNatsUrl(options.queue),
      name: 'candor-writer',
      // A writer started before the queue is up waits for it rather than exiting.
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
  } catch (error) {
    if (ownsStore) await store.close();
    throw error;
  }
  const jsm = await jetstreamManager(connection);
  const source = await ensureStream(jsm, streamSettings);
  await ensureConsumer(jsm, streamSettings.name, consumerSettings);
  const consumer = await jetstream(connection).consumers.get(streamSettings.name, consumerSettings.durable);
  await store.ingest
    .dropStaleStaging()
    .catch((error: unknown) => log.warn({ err: error }, 'could not drop stale staging tables'));

  const stats: WriterStats = { batches: 0, inserted: 0, skipped: 0, failedAttempts: 0 };
  let stopping = false;
  let wakeUp: () => void = () => {};

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Stores the batch, retrying until it lands or the writer stops; keeps the messages from being redelivered meanwhile. */
  const storeBatch = async (items: IngestItem[], messages: JsMsg[]): Promise<boolean> => {
    // Tell the stream the batch is still being worked on, so it is not handed out again while the insert runs.
    const keepAlive = setInterval(() => {
      for (const m of messages) m.working();
    }, consumerSettings.ackWaitMs / 3);
    try {
      return await storeUntilDone(items, 250);
    } finally {
      clearInterval(keepAlive);
    }
  };

  const storeUntilDone = async (items: IngestItem[], firstDelay: number): Promise<boolean> => {
    let delay = firstDelay;
    for (;;) {
      try {
        const result = await store.ingest.ingest(source, items);
        stats.inserted += result.inserted;
        stats.skipped += result.skipped;
        if (result.skipped > 0) log.info({ skipped: result.skipped }, 'redelivered reports were already stored');
        return true;
      } catch (error) {
        stats.failedAttempts++;
        log.warn(
          { err: error instanceof Error ? error.message : String(error), retryInMs: delay },
          'insert failed; retrying',
        );
      }
      if (stopping) return false;
      await pause(delay);
      if (stopping) return false;
      delay = Math.min(delay * 2, 5_000);
    }
  };

  const handleBatch = async (messages: JsMsg[]) => {
    const items: IngestItem[] = [];
    const ready: JsMsg[] = [];
    for (const message of messages) {
      let report: ReturnType<typeof decodeReport>;
      try {
        report = decodeReport(message.data);
      } catch (error) {
        // Collectors publish only checked reports, so this is corruption: keep it out of the totals, loudly.
        log.error({ sequence: message.seq, err: (error as Error).message }, 'dropping a corrupt queued message');
        message.term();
        continue;
      }
      const registry = registries.get(report.app);
      if (!registry) {
        // A collector accepts this app but this writer was not given its registry: leave it for one that is.
        log.error({ app: report.app, sequence: message.seq }, 'no registry for this app; leaving the report queued');
        message.nak(30_000);
        continue;
      }
      items.push({ sequence: message.seq, rows: flattenReport(report, registry) });
      ready.push(message);
    }
    if (items.length === 0) return;
    if (!(await storeBatch(items, ready))) return;
    for (const message of ready) message.ack();
    stats.batches++;
  };

  const loop = async () => {
    while (!stopping) {
      let messages: JsMsg[] = [];
      try {
        messages = await fetchBatch(consumer, batchSize, maxWaitMs);
      } catch (error) {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'fetch from the queue failed');
        await pause(500);
        continue;
      }
      if (messages.length > 0) await handleBatch(messages);
    }
  };

  const done = loop().finally(async () => {
    await connection.drain().catch(() => connection.close());
    if (ownsStore) await store.close();
  });

  return {
    stats,
    done,
    async stop() {
      stopping = true;
      wakeUp();
      await done;
    },
  };
}

async function fetchBatch(consumer: Consumer, max: number, expiresMs: number): Promise<JsMsg[]> {
  const messages: JsMsg[] = [];
  const batch = await consumer.fetch({ max_messages: max, expires: expiresMs });
  for await (const message of batch) messages.push(message);
  return messages;
}
