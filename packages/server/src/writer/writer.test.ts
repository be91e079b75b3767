import { candorBrowserRegistry, type Report } from '@candor/protocol';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeReport } from '../queue/message.js';
import { NatsReportSink } from '../queue/sink.js';
import { ensureConsumer, ensureStream } from '../queue/stream.js';
import { ClickHouseStore } from '../store/clickhouse/store.js';
import { flattenReport } from '../store/rows.js';
import { countNumbered, numberedReport, storedNumbers } from '../testing/numbered-reports.js';
import { seededRandom } from '../testing/reports.js';
import { openScaleServices, type ScaleServices, scaleServicesAvailable } from '../testing/scale-services.js';
import { startWriter } from './writer.js';

const available = await scaleServicesAvailable('queue writer tests');

/** Reports numbered first..first+n-1 (see testing/numbered-reports.ts). */
function numberedReports(n: number, first = 1): Report[] {
  const random = seededRandom(first);
  return Array.from({ length: n }, (_, i) => numberedReport(first + i, random));
}

async function waitForCount(store: ClickHouseStore, expected: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = 0;
  while (Date.now() < deadline) {
    n = await countNumbered(store);
    if (n >= expected) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.skipIf(!available)('JetStream sink and ClickHouse writer', () => {
  let services: ScaleServices;
  let store: ClickHouseStore;
  beforeAll(async () => {
    services = await openScaleServices();
    store = await ClickHouseStore.open({ url: services.storeUrl });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await services?.close();
  }, 120_000);

  it('stores each accepted report once, retried publishes and redeliveries included', async () => {
    const sink = await NatsReportSink.open({ queue: services.queue, stream: services.stream });
    const reports = numberedReports(300);
    await sink.accept(reports);
    // A client retrying after a lost answer sends the same ids again: the stream drops them.
    await sink.accept(reports.slice(0, 120));

    // A writer that stored a batch and died before acknowledging it: store through the ledger, never ack.
    const connection = await connect({ servers: services.queue });
    const jsm = await jetstreamManager(connection);
    await ensureStream(jsm, services.stream);
    await ensureConsumer(jsm, services.stream.name, {
      durable: 'candor-writer',
      ackWaitMs: 1500,
      maxAckPending: 10_000,
    });
    const consumer = await jetstream(connection).consumers.get(services.stream.name, 'candor-writer');
    const batch = await consumer.fetch({ max_messages: 100, expires: 2000 });
    const items = [];
    for await (const m of batch) {
      const report = decodeReport(m.data);
      items.push({
        sequence: m.seq,
        id: report.id,
        day: report.day,
        rows: flattenReport(report, candorBrowserRegistry),
      });
    }
    expect(items).toHaveLength(100);
    expect(await store.ingest.ingest(items)).toMatchObject({ inserted: 100, skipped: 0 });
    await connection.close();

    const writer = await startWriter({
      queue: services.queue,
      store,
      stream: services.stream,
      batchSize: 64,
      maxWaitMs: 200,
    });
    expect(await waitForCount(store, 300)).toBe(300);
    // Wait for the un-acknowledged 100 to come back (ack wait 1.5 s) and be recognised as stored.
    const deadline = Date.now() + 15_000;
    while (writer.stats.skipped < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(writer.stats.skipped).toBe(100);
    expect(writer.stats.inserted).toBe(200);
    expect(await storedNumbers(store)).toEqual(range(1, 300));

    // Stopped and started again, the writer carries on with what arrived meanwhile.
    await writer.stop();
    await sink.accept(numberedReports(50, 301));
    const again = await startWriter({ queue: services.queue, store, stream: services.stream, maxWaitMs: 200 });
    expect(await waitForCount(store, 350)).toBe(350);
    await again.stop();
    await sink.close();
    expect(await storedNumbers(store)).toEqual(range(1, 350));

    // Work-queue retention: acknowledged reports are gone from the stream.
    const check = await connect({ servers: services.queue });
    const info = await (await jetstreamManager(check)).streams.info(services.stream.name);
    expect(info.state.messages).toBe(0);
    await check.close();
  });
});
