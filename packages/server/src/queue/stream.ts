import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/**
 * The JetStream stream accepted reports wait in until a writer has stored them.
 *
 * - Work-queue retention: a message is deleted once a writer acknowledged it, so reports do not linger.
 * - File storage, and discard-new when full: a full stream refuses new reports (the collector answers 503 and
 *   clients retry) instead of dropping accepted ones.
 * - The duplicate window is how long a report id is remembered; a client retrying within it (say after a
 *   collector died between publishing and answering) is stored once.
 */
export interface StreamSettings {
  name: string;
  /** Reports are published on `${subjectPrefix}.${app}`. */
  subjectPrefix: string;
  duplicateWindowMs: number;
  /** JetStream replicas (1 on a single node, 3 on a cluster). */
  replicas: number;
  /** -1 for no limit. */
  maxBytes: number;
}

export const DEFAULT_STREAM: StreamSettings = {
  name: 'CANDOR_REPORTS',
  subjectPrefix: 'candor.reports',
  duplicateWindowMs: 60 * 60_000,
  replicas: 1,
  maxBytes: -1,
};

export interface ConsumerSettings {
  durable: string;
  /**
   * How long a delivered, unacknowledged message waits before it is delivered again. Short, so the batch of a
   * killed writer comes back soon; a live writer signals progress on long inserts so its batch stays its own.
   */
  ackWaitMs: number;
  maxAckPending: number;
}

export const DEFAULT_CONSUMER: ConsumerSettings = {
  durable: 'candor-writer',
  ackWaitMs: 10_000,
  maxAckPending: 50_000,
};

/** Creates the stream if it does not exist; returns its identity (name and creation time). */
export async function ensureStream(jsm: JetStreamManager, settings: StreamSettings = DEFAULT_STREAM): Promise<string> {
  const existing = await jsm.streams.info(settings.name).catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  if (existing) return `${existing.config.name}@${existing.created}`;
  try {
    const created = await jsm.streams.add({
      name: settings.name,
      subjects: [`${settings.subjectPrefix}.>`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.New,
      duplicate_window: nanos(settings.duplicateWindowMs),
      num_replicas: settings.replicas,
      max_bytes: settings.maxBytes,
    });
    return `${created.config.name}@${created.created}`;
  } catch (error) {
    // Another collector or writer created it first.
    const info = await jsm.streams.info(settings.name).catch(() => null);
    if (info) return `${info.config.name}@${info.created}`;
    throw error;
  }
}

/** Creates the writers' durable pull consumer if it does not exist. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  settings: ConsumerSettings = DEFAULT_CONSUMER,
): Promise<void> {
  const existing = await jsm.consumers.info(stream, settings.durable).catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  if (existing) return;
  await jsm.consumers.add(stream, {
    durable_name: settings.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.ackWaitMs),
    max_ack_pending: settings.maxAckPending,
    max_deliver: -1,
  });
}

/**
 * Where messages that can never be stored go: a stream of its own (limits retention, kept 30 days), so they can
 * be looked at and counted, and never hold up the reports behind them. Its subject sits beside the reports'
 * (`candor.reports_dead`), outside the report stream's `candor.reports.>`.
 */
export function deadLetterStream(settings: StreamSettings): { name: string; subject: string } {
  return { name: `${settings.name}_DEAD`, subject: `${settings.subjectPrefix}_dead` };
}

export async function ensureDeadLetterStream(jsm: JetStreamManager, settings: StreamSettings): Promise<void> {
  const { name, subject } = deadLetterStream(settings);
  const existing = await jsm.streams.info(name).catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  if (existing) return;
  await jsm.streams
    .add({
      name,
      subjects: [subject],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(30 * 24 * 60 * 60_000),
      duplicate_window: nanos(settings.duplicateWindowMs),
      num_replicas: settings.replicas,
    })
    .catch(async (error: unknown) => {
      // Another writer created it first.
      if (!(await jsm.streams.info(name).catch(() => null))) throw error;
    });
}

/**
 * Messages a work-queue stream still holds below its consumer's ack floor, up to `limit` sequences looked at. A
 * nats-server killed with SIGKILL can come back with the consumer's acknowledgements on disk but not the
 * deletions they caused: those messages are never delivered again and would stay forever. Its stream sequence can
 * also go back, so a new message may sit below the floor too, never to be delivered: the writer stores what it
 * finds here (its id check skips what is stored) before deleting it.
 */
export async function messagesBelowAckFloor(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  limit = 5_000,
): Promise<{ seq: number; data: Uint8Array }[]> {
  const floor = (await jsm.consumers.info(stream, durable)).ack_floor.stream_seq;
  const state = (await jsm.streams.info(stream)).state;
  if (state.messages === 0 || state.first_seq > floor) return [];
  const found: { seq: number; data: Uint8Array }[] = [];
  const last = Math.min(floor, state.first_seq + limit - 1);
  for (let seq = state.first_seq; seq <= last; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq }).catch((error: unknown) => {
      // A deleted sequence: "no message found".
      if (error instanceof Error && /no message|not found/i.test(error.message)) return null;
      throw error;
    });
    if (message) found.push({ seq, data: message.data });
  }
  return found;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /not found/i.test(error.message);
}
