import type { Report } from '@candor/protocol';
import { type JetStreamClient, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ReportSink } from '../store/types.js';
import { encodeReport } from './message.js';
import { DEFAULT_STREAM, ensureStream, type StreamSettings } from './stream.js';
import { parseNatsUrl } from './url.js';

export interface NatsSinkOptions {
  /** nats://HOST:4222 (comma-separated for several servers). */
  queue: string;
  stream?: Partial<StreamSettings>;
  /** Milliseconds to wait for the stream's acknowledgement of one report. */
  publishTimeoutMs?: number;
}

/**
 * The scale-out ReportSink: each accepted report is published to JetStream with its report id as the message id
 * (Nats-Msg-Id), so a retried report within the duplicate window is stored once. `accept` resolves only when
 * the stream acknowledged every report, so a client's 2xx means its reports are durable in the stream.
 */
export class NatsReportSink implements ReportSink {
  readonly #connection: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #subjectPrefix: string;
  readonly #timeout: number;

  private constructor(connection: NatsConnection, subjectPrefix: string, timeout: number) {
    this.#connection = connection;
    this.#js = jetstream(connection);
    this.#subjectPrefix = subjectPrefix;
    this.#timeout = timeout;
  }

  static async open(options: NatsSinkOptions): Promise<NatsReportSink> {
    const settings = { ...DEFAULT_STREAM, ...options.stream };
    const connection = await connect({
      servers: parseNatsUrl(options.queue),
      name: 'candor-collector',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    try {
      await ensureStream(await jetstreamManager(connection), settings);
    } catch (error) {
      await connection.close();
      throw error;
    }
    return new NatsReportSink(connection, settings.subjectPrefix, options.publishTimeoutMs ?? 10_000);
  }

  async accept(reports: Report[]): Promise<void> {
    // Published together; if any fails the whole batch fails, and the client's retry is de-duplicated by id.
    await Promise.all(
      reports.map((report) =>
        this.#js.publish(`${this.#subjectPrefix}.${report.app}`, encodeReport(report), {
          msgID: report.id,
          timeout: this.#timeout,
        }),
      ),
    );
  }

  async close(): Promise<void> {
    await this.#connection.drain().catch(() => this.#connection.close());
  }
}
