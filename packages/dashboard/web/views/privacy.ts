import type { PrivacyStatus } from '@candor/protocol';
import { fetchPrivacy } from '../api.js';
import { h } from '../dom.js';
import { formatNumber } from '../format.js';

function table(caption: string, headings: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headings.map((t, i) => h('th', { scope: 'col', class: i ? 'num' : undefined }, t)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

function budgetSection(status: PrivacyStatus): HTMLElement {
  const lines = [...(status.dp ?? [])].sort((a, b) => a.metric.localeCompare(b.metric));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'privacy-dp' },
    h('h2', { id: 'privacy-dp' }, `Differential-privacy budget for ${status.day} (UTC)`),
    h(
      'p',
      {},
      'With central differential privacy on, every answer gets calibrated noise and spends part of its metric’s daily privacy budget (ε). Asking the same question again the same day returns the same answer and spends nothing. When a metric’s budget is gone it answers no new questions until 00:00 UTC.',
    ),
    lines.length === 0
      ? h(
          'p',
          { 'data-privacy': 'no-dp' },
          'Central differential privacy is off on this collector: answers are exact counts above k.',
        )
      : table(
          'Privacy budget per metric',
          ['Metric', 'ε per answer', 'Spent (ε)', 'Left (ε)', 'Daily budget (ε)', 'Used'],
          lines.map((b) => {
            const used = b.budgetPerDay > 0 ? Math.min(1, b.spentToday / b.budgetPerDay) : 1;
            return h(
              'tr',
              { 'data-metric': b.metric },
              h('th', { scope: 'row' }, h('code', {}, b.metric)),
              h('td', { class: 'num' }, formatNumber(b.epsilon)),
              h('td', { class: 'num', 'data-field': 'spentToday' }, formatNumber(b.spentToday)),
              h('td', { class: 'num', 'data-field': 'leftToday' }, formatNumber(b.leftToday)),
              h('td', { class: 'num', 'data-field': 'budgetPerDay' }, formatNumber(b.budgetPerDay)),
              h(
                'td',
                { class: 'num' },
                h('meter', { min: 0, max: 1, value: used, 'aria-label': `${b.metric}: budget used` }),
                ` ${Math.round(used * 100)}%`,
              ),
            );
          }),
        ),
  );
}

export async function renderPrivacy(main: HTMLElement, signal: AbortSignal): Promise<void> {
  const status = (await fetchPrivacy(signal)) as PrivacyStatus;
  main.append(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'privacy-k' },
      h('h2', { id: 'privacy-k' }, 'Minimum group size (k)'),
      h(
        'p',
        {},
        'Every number this dashboard shows comes from at least ',
        h('strong', { 'data-privacy': 'k' }, String(status.k)),
        ' reports. A group with fewer reports is shown as ',
        h('span', { class: 'suppressed' }, 'suppressed'),
        ' — never as zero: zero would be false, and the true small number could point at one person. Rare sites, models, languages and versions are merged into one unnamed cell, so not even their names are released.',
      ),
      h(
        'p',
        {},
        'Cells withheld since the collector started: ',
        h('strong', { 'data-privacy': 'suppressed-cells' }, formatNumber(status.suppressedCells)),
        '.',
      ),
    ),
    budgetSection(status),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'privacy-ldp' },
      h('h2', { id: 'privacy-ldp' }, 'Randomised on the device (local differential privacy)'),
      h(
        'p',
        {},
        'For these settings each device sometimes reports a random value instead of the true one, so no single report can be believed; the dashboard shows de-biased estimates with their standard error.',
      ),
      status.localDp.length === 0
        ? h('p', {}, 'No metric is randomised on the device.')
        : table(
            'Metrics randomised on the device',
            ['Metric', 'ε'],
            status.localDp.map((m) =>
              h(
                'tr',
                { 'data-metric': m.metric },
                h('th', { scope: 'row' }, h('code', {}, m.metric)),
                h('td', { class: 'num' }, formatNumber(m.epsilon)),
              ),
            ),
          ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'privacy-firewall' },
      h('h2', { id: 'privacy-firewall' }, 'Personal-data firewall'),
      h(
        'p',
        {},
        'Uploads carrying anything that looks like personal data (an e-mail address, a phone number, an identifier, a URL path) are refused whole, before storage.',
      ),
      status.firewall.length === 0
        ? h('p', { 'data-privacy': 'firewall-none' }, 'No upload has been refused since the collector started.')
        : table(
            'Uploads refused since start, by detector',
            ['Detector', 'Uploads refused'],
            status.firewall.map((f) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('code', {}, f.detector)),
                h('td', { class: 'num' }, formatNumber(f.rejected)),
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
        h('li', {}, 'Exact devices: model family, OS major version and language only; rare values suppressed.'),
      ),
      h('p', {}, h('a', { href: '#/dictionary' }, 'See every metric in the data dictionary.')),
    ),
  );
}
