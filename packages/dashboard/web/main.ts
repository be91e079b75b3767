import { type AppEntry, fetchApps, setApp, TokenRefused } from './api.js';
import { destroyCharts } from './charts.js';
import { h } from './dom.js';
import { rangeFromParams, rangeSelector } from './range.js';
import { clearToken, getToken } from './session.js';
import { renderActivity } from './views/activity.js';
import { renderCrashes } from './views/crashes.js';
import { renderDictionary } from './views/dictionary.js';
import type { ViewContext } from './views/kit.js';
import { renderLogin } from './views/login.js';
import { renderMedia } from './views/media.js';
import { renderMemory } from './views/memory.js';
import { renderMetrics } from './views/metrics.js';
import { renderOverview } from './views/overview.js';
import { renderPageLoad } from './views/page-load.js';
import { renderPrivacy } from './views/privacy.js';
import { renderSearch } from './views/search.js';
import { renderSettings } from './views/settings.js';
import { renderSystem } from './views/system.js';

interface StatsView {
  path: string;
  title: string;
  kind: 'stats';
  /** Made for candor's example browser app (its metrics by name); other apps get the Metrics view. */
  exampleApp?: true;
  /** Days shown when the route names no range (default 30). */
  defaultDays?: number;
  render: (ctx: ViewContext) => Promise<void>;
}
interface PageView {
  path: string;
  title: string;
  kind: 'public' | 'token';
  /** `detail` is the rest of the path, e.g. a metric name in #/dictionary/page_load.time. */
  render: (main: HTMLElement, signal: AbortSignal, detail: string) => Promise<void>;
}
type View = StatsView | PageView;

const EXAMPLE_APP = 'candor-browser';
const VIEWS: View[] = [
  { path: 'overview', title: 'Overview', kind: 'stats', render: renderOverview, exampleApp: true },
  // Weeks of cohorts need more than a month to show their retention.
  { path: 'activity', title: 'Active devices', kind: 'stats', render: renderActivity, defaultDays: 90 },
  { path: 'page-load', title: 'Page loads', kind: 'stats', render: renderPageLoad, exampleApp: true },
  { path: 'search', title: 'Search', kind: 'stats', render: renderSearch, exampleApp: true },
  { path: 'settings', title: 'Settings & UI', kind: 'stats', render: renderSettings, exampleApp: true },
  { path: 'crashes', title: 'Crashes', kind: 'stats', render: renderCrashes, exampleApp: true },
  { path: 'memory', title: 'Memory', kind: 'stats', render: renderMemory, exampleApp: true },
  { path: 'system', title: 'System', kind: 'stats', render: renderSystem, exampleApp: true },
  { path: 'media', title: 'Media', kind: 'stats', render: renderMedia, exampleApp: true },
  { path: 'metrics', title: 'Metrics', kind: 'stats', render: renderMetrics },
  { path: 'privacy', title: 'Privacy', kind: 'token', render: renderPrivacy },
  { path: 'dictionary', title: 'Data dictionary', kind: 'public', render: renderDictionary },
];

interface Route {
  view: View;
  detail: string;
  params: URLSearchParams;
  /** The app the views are about (?app=), or null when the collector serves only its default one. */
  app: string | null;
}

/** The apps the collector serves, read once at start; the first is its default. */
let apps: AppEntry[] = [];

function viewsFor(app: string | null): View[] {
  return app === null || app === EXAMPLE_APP ? VIEWS : VIEWS.filter((v) => !(v.kind === 'stats' && v.exampleApp));
}

/** Routes live in the hash (#/crashes?from=…&to=…&app=…): no server routing needed, and never a token. */
function currentRoute(): Route {
  const [route = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [path = '', ...rest] = route.split('/');
  const params = new URLSearchParams(query);
  const named = params.get('app');
  const app = named && apps.some((a) => a.app === named) ? named : (apps[0]?.app ?? null);
  const views = viewsFor(app);
  const view = views.find((v) => v.path === path) ?? (views[0] as View);
  return { view, detail: decodeURIComponent(rest.join('/')), params, app };
}

/** Route parameters that carry over from view to view: the range and the app. */
function keptParams(route: Route, range?: { from: string; to: string }): URLSearchParams {
  const keep = new URLSearchParams();
  for (const name of ['from', 'to']) {
    const value = range?.[name as 'from' | 'to'] ?? route.params.get(name);
    if (value) keep.set(name, value);
  }
  if (route.app && apps.length > 1) keep.set('app', route.app);
  return keep;
}

function hrefFor(path: string, params: URLSearchParams): string {
  const query = params.toString();
  return `#/${path}${query ? `?${query}` : ''}`;
}

const app = document.getElementById('app') as HTMLElement;
const nav = h('ul', { class: 'nav' });
const sessionBox = h('div', { class: 'session' });
const appBox = h('div', { class: 'app-switcher' });
const main = h('main', { id: 'main', tabindex: '-1' });
const announcer = h('div', { role: 'status', 'aria-live': 'polite', class: 'visually-hidden' });

app.append(
  h(
    'a',
    {
      class: 'skip-link',
      href: '#main',
      onclick: (event) => {
        event.preventDefault();
        main.focus();
      },
    },
    'Skip to content',
  ),
  h(
    'header',
    { class: 'top' },
    h('p', { class: 'brand' }, h('span', { 'aria-hidden': 'true', class: 'brand-mark' }), 'candor'),
    appBox,
    h('nav', { 'aria-label': 'Views' }, nav),
    sessionBox,
  ),
  main,
  announcer,
);

let controller = new AbortController();
let firstRoute = true;

function drawChrome(route: Route): void {
  const signedIn = !!getToken();
  const keep = keptParams(route);
  appBox.replaceChildren();
  if (apps.length > 1) {
    const id = 'app-select';
    const select = h(
      'select',
      {
        id,
        onchange: (event) => {
          const next = new URLSearchParams(keep);
          next.set('app', (event.target as HTMLSelectElement).value);
          const path = viewsFor(next.get('app')).includes(route.view) ? route.view.path : '';
          location.hash = hrefFor(path, next);
        },
      },
      apps.map((a) => h('option', { value: a.app, selected: a.app === route.app ? true : undefined }, a.app)),
    );
    appBox.append(h('label', { for: id }, 'App'), select);
  }
  nav.replaceChildren(
    ...viewsFor(route.app).map((v) =>
      h(
        'li',
        {},
        h('a', { href: hrefFor(v.path, keep), 'aria-current': v === route.view ? 'page' : undefined }, v.title),
      ),
    ),
  );
  sessionBox.replaceChildren(
    signedIn
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => {
              clearToken();
              announcer.textContent = 'Signed out.';
              void render();
            },
          },
          'Sign out',
        )
      : h('span', { class: 'muted' }, 'Not signed in'),
  );
}

function markRendered(path: string): void {
  main.dataset.state = 'ready';
  document.body.dataset.rendered = path;
  performance.mark(`candor:rendered:${path}`);
}

async function render(message?: string): Promise<void> {
  controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  destroyCharts();
  const route = currentRoute();
  const { view } = route;
  setApp(route.app);
  document.title = `${view.title} · candor`;
  delete document.body.dataset.rendered;
  drawChrome(route);
  const heading = h('h1', { tabindex: '-1' }, view.title);
  main.replaceChildren(heading);
  main.dataset.state = 'loading';
  main.setAttribute('aria-busy', 'true');
  if (!firstRoute) heading.focus();
  firstRoute = false;

  const needsToken = view.kind !== 'public';
  if (needsToken && !getToken()) {
    heading.textContent = `${view.title}: sign in`;
    renderLogin(main, { message, onSignedIn: () => void render() });
    main.dataset.state = 'login';
    main.removeAttribute('aria-busy');
    return;
  }
  const content = h('div', { class: 'content' });
  if (view.kind === 'stats') {
    const range = rangeFromParams(route.params, view.defaultDays);
    main.append(
      rangeSelector(range, (next) => {
        location.hash = hrefFor(view.path, keptParams(route, next));
      }),
      h('p', { class: 'muted range-note' }, `Showing UTC days ${range.from} to ${range.to}.`),
      content,
    );
    try {
      await view.render({ main: content, range, signal });
    } catch (error) {
      return handleFailure(error, signal);
    }
  } else {
    main.append(content);
    try {
      await view.render(content, signal, route.detail);
    } catch (error) {
      return handleFailure(error, signal);
    }
  }
  if (signal.aborted) return;
  main.removeAttribute('aria-busy');
  announcer.textContent = `${view.title} loaded.`;
  markRendered(view.path);
}

function handleFailure(error: unknown, signal: AbortSignal): Promise<void> | undefined {
  if (signal.aborted) return;
  if (error instanceof TokenRefused) {
    clearToken();
    return render('The collector refused your token. Sign in again.');
  }
  main.removeAttribute('aria-busy');
  main.dataset.state = 'error';
  main.append(h('p', { class: 'field-error', role: 'alert' }, `Could not load this view: ${(error as Error).message}`));
  return;
}

window.addEventListener('hashchange', () => void render());
// The app list is public; without it (an older collector) the dashboard shows the default app only.
fetchApps()
  .catch(() => [])
  .then((list) => {
    apps = list;
    void render();
  });
