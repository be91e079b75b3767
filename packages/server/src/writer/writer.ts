import { candorBrowserRegistry, type Registry } from '@candor/protocol';
import { type Consumer, type JetStreamClient, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import {
  type ConsumerSettings,
  DEFAULT_CONSUMER,
  DEFAULT_STREAM,
  deadLetterStream,
  ensureConsumer,
  ensureDeadLetterStream,
  ensureStream,
  messagesBelowAckFloor,
  type StreamSettings,
} from '../queue/stream.js';
import { parseNatsUrl } from '../queue/url.js';
import type { IngestItem, IngestResult } from '../store/clickhouse/ingest.js';
import { ClickHouseStore } from '../store/clickhouse/store.js';
import { flattenReport } from '../store/rows.js';
import { createMessageChecker } from './checks.js';

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
  /** Reports found already stored (a redelivery, or a copy sent again) and only acknowledged. */
  skipped: number;
  /** Messages dropped as repeats within a batch: a sequence delivered twice, or a report id seen twice. */
  repeats: number;
  /** Messages that can never be stored, moved to the dead-letter stream. */
  deadLettered: number;
  /** Acknowledged messages a restarted nats-server still held, removed from the stream. */
  removedFromQueue: number;
  /** Failed insert attempts (each retried). */
  failedAttempts: number;
}

/** How often the writer sweeps leftovers: acknowledged messages still in the stream, stale staging tables. */
const HOUSEKEEPING_MS = 30_000;

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
  const registries: Registry[] = options.registries ?? [candorBrowserRegistry];
  const checkMessage = createMessageChecker(registries);
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
  const js: JetStreamClient = jetstream(connection);
  const deadLetters = deadLetterStream(streamSettings);
  const setUp = async () => {
    const source = await ensureStream(jsm, streamSettings);
    await ensureConsumer(jsm, streamSettings.name, consumerSettings);
    // The consumer may have been created with another ack wait than this writer's default: keep up with its own.
    const info = await jsm.consumers.info(streamSettings.name, consumerSettings.durable);
    await ensureDeadLetterStream(jsm, streamSettings);
    const consumer = await js.consumers.get(streamSettings.name, consumerSettings.durable);
    return { source, ackWaitMs: Number(info.config.ack_wait) / 1e6, consumer };
  };
  // A nats-server that dies while the writer starts makes these calls time out: wait for it, as at connect.
  let ready: Awaited<ReturnType<typeof setUp>> | null = null;
  for (let attempt = 1; !ready; attempt++) {
    try {
      ready = await setUp();
    } catch (error) {
      if (attempt >= 120) {
        await connection.close();
        if (ownsStore) await store.close();
        throw error;
      }
      log.warn({ err: errorText(error) }, 'could not set up the queue; retrying');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  const { source, ackWaitMs } = ready;
  let consumer = ready.consumer;

  const stats: WriterStats = {
    batches: 0,
    inserted: 0,
    skipped: 0,
    repeats: 0,
    deadLettered: 0,
    removedFromQueue: 0,
    failedAttempts: 0,
  };
  let stopping = false;
  let nextHousekeeping = 0;

  // After a reconnect (a restarted nats-server), look for acknowledged messages it brought back right away.
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'reconnect') nextHousekeeping = 0;
    }
  })();

  const housekeeping = async () => {
    nextHousekeeping = Date.now() + HOUSEKEEPING_MS;
    try {
      await sweepBelowAckFloor();
    } catch (error) {
      log.warn({ err: errorText(error) }, 'could not check the queue for acknowledged messages');
    }
    try {
      const dropped = await store.ingest.dropStaleStaging();
      if (dropped > 0) log.info({ dropped }, 'dropped staging tables left by killed writers');
    } catch (error) {
      log.warn({ err: errorText(error) }, 'could not drop stale staging tables');
    }
  };
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
  const storeBatch = async (items: IngestItem[], messages: JsMsg[]): Promise<IngestResult | null> => {
    // Tell the stream the batch is still being worked on, so it is not handed out again while the insert runs.
    const keepAlive = setInterval(() => {
      for (const m of messages) m.working();
    }, ackWaitMs / 3);
    try {
      return await storeUntilDone(items, 250);
    } finally {
      clearInterval(keepAlive);
    }
  };

  const storeUntilDone = async (items: IngestItem[], firstDelay: number): Promise<IngestResult | null> => {
    let delay = firstDelay;
    for (;;) {
      try {
        const result = await store.ingest.ingest(items);
        stats.inserted += result.inserted;
        stats.skipped += result.skipped;
        return result;
      } catch (error) {
        stats.failedAttempts++;
        log.warn({ err: errorText(error), retryInMs: delay }, 'insert failed; retrying');
      }
      if (stopping) return null;
      await pause(delay);
      if (stopping) return null;
      delay = Math.min(delay * 2, 5_000);
    }
  };

  /** Copies a message that can never be stored to the dead-letter stream; false when that failed. */
  const deadLetter = async (sequence: number, data: Uint8Array, reason: string, personal = false) => {
    const h = headers();
    h.set('Candor-Reason', reason.slice(0, 1000));
    h.set('Candor-Stream-Sequence', String(sequence));
    try {
      // Personal data is not kept anywhere, not even here: only the reason goes on.
      const ack = await js.publish(deadLetters.subject, personal ? new Uint8Array() : data, {
        msgID: `${source}:${sequence}`,
        headers: h,
      });
      if (ack.duplicate) return true;
    } catch (error) {
      log.warn({ sequence, err: errorText(error) }, 'could not dead-letter a message; retrying later');
      return false;
    }
    stats.deadLettered++;
    log.error({ sequence, reason, deadLettered: stats.deadLettered }, 'dead-lettered a message');
    return true;
  };

  /**
   * Stores, then deletes, what the stream holds below the consumer's ack floor (see messagesBelowAckFloor): mostly
   * acknowledged reports a killed nats-server brought back, which the id check skips.
   */
  const sweepBelowAckFloor = async () => {
    const found = await messagesBelowAckFloor(jsm, streamSettings.name, consumerSettings.durable);
    if (found.length === 0) return;
    const items: IngestItem[] = [];
    const removable = new Set<number>();
    for (const { seq, data } of found) {
      const checked = checkMessage(data);
      if (checked.ok) {
        const { report, registry } = checked;
        items.push({ sequence: seq, id: report.id, day: report.day, rows: flattenReport(report, registry) });
      } else if (!('unknownApp' in checked)) {
        if (await deadLetter(seq, data, checked.reason, checked.personal)) removable.add(seq);
      }
    }
    const result = await store.ingest.ingest(items);
    stats.inserted += result.inserted;
    stats.skipped += result.skipped;
    const refused = new Set(result.refused.map((r) => r.sequence));
    for (const { sequence, reason } of result.refused) {
      const data = found.find((f) => f.seq === sequence)?.data ?? new Uint8Array();
      if (await deadLetter(sequence, data, reason)) removable.add(sequence);
    }
    for (const item of items) if (!refused.has(item.sequence)) removable.add(item.sequence);
    let removed = 0;
    for (const seq of removable) {
      if (await jsm.streams.deleteMessage(streamSettings.name, seq, false).catch(() => false)) removed++;
    }
    stats.removedFromQueue += removed;
    log.warn(
      { removed, alreadyStored: result.skipped, storedNow: result.inserted },
      'removed messages the queue held below its ack floor',
    );
  };

  const handleBatch = async (messages: JsMsg[]) => {
    const before = { ...stats };
    const items: IngestItem[] = [];
    const ready: JsMsg[] = [];
    // Acknowledged once the batch is stored: sequences delivered twice, reports seen twice.
    const repeats: JsMsg[] = [];
    const rejected: { message: JsMsg; reason: string; personal?: boolean }[] = [];
    const sequences = new Set<number>();
    const ids = new Set<string>();
    const bySequence = new Map<number, JsMsg>();
    for (const message of messages) {
      // A restarted nats-server can deliver one sequence several times in one batch.
      if (sequences.has(message.seq)) {
        repeats.push(message);
        continue;
      }
      sequences.add(message.seq);
      const checked = checkMessage(message.data);
      if (!checked.ok) {
        if ('unknownApp' in checked) {
          // A collector accepts this app but this writer was not given its registry: leave it for one that is.
          log.error({ app: checked.unknownApp, sequence: message.seq }, 'no registry for this app; leaving it queued');
          message.nak(30_000);
        } else {
          rejected.push({ message, reason: checked.reason, ...(checked.personal ? { personal: true } : {}) });
        }
        continue;
      }
      const { report, registry } = checked;
      // The same report sent again after the stream forgot its id arrives under a new sequence.
      if (ids.has(report.id)) {
        repeats.push(message);
        continue;
      }
      ids.add(report.id);
      items.push({ sequence: message.seq, id: report.id, day: report.day, rows: flattenReport(report, registry) });
      ready.push(message);
      bySequence.set(message.seq, message);
    }
    if (items.length > 0) {
      const result = await storeBatch(items, [...ready, ...repeats]);
      if (!result) return;
      const refused = new Set(result.refused.map((r) => r.sequence));
      for (const { sequence, reason } of result.refused) {
        const message = bySequence.get(sequence);
        if (message) rejected.push({ message, reason });
      }
      // Ingest drops repeats too (by sequence and id); their kept copy is stored, so they are acknowledged.
      for (const message of ready) if (!refused.has(message.seq)) message.ack();
      stats.repeats += result.repeats.length;
    }
    for (const message of repeats) message.ack();
    stats.repeats += repeats.length;
    for (const { message, reason, personal } of rejected) {
      // Acknowledged, not terminated: nats-server 2.9 keeps terminated messages in a work-queue stream.
      if (await deadLetter(message.seq, message.data, reason, personal)) message.ack();
      else message.nak(5_000);
    }
    stats.batches++;
    log.info(
      {
        messages: messages.length,
        sequences: `${messages[0]?.seq}-${messages[messages.length - 1]?.seq}`,
        inserted: stats.inserted - before.inserted,
        skipped: stats.skipped - before.skipped,
        repeats: stats.repeats - before.repeats,
        deadLettered: stats.deadLettered - before.deadLettered,
      },
      'batch done',
    );
  };

  const loop = async () => {
    while (!stopping) {
      if (Date.now() >= nextHousekeeping) await housekeeping();
      let messages: JsMsg[] = [];
      try {
        messages = await fetchBatch(consumer, batchSize, maxWaitMs);
      } catch (error) {
        log.warn({ err: errorText(error) }, 'fetch from the queue failed');
        // A nats-server killed soon after the consumer was created can come back without it: create it again.
        // It then delivers everything the stream holds, which the id check in ClickHouse sorts out.
        if (/not found/i.test(errorText(error))) {
          try {
            await ensureStream(jsm, streamSettings);
            await ensureConsumer(jsm, streamSettings.name, consumerSettings);
            consumer = await js.consumers.get(streamSettings.name, consumerSettings.durable);
            log.warn(
              { consumer: consumerSettings.durable },
              'the queue had lost the writer consumer; created it again',
            );
          } catch (again) {
            log.warn({ err: errorText(again) }, 'could not create the writer consumer again');
          }
        }
        await pause(500);
        continue;
      }
      if (messages.length > 0) await handleBatch(messages);
    }
  };

  const done = loop().finally(async () => {
    await store.ingest.dropStaging().catch(() => {});
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One pull of up to `max` messages. A pull request sent just before nats-server died can be lost without an error,
 * so a watchdog closes the pull after its expiry plus a margin; messages received before an error or the
 * watchdog are kept, since they were delivered and will be acknowledged or redelivered like any other.
 */
async function fetchBatch(consumer: Consumer, max: number, expiresMs: number): Promise<JsMsg[]> {
  const messages: JsMsg[] = [];
  const batch = await consumer.fetch({ max_messages: max, expires: expiresMs });
  const watchdog = setTimeout(() => void batch.close(), expiresMs + 5_000);
  try {
    for await (const message of batch) messages.push(message);
  } catch (error) {
    if (messages.length === 0) throw error;
  } finally {
    clearTimeout(watchdog);
  }
  return messages;
}
