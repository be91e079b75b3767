import { ACTIVITY_METRICS, candorBrowserRegistry, type Report } from '@candor/protocol';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeReport, encodeReport } from '../queue/message.js';
import { NatsReportSink } from '../queue/sink.js';
import { deadLetterStream, ensureConsumer, ensureStream } from '../queue/stream.js';
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

  it('stores a report sent again under a new stream sequence once, in the same batch or a later one', async () => {
    // A restarted nats-server has forgotten the ids of reports it no longer holds, so a client's retry through
    // another collector becomes a new message: published here under a fresh message id.
    const connection = await connect({ servers: services.queue });
    const js = jetstream(connection);
    const subject = `${services.stream.subjectPrefix}.candor-browser`;
    const reports = numberedReports(40, 1001);
    const publishAll = async (list: Report[], tag: string) => {
      for (const r of list) await js.publish(subject, encodeReport(r), { msgID: `${r.id}-${tag}` });
    };
    await publishAll(reports, 'first');
    await publishAll(reports.slice(0, 10), 'again-in-batch');
    const writer = await startWriter({ queue: services.queue, store, stream: services.stream, maxWaitMs: 200 });
    await waitFor(() => writer.stats.inserted + writer.stats.repeats >= 50);
    await publishAll(reports.slice(10, 20), 'again-later');
    await waitFor(() => writer.stats.skipped >= 10);
    await writer.stop();
    await connection.close();
    // Usually the ten resent in the first batch are dropped as repeats within it; had they come in a later
    // batch they would be skipped as stored. Either way, none is stored twice.
    expect(writer.stats).toMatchObject({ inserted: 40, deadLettered: 0 });
    expect(writer.stats.repeats + writer.stats.skipped).toBe(20);
    expect((await storedNumbers(store)).filter((n) => n > 1000)).toEqual(range(1001, 1040));
    // The writer dropped the staging tables it made.
    const staging = await store.client.query({
      query: `SELECT count() AS n FROM system.tables WHERE database = '${store.database}' AND startsWith(name, 'ingest_staging_')`,
      format: 'JSONEachRow',
    });
    expect(await staging.json()).toEqual([{ n: '0' }]);
  });

  it('dead-letters what can never be stored, with a counter, and stores what follows', async () => {
    const connection = await connect({ servers: services.queue });
    const js = jetstream(connection);
    const subject = `${services.stream.subjectPrefix}.candor-browser`;
    const [plain, badDay, noMonth, hugeCount, hugeSum, personal, ...good] = numberedReports(16, 2001) as Report[];
    const timing = (r: Report, change: object) => ({
      ...r,
      metrics: { ...r.metrics, 'page_load.time': { sum: 100, count: 1, buckets: { '60': 1 }, ...change } },
    });
    const hostile = [
      new TextEncoder().encode('{"not json'),
      encodeReport({ ...(badDay as Report), day: '2026-02-30' }),
      encodeReport({ ...(noMonth as Report), day: '2026-13-45' }),
      encodeReport(timing(hugeCount as Report, { count: 2 ** 53 - 1 }) as Report),
      encodeReport(timing(hugeSum as Report, { sum: 1.7e308 }) as Report),
      encodeReport({
        ...(personal as Report),
        metrics: { 'page_load.time_by_site': { 'alice.smith@example.com': { sum: 1, count: 1, buckets: { '1': 1 } } } },
      } as Report),
    ];
    for (const [i, data] of hostile.entries()) await js.publish(subject, data, { msgID: `hostile-${i}` });
    await js.publish(subject, encodeReport(plain as Report), { msgID: (plain as Report).id });
    for (const r of good) await js.publish(subject, encodeReport(r), { msgID: r.id });

    const writer = await startWriter({ queue: services.queue, store, stream: services.stream, maxWaitMs: 200 });
    await waitFor(() => writer.stats.deadLettered >= 6 && writer.stats.inserted >= 11);
    await writer.stop();
    expect(writer.stats.deadLettered).toBe(6);
    expect((await storedNumbers(store)).filter((n) => n > 2000)).toEqual([2001, ...range(2007, 2016)]);

    // The dead letters wait in their own stream, each with its reason; personal data is not kept even there.
    const jsm = await jetstreamManager(connection);
    const dead = deadLetterStream(services.stream);
    expect((await jsm.streams.info(dead.name)).state.messages).toBe(6);
    const letters: { sequence: number; reason: string; size: number }[] = [];
    const consumer = await js.consumers.get(dead.name);
    for await (const m of await consumer.fetch({ max_messages: 6, expires: 2000 })) {
      const sequence = Number(m.headers?.get('Candor-Stream-Sequence'));
      letters.push({ sequence, reason: m.headers?.get('Candor-Reason') ?? '', size: m.data.length });
    }
    letters.sort((x, y) => x.sequence - y.sequence);
    const reasons = letters.map((l) => l.reason);
    const payloads = letters.map((l) => l.size);
    expect(reasons).toEqual([
      expect.stringMatching(/not JSON/),
      expect.stringMatching(/not a calendar date/),
      expect.stringMatching(/2026-13-45|day/),
      expect.stringMatching(/count/),
      expect.stringMatching(/sum|value/),
      expect.stringMatching(/email/),
    ]);
    expect(payloads[5]).toBe(0);
    expect(payloads[1]).toBeGreaterThan(0);
    // Nothing is left in the work queue to hold up what comes after.
    expect((await jsm.streams.info(services.stream.name)).state.messages).toBe(0);
    await connection.close();
  });

  it('files activity sections in ClickHouse through the writer, and dead-letters one no history can give', async () => {
    const connection = await connect({ servers: services.queue });
    const js = jetstream(connection);
    const subject = `${services.stream.subjectPrefix}.candor-browser`;
    // 13 days since the previous use is in no other test's reports, so its cell counts only these.
    const honest = { sincePrevious: 13, activeDays7: 1, activeDays28: 3, weeksSinceFirstUse: 9 };
    const [inconsistent, ...reports] = numberedReports(6, 3001).map((r) => ({ ...r, activity: honest }));
    const bad = { ...(inconsistent as Report), activity: { ...honest, activeDays7: 4 } };
    await js.publish(subject, encodeReport(bad), { msgID: bad.id });
    for (const r of reports) await js.publish(subject, encodeReport(r), { msgID: r.id });
    const writer = await startWriter({ queue: services.queue, store, stream: services.stream, maxWaitMs: 200 });
    await waitFor(() => writer.stats.deadLettered >= 1 && writer.stats.inserted >= 5);
    await writer.stop();
    await connection.close();
    expect(writer.stats.deadLettered).toBe(1);
    const day = (reports[0] as Report).day;
    const lines = await store.dayLines('candor-browser', day);
    const count = (metric: string, cell: string) =>
      lines.filter((l) => l.metric === metric && l.cell === cell && l.bucket === -1).reduce((n, l) => n + l.reports, 0);
    expect(count(ACTIVITY_METRICS.sincePrevious, '13')).toBe(5);
    expect(count(ACTIVITY_METRICS.activeDays28, '3')).toBeGreaterThanOrEqual(5);
  });
});

async function waitFor(done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
