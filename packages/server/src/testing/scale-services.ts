import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamSettings } from '../queue/stream.js';
import { CLICKHOUSE_BINARY, type LocalClickHouse, startLocalClickHouse } from './local-clickhouse.js';
import { type LocalNats, NATS_BINARY, startLocalNats } from './local-nats.js';
import { whichBinary } from './processes.js';

/**
 * ClickHouse and NATS for the scale-out tests. With CANDOR_TEST_CLICKHOUSE_URL (http://HOST:PORT) and
 * CANDOR_TEST_NATS_URL (nats://HOST:PORT) set (`.ci/services.sh start` prints them), tests use those servers;
 * otherwise each test file starts its own on free ports in a temp folder. Every test gets its own database and
 * stream, so files run in parallel against shared servers without seeing each other's data. Fault tests, which
 * stop and kill servers, always start their own.
 */
export interface ScaleServices {
  /** clickhouse://HOST:PORT/DB with a database of this test's own. */
  storeUrl: string;
  /** nats://HOST:PORT */
  queue: string;
  /** A stream and subjects of this test's own. */
  stream: StreamSettings;
  /** Present when this test started the servers itself. */
  local?: { clickhouse: LocalClickHouse; nats: LocalNats; dir: string };
  close(): Promise<void>;
}

/**
 * True when the scale-out servers can be used. Missing binaries skip the tests with a loud warning, except in CI
 * (CI=true), where they are an error.
 */
export async function scaleServicesAvailable(what: string, options: { ownServers?: boolean } = {}): Promise<boolean> {
  const external = !options.ownServers && process.env.CANDOR_TEST_CLICKHOUSE_URL && process.env.CANDOR_TEST_NATS_URL;
  if (external) return true;
  const missing: string[] = [];
  for (const binary of [CLICKHOUSE_BINARY, NATS_BINARY]) if (!(await whichBinary(binary))) missing.push(binary);
  if (missing.length === 0) return true;
  const message = `${what}: ${missing.join(' and ')} not installed (apt-get install -y clickhouse-server nats-server)`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI must run these tests`);
  console.warn(`\n!!! SKIPPING ${message} !!!\n`);
  return false;
}

function uniqueStream(tag: string): StreamSettings {
  return {
    name: `CANDOR_TEST_${tag.toUpperCase()}`,
    subjectPrefix: `candortest.${tag}`,
    duplicateWindowMs: 10 * 60_000,
    replicas: 1,
    maxBytes: -1,
  };
}

export async function openScaleServices(options: { ownServers?: boolean } = {}): Promise<ScaleServices> {
  const tag = randomBytes(5).toString('hex');
  const database = `candor_test_${tag}`;
  const clickhouseUrl = process.env.CANDOR_TEST_CLICKHOUSE_URL;
  const natsUrl = process.env.CANDOR_TEST_NATS_URL;
  if (!options.ownServers && clickhouseUrl && natsUrl) {
    const http = new URL(clickhouseUrl);
    return {
      storeUrl: `clickhouse://${http.host}/${database}`,
      queue: natsUrl,
      stream: uniqueStream(tag),
      async close() {
        await fetch(`${http.origin}/`, { method: 'POST', body: `DROP DATABASE IF EXISTS ${database}` }).catch(() => {});
      },
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'candor-scale-'));
  const [clickhouse, nats] = await Promise.all([
    startLocalClickHouse(join(dir, 'clickhouse')),
    startLocalNats(join(dir, 'nats')),
  ]);
  return {
    storeUrl: clickhouse.storeUrl(database),
    queue: nats.url,
    stream: uniqueStream(tag),
    local: { clickhouse, nats, dir },
    async close() {
      await Promise.all([clickhouse.stop(), nats.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
