import type { PrivacyStatus } from '@candor/protocol';
import { fetchPrivacy } from '../api.js';
import { h } from '../dom.js';
import { formatNumber } from '../format.js';

function table(caption: string, headings: string[], rows: HTMLTableRowElement[]): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption },
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

function guaranteeSection(status: PrivacyStatus): HTMLElement {
  const lines = [...status.releases].sort((a, b) => a.metric.localeCompare(b.metric) || a.by.localeCompare(b.by));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'privacy-dp' },
    h('h2', { id: 'privacy-dp' }, 'The guarantee'),
    h(
      'p',
      { 'data-privacy': 'guarantee' },
      'Each device-day is protected by ',
      h('strong', { 'data-privacy': 'epsilon' }, `ε = ${status.epsilon}`),
      ', ',
      h('strong', { 'data-privacy': 'delta' }, `δ = ${status.delta}`),
      ' (differential privacy): everything this dashboard can ever show about one day changes by at most that much whether or not any one device reported that day.',
    ),
    h(
      'p',
      {},
      `Each phone sends one report per app per day. A day’s reports are accepted until the end of the next ${status.graceDays === 1 ? 'UTC day' : `${status.graceDays} UTC days`}; then the day is released once, with calibrated noise, and its reports are deleted. Every number here is read from those releases, so asking again, asking overlapping ranges or asking before and after an upload reveals nothing new and spends nothing. Days are released through `,
      h('strong', { 'data-privacy': 'released-through' }, status.releasedThrough),
      '.',
    ),
    h(
      'p',
      {},
      'A device used on N days is covered by N such budgets, one per day. Sites, crash signatures, model families, languages and versions are named only when many device-days had them that day; settings, labels and operating systems are always shown in full, with noise, so no value’s presence says anyone had it.',
    ),
    table(
      'How each day’s budget is split (the shares add up to ε and δ)',
      ['Metric', 'Grouped by', 'ε', 'δ', 'Named from (device-days)'],
      lines.map((r) =>
        h(
          'tr',
          { 'data-metric': r.metric, 'data-by': r.by },
          h('th', { scope: 'row' }, h('code', {}, r.metric)),
          h('td', {}, r.by),
          h('td', { class: 'num', 'data-field': 'epsilon' }, r.epsilon.toPrecision(2)),
          h('td', { class: 'num', 'data-field': 'delta' }, r.delta ? r.delta.toPrecision(2) : '0'),
          h(
            'td',
            { class: 'num', 'data-field': 'threshold' },
            r.threshold === null ? 'all values' : formatNumber(r.threshold),
          ),
        ),
      ),
    ),
  );
}

export async function renderPrivacy(main: HTMLElement, signal: AbortSignal): Promise<void> {
  const status = (await fetchPrivacy(signal)) as PrivacyStatus;
  main.append(
    guaranteeSection(status),
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
        h(
          'li',
          {},
          'Where anyone is: the collector never stores an IP address or user agent; apps that send through an Oblivious HTTP relay run by someone else never show it one.',
        ),
        h(
          'li',
          {},
          'Exact devices: model family, OS major version and language only, never together in one stored row; rare values never named.',
        ),
      ),
      h('p', {}, h('a', { href: '#/dictionary' }, 'See every metric in the data dictionary.')),
    ),
  );
}
