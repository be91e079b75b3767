import { parseArgs } from 'node:util';
import { ClickHouseStore, parseClickHouseUrl, parseNatsUrl, startWriter } from '@candor/server';
import { pino } from 'pino';
import { UsageError } from '../errors.js';

const HELP = `usage: candor writer --queue nats://HOST:4222 --store clickhouse://HOST:8123/DB [options]

Consumes accepted reports from the NATS JetStream queue in batches, stores them in ClickHouse exactly once, and
acknowledges them only after they are stored. Killed at any point, it loses and double-counts nothing: run it
again and it carries on. Several writers may share a consumer (see docs/scale.md).

  --queue URL        NATS server(s), comma-separated (required)
  --store URL        ClickHouse database, clickhouse://[USER[:PASSWORD]@]HOST:8123/DB (required)
  --batch N          most reports per batch (default 2000)
  --wait MS          longest wait for a batch to fill (default and least 1000)
  --consumer NAME    durable consumer name (default candor-writer)
  --insert-table T   table inserts go to (default samples; on a cluster the shard's local table)`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number, got "${value}"`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      queue: { type: 'string' },
      store: { type: 'string' },
      batch: { type: 'string' },
      wait: { type: 'string' },
      consumer: { type: 'string' },
      'insert-table': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.queue || !values.store) {
    console.error(`candor writer: --queue and --store are required\n\n${HELP}`);
    return 2;
  }
  parseNatsUrl(values.queue);
  parseClickHouseUrl(values.store);
  const log = pino({ name: 'candor-writer' });
  const storeOptions = {
    url: values.store,
    log,
    // A separate insert table means a cluster, whose schema is set up by hand (docs/scale.md).
    ...(values['insert-table'] ? { insertTable: values['insert-table'], createSchema: false } : {}),
  };
  // A writer started before ClickHouse is up waits for it rather than exiting.
  let store: ClickHouseStore | null = null;
  while (!store) {
    try {
      store = await ClickHouseStore.open(storeOptions);
    } catch (error) {
      log.warn({ err: error instanceof Error ? error.message : String(error) }, 'ClickHouse not reachable; retrying');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  const writer = await startWriter({
    queue: values.queue,
    store,
    batchSize: positiveInt('batch', values.batch, 2000),
    maxWaitMs: positiveInt('wait', values.wait, 1000),
    consumer: values.consumer ? { durable: values.consumer } : {},
    log: {
      info: (fields, message) => log.info(fields, message),
      warn: (fields, message) => log.warn(fields, message),
      error: (fields, message) => log.error(fields, message),
    },
  });
  log.info({ queue: values.queue, store: values.store }, 'writer started');
  const stop = () => {
    log.info(writer.stats, 'stopping after the batch in hand');
    void writer.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await writer.done;
  await store.close();
  log.info(writer.stats, 'writer stopped');
  return 0;
}
