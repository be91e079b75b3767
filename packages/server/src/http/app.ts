import { existsSync } from 'node:fs';
import { OHTTP_PATHS, PATHS, type PrivacyStatus, REPORT_DAYS_LATE, type Registry } from '@candor/protocol';
import { serveStatic } from '@hono/node-server/serve-static';
import { type Context, Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import { uploadRoute } from '../ingest/route.js';
import type { IngestAnswer, IngestDeps, IngestStats, Upload } from '../ingest/upload.js';
import type { KeyRing } from '../keys/keyring.js';
import type { TokenVerifier } from '../keys/tokens.js';
import { type GatewayDeps, mountGateway } from '../ohttp/gateway.js';
import { type Problem, problem } from '../problem.js';
import type { ActivityService } from '../query/activity.js';
import type { QueryService } from '../query/service.js';
import type { RegistrySet } from '../registry/set.js';
import type { Releaser } from '../release/releaser.js';
import { dataDictionary } from './dictionary.js';
import { openApiDocument } from './openapi.js';
import { problemResponse } from './problem-response.js';

export interface AppDeps {
  registries: RegistrySet;
  /** One releaser per app: its release plan is what /v1/privacy and the dictionary state. */
  releasers: Map<string, Releaser>;
  /** Origins whose pages may upload: CORS on the upload and key routes only. */
  allowOrigins: string[];
  keys: KeyRing;
  tokens: TokenVerifier;
  /** One query service per app. */
  queries: Map<string, QueryService>;
  /** One activity service per app (active devices, stickiness, retention). */
  activity: Map<string, ActivityService>;
  ingest: IngestDeps;
  stats: IngestStats;
  processUpload: (upload: Upload) => Promise<IngestAnswer>;
  /** Built dashboard files, or null when the dashboard is not built. */
  dashboardDir: string | null;
  /** The Oblivious HTTP gateway (keys and the gateway route), for uploads that come through a relay. */
  gateway: Omit<GatewayDeps, 'log'>;
  log: Logger;
}

/** The collector's HTTP API: one route per job, each in the module that does it. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const apps = deps.registries.apps();
  const defaultApp = apps[0] as string;
  const dictionaries = new Map(
    apps.map((name) => [
      name,
      dataDictionary(deps.registries.latest(name) as Registry, (deps.releasers.get(name) as Releaser).plan),
    ]),
  );
  const openapi = JSON.stringify(openApiDocument(deps.registries.latest(defaultApp) as Registry));
  /** The app a read names with ?app= (default: the first registry given), or a problem naming the field. */
  const appOf = (c: Context): string | Problem => {
    const name = c.req.query('app') ?? defaultApp;
    return dictionaries.has(name)
      ? name
      : problem(404, 'unknown-app', 'Unknown app', {
          field: 'app',
          detail: `this collector serves ${apps.map((a) => `"${a}"`).join(', ')}`,
        });
  };

  app.onError((error, c) => {
    // Raised by middleware that already built its answer (bearerAuth's 401).
    if (error instanceof HTTPException) return error.getResponse();
    // The matched route, not the requested path, and the error's class: both may otherwise carry client input.
    deps.log.error({ err: error.name, route: c.req.routePath }, 'request failed');
    return problemResponse(c, problem(500, 'internal', 'Internal error'));
  });
  app.notFound((c) => problemResponse(c, problem(404, 'not-found', 'No such route', { field: 'path' })));

  app.get('/healthz', (c) => c.json({ ok: true }));

  // Pages on other origins may fetch keys and upload; nothing else is readable cross-origin. Reports carry no
  // cookies or credentials, so credentials stay off.
  if (deps.allowOrigins.length > 0) {
    const allowed = cors({
      origin: deps.allowOrigins,
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['content-type'],
      maxAge: 600,
    });
    app.use(PATHS.reports, allowed);
    app.use(PATHS.keys, allowed);
    app.use(OHTTP_PATHS.keys, allowed);
  }

  app.get(PATHS.keys, (c) => c.json(deps.keys.configs(), 200, { 'cache-control': 'max-age=300' }));
  app.get(PATHS.apps, (c) =>
    c.json(
      apps.map((name) => ({ app: name, versions: deps.registries.versions(name) })),
      200,
    ),
  );
  app.get(PATHS.registry, (c) => {
    const name = appOf(c);
    if (typeof name !== 'string') return problemResponse(c, name);
    const dictionary = dictionaries.get(name) as ReturnType<typeof dataDictionary>;
    return c.json(dictionary.metrics, 200, {
      'candor-app': dictionary.app,
      'candor-registry-version': dictionary.version,
    });
  });
  app.get(PATHS.openapi, (c) => c.body(openapi, 200, { 'content-type': 'application/json' }));

  app.post(PATHS.reports, uploadRoute(deps.processUpload, deps.ingest.limits.maxBodyBytes));
  mountGateway(app, { ...deps.gateway, log: deps.log });

  // Every answer to a missing, malformed or unknown token is the same 401 problem.
  const unauthorized = (c: Context) =>
    problemResponse(
      c,
      problem(401, 'unauthorized', 'A query token is required', {
        detail: 'send Authorization: Bearer <token> (candor keys token create)',
      }),
      { 'www-authenticate': 'Bearer' },
    );
  const tokenRequired = bearerAuth({
    verifyToken: (token) => deps.tokens.verify(token),
    noAuthenticationHeader: { message: unauthorized },
    invalidAuthenticationHeader: { message: unauthorized },
    invalidToken: { message: unauthorized },
  });
  app.use(PATHS.query, tokenRequired);
  app.use(PATHS.privacy, tokenRequired);
  app.use(PATHS.activity, tokenRequired);

  app.get(PATHS.query, async (c) => {
    const name = appOf(c);
    if (typeof name !== 'string') return problemResponse(c, name);
    const queries = deps.queries.get(name) as QueryService;
    const answer = await queries.query({
      metric: c.req.query('metric'),
      by: c.req.query('by'),
      from: c.req.query('from'),
      to: c.req.query('to'),
    });
    if (!answer.ok) {
      return problemResponse(c, answer.problem);
    }
    return c.json(answer.result, 200, { 'cache-control': 'no-store' });
  });

  app.get(PATHS.activity, async (c) => {
    const name = appOf(c);
    if (typeof name !== 'string') return problemResponse(c, name);
    const answer = await (deps.activity.get(name) as ActivityService).activity({
      from: c.req.query('from'),
      to: c.req.query('to'),
    });
    if (!answer.ok) return problemResponse(c, answer.problem);
    return c.json(answer.result, 200, { 'cache-control': 'no-store' });
  });

  app.get(PATHS.privacy, async (c) => {
    const name = appOf(c);
    if (typeof name !== 'string') return problemResponse(c, name);
    const registry = deps.registries.latest(name) as Registry;
    const releaser = deps.releasers.get(name) as Releaser;
    const plan = releaser.plan;
    const status: PrivacyStatus = {
      epsilon: plan.budget.epsilon,
      delta: plan.budget.delta,
      graceDays: REPORT_DAYS_LATE,
      releasedThrough: releaser.closedThrough(),
      releases: plan.releases.map((r) => ({
        metric: r.metric,
        by: r.by,
        epsilon: r.epsilon,
        delta: r.delta,
        threshold: r.domain || r.by === 'day' ? null : r.threshold,
      })),
      localDp: Object.entries(registry.metrics).flatMap(([metric, def]) =>
        def.ldp ? [{ metric, epsilon: def.ldp.epsilon }] : [],
      ),
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
