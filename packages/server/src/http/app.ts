import { existsSync } from 'node:fs';
import { PATHS, type PrivacyStatus, type Registry } from '@candor/protocol';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { uploadRoute } from '../ingest/route.js';
import type { IngestAnswer, IngestDeps, IngestStats, Upload } from '../ingest/upload.js';
import type { KeyRing } from '../keys/keyring.js';
import type { TokenVerifier } from '../keys/tokens.js';
import type { BudgetLedger } from '../query/ledger.js';
import type { QueryService } from '../query/service.js';
import { dataDictionary } from './dictionary.js';
import { openApiDocument } from './openapi.js';
import { problem, problemResponse } from './problem.js';

export interface AppDeps {
  registry: Registry;
  keys: KeyRing;
  tokens: TokenVerifier;
  queries: QueryService;
  ingest: IngestDeps;
  stats: IngestStats;
  processUpload: (upload: Upload) => Promise<IngestAnswer>;
  dp: { epsilon: number; ledger: BudgetLedger } | null;
  /** Built dashboard files, or null when the dashboard is not built. */
  dashboardDir: string | null;
  log: Logger;
}

/** The collector's HTTP API: one route per job, each in the module that does it. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const dictionary = dataDictionary(deps.registry, !!deps.dp, deps.queries.k);
  const openapi = JSON.stringify(openApiDocument(deps.registry));

  app.onError((error, c) => {
    // The matched route, not the requested path, and the error's class: both may otherwise carry client input.
    deps.log.error({ err: error.name, route: c.req.routePath }, 'request failed');
    return problemResponse(c, problem(500, 'internal', 'Internal error'));
  });
  app.notFound((c) => problemResponse(c, problem(404, 'not-found', 'No such route', { field: 'path' })));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get(PATHS.keys, (c) => c.json(deps.keys.configs(), 200, { 'cache-control': 'max-age=300' }));
  app.get(PATHS.registry, (c) =>
    c.json(dictionary.metrics, 200, { 'candor-app': dictionary.app, 'candor-registry-version': dictionary.version }),
  );
  app.get(PATHS.openapi, (c) => c.body(openapi, 200, { 'content-type': 'application/json' }));

  app.post(PATHS.reports, uploadRoute(deps.processUpload, deps.ingest.limits.maxBodyBytes));

  const authorized = async (authorization: string | undefined) =>
    deps.tokens.verify(/^Bearer (\S+)$/i.exec(authorization ?? '')?.[1]);
  const unauthorized = () =>
    problem(401, 'unauthorized', 'A query token is required', {
      detail: 'send Authorization: Bearer <token> (candor keys token create)',
    });

  app.get(PATHS.query, async (c) => {
    if (!(await authorized(c.req.header('authorization')))) {
      return problemResponse(c, unauthorized(), { 'www-authenticate': 'Bearer' });
    }
    const answer = await deps.queries.query({
      metric: c.req.query('metric'),
      by: c.req.query('by'),
      from: c.req.query('from'),
      to: c.req.query('to'),
    });
    if (!answer.ok) {
      return problemResponse(c, answer.problem, answer.retryAfter ? { 'retry-after': String(answer.retryAfter) } : {});
    }
    return c.json(answer.result, 200, { 'cache-control': 'no-store' });
  });

  app.get(PATHS.privacy, async (c) => {
    if (!(await authorized(c.req.header('authorization')))) {
      return problemResponse(c, unauthorized(), { 'www-authenticate': 'Bearer' });
    }
    const ledger = deps.dp?.ledger;
    const status: PrivacyStatus = {
      k: deps.queries.k,
      day: new Date().toISOString().slice(0, 10),
      dp:
        deps.dp && ledger
          ? Object.keys(deps.registry.metrics).map((metric) => {
              const spentToday = ledger.spentToday(metric);
              return {
                metric,
                epsilon: deps.dp?.epsilon ?? 0,
                spentToday,
                leftToday: Math.max(0, ledger.budgetPerDay - spentToday),
                budgetPerDay: ledger.budgetPerDay,
              };
            })
          : null,
      localDp: Object.entries(deps.registry.metrics).flatMap(([metric, def]) =>
        def.ldp ? [{ metric, epsilon: def.ldp.epsilon }] : [],
      ),
      suppressedCells: deps.queries.stats.suppressedCells,
      firewall: [...deps.ingest.firewall.hits].map(([detector, rejected]) => ({ detector, rejected })),
    };
    return c.json(status, 200, { 'cache-control': 'no-store' });
  });

  if (deps.dashboardDir && existsSync(deps.dashboardDir)) {
    // The dashboard is static files with no external assets; a strict CSP keeps it that way.
    app.use('/*', async (c, next) => {
      await next();
      if (c.res.headers.get('content-type')?.startsWith('text/html')) {
        c.res.headers.set(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'",
        );
      }
    });
    app.get('/*', serveStatic({ root: deps.dashboardDir }));
  } else {
    app.get('/', (c) =>
      c.text('candor collector is running. The dashboard is not built: run `npm run build` to serve it here.\n'),
    );
  }
  return app;
}
