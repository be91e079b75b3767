import { ClickHouseStore } from '../store/clickhouse/store.js';
import type { ReportSink, ReportStore } from '../store/types.js';
import { NatsReportSink } from './sink.js';
import type { StreamSettings } from './stream.js';

/** What `candor serve --store clickhouse://… [--queue nats://…]` hands the collector. */
export interface ScaleOutParts {
  /** The ClickHouse store the query layer reads. */
  store: ReportStore;
  /** With a queue: the JetStream sink, so the collector keeps no reports of its own. */
  sink?: ReportSink;
  close(): Promise<void>;
}

export function isClickHouseSpec(spec: string | undefined): boolean {
  return spec !== undefined && /^clickhouses?:\/\//.test(spec);
}

/**
 * Opens the scale-out store and queue for a collector, or returns null for the embedded setup. A queue needs a
 * ClickHouse store: writers fill ClickHouse from the queue, so that is where queries must read.
 */
export async function openScaleOut(options: {
  store: string | undefined;
  queue?: string | undefined;
  stream?: Partial<StreamSettings>;
}): Promise<ScaleOutParts | null> {
  if (!isClickHouseSpec(options.store)) {
    if (options.queue) {
      throw new Error('--queue needs --store clickhouse://HOST:8123/DB (the writers fill ClickHouse from the queue)');
    }
    return null;
  }
  const store = await ClickHouseStore.open({ url: options.store as string });
  let sink: NatsReportSink | undefined;
  if (options.queue) {
    try {
      sink = await NatsReportSink.open({ queue: options.queue, ...(options.stream ? { stream: options.stream } : {}) });
    } catch (error) {
      await store.close();
      throw new Error(
        `cannot reach the queue at ${options.queue}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return {
    store,
    ...(sink ? { sink } : {}),
    async close() {
      await sink?.close();
      await store.close();
    },
  };
}
