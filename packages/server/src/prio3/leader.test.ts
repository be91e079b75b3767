import { randomBytes } from 'node:crypto';
import { candorBrowserRegistry, type Report } from '@candor/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { RegistrySet } from '../registry/set.js';
import { Prio3Leader } from './leader.js';
import { Prio3Store } from './store.js';

const METRIC = 'system.screen_class';

function report(id = randomBytes(16).toString('hex')): Report {
  return {
    id,
    app: candorBrowserRegistry.app,
    registry: candorBrowserRegistry.version,
    day: '2026-11-20',
    metrics: { [METRIC]: { public: `p-${id}`, leader: `l-${id}`, helper: `h-${id}` } },
  } as unknown as Report;
}

describe('the Prio3 leader keeps the shares of uploads arriving together in one write', () => {
  let leader: Prio3Leader | undefined;
  afterEach(async () => {
    await leader?.close();
  });

  it('every upload is answered once its shares are stored; one sent twice at once is kept once', async () => {
    const store = await Prio3Store.open(':memory:');
    leader = new Prio3Leader({
      store,
      registries: new RegistrySet([candorBrowserRegistry]),
      secret: { verifyKey: randomBytes(16), token: 'test' },
      // No helper answers: the shares stay pending, which is what is looked at here.
      helper: 'http://127.0.0.1:9',
      log: createLogger({ level: 'silent' }),
      retryBaseMs: 60_000,
    });
    const reports = Array.from({ length: 40 }, () => report());
    const twice = report();
    const l = leader;
    // DuckDB pays per statement: a write per upload made each secret-shared upload cost about 13 ms.
    let writes = 0;
    const transaction = store.transaction.bind(store);
    store.transaction = (work) => {
      writes++;
      return transaction(work);
    };
    await Promise.all([...reports, twice, twice].map((r) => l.accept([r])));
    expect(writes).toBe(1);
    const rows = await store.query(`SELECT id, leader, state FROM p3_reports ORDER BY id`);
    expect(rows.length).toBe(41);
    expect(new Set(rows.map((r) => r.state))).toEqual(new Set(['pending']));
    const ids = [...reports, twice].map((r) => r.id).sort();
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(rows.every((r) => r.leader === `l-${r.id}`)).toBe(true);
    // A retry of an upload already kept adds nothing.
    await l.accept([reports[0] as Report]);
    expect((await store.query('SELECT count(*) AS n FROM p3_reports'))[0]?.n).toBe(41n);
  });
});
