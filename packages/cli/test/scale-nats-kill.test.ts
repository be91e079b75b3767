import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseStore, DEFAULT_STREAM, ensureKey } from '@candor/server';
import {
  countCopies,
  freePort,
  openScaleServices,
  queueState,
  runFaultLoad,
  seededRandom,
  waitFor,
} from '@candor/server/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CandorProcesses, scaleTestReady } from './support/cli-processes.js';

const available = await scaleTestReady('NATS SIGKILL fault test');
const processes = new CandorProcesses();
const cleanups: (() => Promise<void>)[] = [];
const candor = (args: string[]) => processes.run(args);

afterAll(async () => {
  await processes.killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 120_000);

const RUNS = 4;
const REPORTS_PER_RUN = 2000;

describe.skipIf(!available)('scale-out: nats-server SIGKILL under load', () => {
  it(`stores every accepted report exactly once through ${RUNS} NATS SIGKILLs at random points`, async () => {
    const services = await openScaleServices({ ownServers: true });
    cleanups.push(() => services.close());
    const nats = services.local?.nats;
    if (!nats) throw new Error('this test needs its own NATS');
    const store = await ClickHouseStore.open({ url: services.storeUrl });
    cleanups.push(() => store.close());
    const stateDir = await mkdtemp(join(tmpdir(), 'candor-nats-kill-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const keysDir = join(stateDir, 'keys');
    const { key } = await ensureKey(keysDir);

    const ports = [await freePort(), await freePort()];
    const collectors = ports.map((port) =>
      candor([
        'serve',
        ...['--port', String(port), '--store', services.storeUrl, '--queue', services.queue, '--keys', keysDir],
        ...['--rate', '100000000', '--log-level', 'warn'],
      ]),
    );
    for (const [i, port] of ports.entries()) {
      await waitFor(`collector on port ${port}`, 30_000, async () => {
        const c = collectors[i];
        if (c && c.child.exitCode !== null) throw new Error(`collector exited: ${c.output()}`);
        return (await fetch(`http://127.0.0.1:${port}/v1/keys`).catch(() => null))?.ok === true;
      });
    }
    const writer = candor(['writer', '--queue', services.queue, '--store', services.storeUrl, '--batch', '500']);

    const seed = Date.now() % 1_000_000;
    const random = seededRandom(seed);
    const summary: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const first = run * 100_000 + 1;
      const faultAt = Math.floor(REPORTS_PER_RUN * (0.15 + random() * 0.55));
      const downMs = Math.floor(100 + random() * 1900);
      const load = await runFaultLoad({
        collectors: ports.map((p) => `http://127.0.0.1:${p}`),
        key: { id: key.id, publicKey: Buffer.from(key.publicKey, 'base64url') },
        first,
        reports: REPORTS_PER_RUN,
        perUpload: 5,
        clients: 8,
        random,
        faultAt,
        fault: async () => {
          await nats.stop({ kill: true });
          await new Promise((resolve) => setTimeout(resolve, downMs));
          await nats.start();
        },
      });
      const loaded = Date.now();
      const context = `seed ${seed}, run ${run + 1}: SIGKILL after ${faultAt} accepted, down ${downMs} ms`;
      expect(load.accepted, context).toHaveLength(REPORTS_PER_RUN);
      // Done when the queue is empty: everything delivered, acknowledged and gone from the stream, leftovers
      // a restarted nats-server brought back included. Nothing can be stored after that.
      await waitFor(`an empty queue (${context})`, 90_000, async () => {
        if (writer.child.exitCode !== null) throw new Error(`writer exited: ${writer.output()}`);
        const state = await queueState(services.queue, DEFAULT_STREAM.name);
        return state.messages === 0 && state.pending === 0 && state.ackPending === 0;
      }).catch((error: Error) => {
        throw new Error(`${error.message}\n${writer.output().slice(-5000)}`);
      });
      const copies = await countCopies(store, load.accepted, first, REPORTS_PER_RUN);
      summary.push(
        `${context}: load ${load.seconds.toFixed(1)} s, ${load.retries} retries, drained ${((Date.now() - loaded) / 1000).toFixed(1)} s later, ${JSON.stringify(copies)}`,
      );
      expect(copies, `${summary.join('\n')}\n${writer.output().slice(-5000)}`).toEqual({
        duplicates: 0,
        lost: 0,
        unexpected: 0,
        stored: REPORTS_PER_RUN,
      });
    }
    console.log(summary.join('\n'));
    // Every log line of the writer is one JSON object, the ClickHouse client's included.
    for (const line of writer.output().split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
  }, 170_000);
});
