import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candorBrowserRegistry } from '@candor/protocol';
import { createCandor, emptyState, indexedDbQueueStorage, type QueueStorage } from '@candor/sdk';
import { fileQueueStorage } from '@candor/sdk/node';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeCollector } from './support/collector.js';
import { DAY_MS, metricsReports, setup, T0 } from './support/setup.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-sdk-'));
  dirs.push(dir);
  return join(dir, 'queue.json');
}

function device(storage: QueueStorage, collector: FakeCollector, now = () => T0) {
  return createCandor({
    registry: candorBrowserRegistry,
    collector: 'https://collector.test',
    appVersion: '2.0.0',
    consent: { regime: 'opt-in', state: 'granted' },
    storage,
    fetch: collector.fetch,
    now,
    flushIntervalMs: 0,
    pageLifecycle: false,
  });
}

describe('offline queue', () => {
  it('is bounded in count: the oldest reports are dropped first and counted', async () => {
    const { candor, collector, clock, endDay } = await setup({ maxQueueReports: 3, mode: 'production' });
    collector.uploadResponder = () => 'network-error';
    for (let i = 1; i <= 5; i++) {
      candor.counter('page_load.count').add(i);
      await endDay();
    }
    expect(candor.queuedReports()).toBe(3);
    // 5 daily reports made; 2 dropped, oldest first.
    expect(candor.errors.queueOverflow).toBe(2);
    collector.uploadResponder = null;
    clock.advance(60 * 60_000);
    await candor.flush();
    expect(metricsReports(collector).map((r) => r.metrics['page_load.count'])).toEqual([3, 4, 5]);
  });

  it('is bounded in bytes', async () => {
    const { candor, collector, endDay } = await setup({ maxQueueBytes: 900, mode: 'production' });
    collector.uploadResponder = () => 'network-error';
    for (let i = 0; i < 6; i++) {
      candor.event('ui.menu_action').record({ item: 'settings', from_toolbar: true });
      await endDay();
    }
    const queued = candor.queuedReports();
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThan(6);
    expect(candor.errors.queueOverflow).toBe(6 - queued);
  });

  it('survives a restart in a file (Node), and is sent by the next process', async () => {
    const path = await tempFile();
    const offline = await FakeCollector.create();
    offline.uploadResponder = () => 'network-error';
    let now = T0;
    const first = device(fileQueueStorage(path), offline, () => now);
    await first.ready;
    first.counter('page_load.count').add(9);
    now += DAY_MS;
    await first.flush();
    await first.shutdown();
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    expect(onDisk.reports.map((r: { kind: string; day: string }) => [r.kind, r.day])).toEqual([
      ['daily', '2026-11-22'],
    ]);

    const online = await FakeCollector.create();
    online.keys = offline.keys;
    for (const k of offline.keys) online.accepted.add(k.config.id);
    const second = device(fileQueueStorage(path), online, () => now);
    await second.ready;
    expect(second.queuedReports()).toBe(1);
    await second.flush();
    expect(online.reports.map((r) => r.metrics)).toEqual([{ 'page_load.count': 9 }]);
    expect(JSON.parse(await readFile(path, 'utf8')).reports).toEqual([]);
  });

  it('a stored consent choice restores the stored queue with it', async () => {
    const path = await tempFile();
    const offline = await FakeCollector.create();
    offline.uploadResponder = () => 'network-error';
    const options = (collector: FakeCollector) => ({
      registry: candorBrowserRegistry,
      collector: 'https://collector.test',
      appVersion: '2.0.0',
      consent: { regime: 'opt-in' as const },
      storage: fileQueueStorage(path),
      fetch: collector.fetch,
      flushIntervalMs: 0,
      pageLifecycle: false,
    });
    let now = T0;
    const first = createCandor({ ...options(offline), now: () => now });
    await first.ready;
    first.setConsent('granted');
    first.counter('page_load.count').add(5);
    now += DAY_MS;
    await first.flush();
    await first.shutdown();
    const second = createCandor({ ...options(offline), now: () => now });
    await second.ready;
    expect(second.consent).toBe('granted');
    expect(second.queuedReports()).toBe(1);
  });

  it('creates the folder of the queue file when it does not exist yet', async () => {
    const path = join(await tempFile(), '..', 'nested', 'deeper', 'queue.json');
    const storage = fileQueueStorage(path);
    await storage.update(() => emptyState());
    expect(await storage.load()).toEqual(emptyState());
  });

  it('sets an unreadable file aside instead of overwriting it', async () => {
    const path = await tempFile();
    await writeFile(path, '{not json');
    const storage = fileQueueStorage(path);
    expect(await storage.load()).toBeNull();
    expect(await readFile(`${path}.unreadable`, 'utf8')).toBe('{not json');
  });

  it('survives a reload in IndexedDB (browser storage)', async () => {
    const factory = new IDBFactory();
    const offline = await FakeCollector.create();
    offline.uploadResponder = () => new Response(null, { status: 503 });
    let now = T0;
    const first = device(indexedDbQueueStorage('candor-browser', factory), offline, () => now);
    await first.ready;
    first.boolean('settings.ad_blocking').set(true);
    now += DAY_MS;
    await first.flush();
    await first.shutdown();

    const storage = indexedDbQueueStorage('candor-browser', factory);
    const stored = await storage.load();
    expect(stored?.reports.map((r) => r.kind)).toEqual(['daily']);
    offline.uploadResponder = null;
    const second = device(storage, offline, () => now);
    await second.ready;
    await second.flush();
    expect(metricsReports(offline).map((r) => r.metrics)).toEqual([{ 'settings.ad_blocking': true }]);
  });

  it('ignores a stored record of the wrong shape', async () => {
    const factory = new IDBFactory();
    const storage = indexedDbQueueStorage('x', factory);
    await storage.update(() => ({ ...emptyState(), version: 1 }) as never);
    expect(await storage.load()).toBeNull();
  });
});

describe('storage failures', () => {
  it('a storage that cannot be read is never written over; the SDK keeps working in memory', async () => {
    let writes = 0;
    const broken: QueueStorage = {
      load: async () => {
        throw new Error('disk busy');
      },
      update: async (change) => {
        writes++;
        return change(emptyState());
      },
    };
    const collector = await FakeCollector.create();
    let now = T0;
    const candor = device(broken, collector, () => now);
    await candor.ready;
    candor.counter('page_load.count').add(2);
    now += DAY_MS;
    await candor.flush();
    expect(writes).toBe(0);
    expect(candor.errors.storageFailures).toBe(1);
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'page_load.count': 2 }]);
  });
});
