import type { DictionaryEntry } from '@candor/protocol';
import { fetchDictionary } from '../api.js';
import { append, h, uid } from '../dom.js';

const CATEGORY_TITLES: Record<string, string> = {
  'page-load': 'Page loads',
  search: 'Search',
  settings: 'Settings',
  ui: 'User interface',
  crash: 'Crashes',
  memory: 'Memory',
  system: 'System information',
  media: 'Media',
};

function entryRow(entry: DictionaryEntry, app: string): HTMLTableRowElement {
  // The link names the app, so it shows the same metric on a collector serving several apps.
  const href = `#/dictionary/${entry.name}${app ? `?${new URLSearchParams({ app })}` : ''}`;
  return h(
    'tr',
    { 'data-metric': entry.name, tabindex: '-1' },
    h(
      'th',
      { scope: 'row' },
      h('a', { href, title: 'Link to this metric' }, h('code', {}, entry.name)),
      h('div', { class: 'muted' }, entry.description),
    ),
    h('td', {}, entry.type.replaceAll('_', ' '), entry.unit && entry.unit !== 'count' ? ` (${entry.unit})` : ''),
    h('td', {}, entry.purpose),
    h('td', {}, h('span', { class: `badge sensitivity-${entry.sensitivity}` }, entry.sensitivity)),
    h('td', {}, entry.owner),
    h('td', { class: 'nowrap' }, entry.expires),
    h(
      'td',
      { 'data-field': 'protections' },
      h(
        'ul',
        { class: 'plain' },
        entry.protections.map((p) => h('li', {}, p)),
      ),
    ),
  );
}

/** The public data dictionary: every metric, why it exists, how sensitive it is and what guards it. No token. */
export async function renderDictionary(main: HTMLElement, signal: AbortSignal, metric = ''): Promise<void> {
  const dictionary = await fetchDictionary(signal);
  const entries = dictionary.metrics;
  const filterId = uid('dictionary-filter');
  const count = h('p', { role: 'status', class: 'muted' });
  const body = h('div', {});
  const draw = (filter: string) => {
    const needle = filter.trim().toLowerCase();
    const shown = entries.filter((e) =>
      [e.name, e.description, e.purpose, e.category, e.sensitivity, e.owner, ...e.protections]
        .join(' ')
        .toLowerCase()
        .includes(needle),
    );
    count.textContent = `${shown.length} of ${entries.length} metrics`;
    body.replaceChildren();
    const categories = [...new Set(shown.map((e) => e.category))];
    for (const category of categories) {
      const headingId = uid('dictionary-category');
      body.append(
        h(
          'section',
          { 'aria-labelledby': headingId, class: 'card' },
          h('h2', { id: headingId }, CATEGORY_TITLES[category] ?? category),
          h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'dictionary' },
              h('caption', { class: 'visually-hidden' }, `Metrics about ${CATEGORY_TITLES[category] ?? category}`),
              h(
                'colgroup',
                {},
                ['metric', 'type', 'purpose', 'sensitivity', 'owner', 'expires', 'guards'].map((c) =>
                  h('col', { class: `col-${c}` }),
                ),
              ),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Metric', 'Type', 'Purpose', 'Sensitivity', 'Owner', 'Expires', 'Guarded by'].map((t) =>
                    h('th', { scope: 'col' }, t),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                shown.filter((e) => e.category === category).map((e) => entryRow(e, dictionary.app)),
              ),
            ),
          ),
        ),
      );
    }
  };
  const filter = h('input', {
    id: filterId,
    type: 'search',
    autocomplete: 'off',
    oninput: () => draw(filter.value),
  });
  append(main, [
    dictionary.app
      ? h(
          'p',
          { class: 'muted' },
          'App ',
          h('code', {}, dictionary.app),
          ', registry version ',
          h('code', {}, dictionary.version),
          '.',
        )
      : null,
    h(
      'p',
      {},
      'Everything this app can report, and nothing else: the collector rejects any value not described here. ',
      'Every released number comes from at least k reports; some metrics are also randomised on the device (local ',
      'differential privacy) or given calibrated noise on the collector (central differential privacy). No report ',
      'carries an identifier of any kind, a URL, a path or a search word.',
    ),
    h('div', { class: 'filter' }, h('label', { for: filterId }, 'Filter metrics'), filter, count),
    body,
  ]);
  draw('');
  // #/dictionary/<metric> links straight to one metric (an app can link its users to what it collects).
  if (metric) {
    const row = [...body.querySelectorAll<HTMLTableRowElement>('tr[data-metric]')].find(
      (r) => r.dataset.metric === metric,
    );
    if (row) {
      row.classList.add('linked');
      row.focus();
      row.scrollIntoView({ block: 'center' });
    }
  }
}
