import { fetchPrivacy } from '../api.js';
import { h } from '../dom.js';
import { formatNumber } from '../format.js';

/** One metric's central-DP budget as the collector reports it. */
interface BudgetLine {
  metric: string;
  epsilon?: number;
  spent: number;
  budget: number;
}

/** What GET /v1/privacy told us, read defensively so a newer collector with more fields still renders. */
interface PrivacyFacts {
  k: number | null;
  budgets: BudgetLine[];
}

function numberAt(source: Record<string, unknown>, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = source[name];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return undefined;
}

export function readPrivacy(body: unknown): PrivacyFacts {
  const root = (body ?? {}) as Record<string, unknown>;
  const k = numberAt(root, 'k', 'kThreshold', 'minReports') ?? null;
  const dp = (root.dp ?? root.budgets ?? root.metrics ?? []) as unknown;
  const list: [string, Record<string, unknown>][] = Array.isArray(dp)
    ? dp.map((d) => [String((d as Record<string, unknown>).metric ?? ''), d as Record<string, unknown>])
    : Object.entries((dp ?? {}) as Record<string, Record<string, unknown>>);
  const budgets: BudgetLine[] = [];
  for (const [metric, line] of list) {
    if (!metric || typeof line !== 'object' || line === null) continue;
    const budget = numberAt(line, 'budgetPerDay', 'budget', 'total');
    const spent = numberAt(line, 'spentToday', 'spent');
    if (budget === undefined || spent === undefined) continue;
    budgets.push({ metric, epsilon: numberAt(line, 'epsilon', 'epsilonPerQuery'), spent, budget });
  }
  budgets.sort((a, b) => a.metric.localeCompare(b.metric));
  return { k, budgets };
}

export async function renderPrivacy(main: HTMLElement, signal: AbortSignal): Promise<void> {
  const facts = readPrivacy(await fetchPrivacy(signal));
  main.append(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'privacy-k' },
      h('h2', { id: 'privacy-k' }, 'Minimum group size (k)'),
      h(
        'p',
        {},
        'Every number this dashboard shows comes from at least ',
        h('strong', { 'data-privacy': 'k' }, facts.k === null ? 'an unreported number of' : String(facts.k)),
        ' reports. A group with fewer reports is shown as ',
        h('span', { class: 'suppressed' }, 'suppressed'),
        ' — never as zero, because zero would be a claim the collector cannot make, and the true small number could point at one person. Sites under k are not even named.',
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'privacy-dp' },
      h('h2', { id: 'privacy-dp' }, 'Differential-privacy budget, today'),
      h(
        'p',
        {},
        'Metrics guarded by central differential privacy get calibrated noise on every answer. Each answer spends part of a daily privacy budget (ε); when it is gone, the metric answers no more queries until tomorrow (UTC).',
      ),
      facts.budgets.length === 0
        ? h('p', { 'data-privacy': 'no-dp' }, 'No metric is under central differential privacy on this collector.')
        : h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              {},
              h('caption', {}, 'Privacy budget per metric'),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Metric', 'ε per answer', 'Spent (ε)', 'Left (ε)', 'Daily budget (ε)', 'Used'].map((t, i) =>
                    h('th', { scope: 'col', class: i ? 'num' : undefined }, t),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                facts.budgets.map((b) => {
                  const left = Math.max(0, b.budget - b.spent);
                  const used = b.budget > 0 ? Math.min(1, b.spent / b.budget) : 1;
                  return h(
                    'tr',
                    { 'data-metric': b.metric },
                    h('th', { scope: 'row' }, h('code', {}, b.metric)),
                    h('td', { class: 'num' }, b.epsilon === undefined ? '—' : formatNumber(b.epsilon)),
                    h('td', { class: 'num', 'data-field': 'spent' }, formatNumber(b.spent)),
                    h('td', { class: 'num', 'data-field': 'left' }, formatNumber(left)),
                    h('td', { class: 'num', 'data-field': 'budget' }, formatNumber(b.budget)),
                    h(
                      'td',
                      { class: 'num' },
                      h('meter', { min: 0, max: 1, value: used, 'aria-label': `${b.metric} budget used` }),
                      ` ${Math.round(used * 100)}%`,
                    ),
                  );
                }),
              ),
            ),
          ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'privacy-never' },
      h('h2', { id: 'privacy-never' }, 'What candor does not know'),
      h(
        'ul',
        {},
        h('li', {}, 'Who anyone is: no device, install, account, session or advertising identifier exists.'),
        h('li', {}, 'Which pages anyone visited: a site is its registrable domain, never a URL, path or query.'),
        h('li', {}, 'What anyone searched for: only the engine and where the search started.'),
        h('li', {}, 'Anything done in private mode: it records nothing, and no report says whether it was on.'),
        h('li', {}, 'Where anyone is: the collector never stores an IP address or user agent.'),
        h('li', {}, 'Exact devices: model family, OS major version and language only, rare values suppressed.'),
      ),
      h('p', {}, h('a', { href: '#/dictionary' }, 'See every metric in the data dictionary.')),
    ),
  );
}
