import { candorBrowserRegistry, DEFAULT_PRIVACY_BUDGET } from '@candor/protocol';
import {
  type Collector,
  type CollectorOptions,
  createToken,
  DAILY_ACTIVITY_METRIC,
  openScaleOut,
  startCollector,
} from '@candor/server';
import { EXIT, parseCommandArgs, UsageError } from '../errors.js';
import { loadRegistry } from '../registry/file.js';
import { DEFAULT_DEMO_DEVICES, DEMO_HISTORY_DAYS, startDemoTraffic } from '../simulate/demo.js';

const USAGE = `usage: candor serve [options]

Runs the collector and the dashboard. On first start it creates an HPKE key and a query token.
SIGHUP re-reads the key directory at once (otherwise within a minute). It is also an Oblivious HTTP gateway
(GET /ohttp-keys, POST /ohttp-gateway, with its own key): devices may send through \`candor relay\`.

options:
  --host HOST           address to listen on (default 127.0.0.1)
  --port PORT           port (default 8080; 0 picks a free one)
  --store SPEC          duckdb:PATH, duckdb::memory: or clickhouse://HOST:8123/DB (default duckdb:.candor/candor.duckdb)
  --queue URL           nats://HOST:4222: publish accepted reports to JetStream for \`candor writer\` (needs a
                        clickhouse:// store); the collector then keeps no reports itself
  --keys DIR            HPKE keys and query tokens, mode 0600 (default .candor/keys)
  --registry FILE       your app's metrics file (YAML or JSON; candor registry check FILE). Repeat it for several
                        apps, or several versions of one app (default: candor's example browser registry)
  --allow-origin ORIGIN let pages on ORIGIN upload (CORS), e.g. https://app.example; repeat or comma-separate
  --epsilon E           differential privacy: the epsilon protecting each device-day, for all of its day's
                        releases together (default 8; see docs/privacy.md)
  --delta D             the delta protecting each device-day (default 1e-6)
  --rate N              uploads per minute per client (default 120)
  --log-level LEVEL     trace|debug|info|warn|error|silent (default info)
  --simulate            also run simulated phones against this collector: six closed days of history, then
                        live waves
  --devices N           phones in the simulated fleet (default ${DEFAULT_DEMO_DEVICES})
  -h, --help            this help`;

/**
 * Option definitions, kept in one table so other modes (e.g. another store or a queue) add an entry here and a
 * line in `toCollectorOptions`.
 */
export const SERVE_OPTIONS = {
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '8080' },
  store: { type: 'string', default: 'duckdb:.candor/candor.duckdb' },
  queue: { type: 'string' },
  keys: { type: 'string', default: '.candor/keys' },
  registry: { type: 'string', multiple: true },
  'allow-origin': { type: 'string', multiple: true },
  epsilon: { type: 'string' },
  delta: { type: 'string' },
  rate: { type: 'string' },
  'log-level': { type: 'string', default: 'info' },
  simulate: { type: 'boolean' },
  devices: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function numberOption(name: string, value: string | undefined, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name}: "${value}" is not valid`);
  return n;
}

/** Origins from repeated and comma-separated --allow-origin values, each checked to be a bare origin. */
export function allowedOrigins(values: readonly string[] | undefined): string[] {
  const origins = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {}
    if (!url || url.origin !== origin.replace(/\/$/, '') || !/^https?:$/.test(url.protocol)) {
      throw new UsageError(
        `--allow-origin: "${origin}" is not an origin like https://app.example or http://localhost:3000`,
      );
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

export function toCollectorOptions(values: Record<string, string | boolean | string[] | undefined>): CollectorOptions {
  const str = (name: string) => values[name] as string | undefined;
  const epsilon = numberOption('epsilon', str('epsilon'), (n) => n > 0);
  const delta = numberOption('delta', str('delta'), (n) => n > 0 && n < 1);
  const rate = numberOption('rate', str('rate'), (n) => n > 0);
  return {
    host: str('host') ?? '127.0.0.1',
    port: numberOption('port', str('port'), (n) => Number.isInteger(n) && n >= 0 && n < 65536) ?? 8080,
    store: str('store') ?? 'duckdb:.candor/candor.duckdb',
    keysDir: str('keys') ?? '.candor/keys',
    allowOrigins: allowedOrigins(values['allow-origin'] as string[] | undefined),
    privacy: {
      epsilon: epsilon ?? DEFAULT_PRIVACY_BUDGET.epsilon,
      delta: delta ?? DEFAULT_PRIVACY_BUDGET.delta,
    },
    ...(rate !== undefined ? { limits: { ratePerMinute: rate } } : {}),
    log: { level: (str('log-level') ?? 'info') as 'info' },
  };
}

export async function run(argv: string[]): Promise<number> {
  const values = parseCommandArgs('serve', USAGE, argv, SERVE_OPTIONS);
  if (typeof values === 'number') return values;
  const options = toCollectorOptions(values);
  if (values.queue && !String(values.store).startsWith('clickhouse')) {
    throw new UsageError(
      '--queue needs --store clickhouse://HOST:8123/DB (the writers fill ClickHouse from the queue)',
    );
  }
  // The demo's history is sent on its own simulated days: the collector's clock follows it, then real time.
  let demoDay: number | null = null;
  if (values.simulate) options.now = () => demoDay ?? Date.now();
  const registryFiles = (values.registry as string[] | undefined) ?? [];
  if (registryFiles.length > 0) {
    options.registries = [];
    const warn = (line: string) => console.error(`candor serve: ${line}`);
    for (const file of registryFiles) options.registries.push(await loadRegistry(file, undefined, warn));
    // The simulated phones run candor's example browser app.
    if (values.simulate && !options.registries.some((r) => r.app === candorBrowserRegistry.app)) {
      options.registries.push(candorBrowserRegistry);
    }
  }
  // Every simulated phone uploads from this machine's one address, which a per-client rate limit would throttle.
  if (values.simulate) options.rateLimit = false;
  // clickhouse:// store and/or a queue: the scale-out setup (docs/scale.md).
  const scaleOut = await openScaleOut({
    store: values.store as string | undefined,
    queue: values.queue as string | undefined,
  });
  if (scaleOut) {
    options.store = scaleOut.store;
    if (scaleOut.sink) options.sink = scaleOut.sink;
  }
  const collector = await startCollector(options).catch(async (error: unknown) => {
    await scaleOut?.close();
    throw error;
  });
  console.log(`\ncandor collector listening on ${collector.url}`);
  console.log(`  dashboard:  ${collector.url}/`);
  console.log(`  uploads:    POST ${collector.url}/v1/reports   keys: ${collector.url}/v1/keys`);
  console.log(`  API docs:   ${collector.url}/v1/openapi.json`);
  const served = (options.registries ?? [options.registry ?? candorBrowserRegistry]).map(
    (r) => `${r.app} ${r.version}`,
  );
  console.log(`  apps:       ${served.join(', ')}`);
  if (options.allowOrigins?.length) console.log(`  uploads from pages on: ${options.allowOrigins.join(', ')}`);
  if (collector.queryToken) {
    console.log('\n  query token (shown once; only its hash is kept):');
    console.log(`    ${collector.queryToken}`);
  } else {
    console.log(
      `\n  query tokens: existing ones in ${collector.keysDir} (candor keys token create NAME for a new one)`,
    );
  }
  console.log('');
  let demo: ReturnType<typeof startDemoTraffic> | undefined;
  if (values.simulate) {
    const devices =
      numberOption('devices', values.devices as string | undefined, (n) => Number.isInteger(n) && n > 0) ??
      DEFAULT_DEMO_DEVICES;
    if (!collector.queryToken) {
      // A demo should always print a token to log in with; a fresh one costs nothing and can be revoked.
      const token = await createToken(collector.keysDir, `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      console.log(`  query token for this demo (candor keys token revoke to remove it):\n    ${token}\n`);
    }
    const history = !(await holdsDemoHistory(collector));
    console.log(
      history
        ? `simulating ${devices} phones: ${DEMO_HISTORY_DAYS} days of history, closed and so released with differential privacy, then a live wave every 10 s ...`
        : `the store already holds the simulated history; adding live waves every 10 s (delete .candor/ to start afresh)`,
    );
    console.log('  (per-client rate limiting is off: all simulated phones share one address)');
    demo = startDemoTraffic({
      target: collector.url,
      devices,
      history,
      setCollectorDay: (day) => {
        demoDay = day;
      },
    });
    demo.ready.then(
      () => console.log(`dashboard ready: open ${collector.url}/ and log in with the token above`),
      (error: unknown) => console.error(`simulation failed: ${(error as Error).message}`),
    );
  }
  // `candor keys rotate` in another shell is picked up within a minute; SIGHUP makes it immediate.
  const reload = () => void collector.reloadKeys().then(() => console.log('keys reloaded'));
  process.on('SIGHUP', reload);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.off('SIGHUP', reload);
  await demo?.stop();
  await collector.close();
  await scaleOut?.close();
  return EXIT.ok;
}

/** Whether a previous `--simulate` run already stored the example app's history, which must not be counted twice. */
async function holdsDemoHistory(collector: Collector): Promise<boolean> {
  const app = candorBrowserRegistry.app;
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  const released = await collector.store.released({
    app,
    metric: DAILY_ACTIVITY_METRIC,
    by: 'day',
    from: day(DEMO_HISTORY_DAYS + 10),
    to: day(0),
  });
  if (released.some((d) => d.lines.some((l) => l.reports > 0))) return true;
  for (let ago = 0; ago <= DEMO_HISTORY_DAYS + 10; ago++) {
    if ((await collector.store.dayLines(app, day(ago))).length > 0) return true;
  }
  return false;
}
