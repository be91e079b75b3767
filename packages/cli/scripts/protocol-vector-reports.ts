/**
 * The report vectors: uploads as a client might send them, each with the verdict the collector must give, written
 * by hand. `receivedAt` is the collector's clock when the upload arrives (it decides which days are accepted).
 */
import { bucketIndex } from '@candor/protocol';

type Expect =
  | { status: 202; accepted: number }
  | { status: number; type: string; metric: string; field: string; detector?: string };

export interface ReportCase {
  name: string;
  receivedAt: string;
  batch: { v: unknown; reports: Record<string, unknown>[] };
  expect: Expect;
}

const RECEIVED_AT = '2026-11-22T12:00:00.000Z';
const DAY = '2026-11-22';

function distribution(samples: number[]) {
  const buckets: Record<string, number> = {};
  for (const s of samples) buckets[bucketIndex(s)] = (buckets[bucketIndex(s)] ?? 0) + 1;
  return { sum: samples.reduce((a, b) => a + b, 0), count: samples.length, buckets };
}

let counter = 0;
/** Report ids are random in real clients; vectors use fixed ones so the files are stable. */
const nextId = () => createId(++counter);
function createId(n: number): string {
  return `${'5eed'}${n.toString(16).padStart(4, '0')}${'a1b2c3d4e5f60718293a4b5c'}`.slice(0, 32);
}

function report(metrics: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  return {
    id: nextId(),
    app: 'candor-browser',
    appVersion: '3.4',
    registry: '2026.11.1',
    day: DAY,
    kind: 'daily',
    system: { modelFamily: 'redmi note', os: 'android', osMajor: 14, language: 'en' },
    metrics,
    ...overrides,
  };
}

const full = () =>
  report({
    'page_load.time_by_site': { 'example.com': distribution([420, 1800]), 'bbc.co.uk': distribution([950]) },
    'page_load.time': distribution([420, 1800, 950]),
    'page_load.count': 3,
    'search.engine_use': { duckduckgo: 2, google: 1 },
    'settings.dark_mode': true,
    'settings.text_size': 'large',
    'ui.menu_action': [{ item: 'settings', from_toolbar: true }, { item: 'new_tab' }],
    'ui.open_tabs': 7,
    'crash.app': [{ type: 'TypeError', signature: '9f2c4e1a7b3d5c60', count: 1 }],
    'memory.js_heap': distribution([48_000]),
  });

const problem = (slug: string) => `https://candor.dev/problems/${slug}`;
const accepted = (n: number): Expect => ({ status: 202, accepted: n });
const invalidReport = (field: string): Expect => ({
  status: 422,
  type: problem('invalid-report'),
  metric: '(report)',
  field,
});
const invalidValue = (metric: string, field: string): Expect => ({
  status: 422,
  type: problem('invalid-value'),
  metric,
  field,
});
const personalData = (metric: string, field: string, detector?: string): Expect => ({
  status: 422,
  type: problem('personal-data'),
  metric,
  field,
  ...(detector ? { detector } : {}),
});

const cases: [string, Record<string, unknown>[], Expect, unknown?][] = [
  ['a report using most metric types', [full()], accepted(1)],
  ['a report with no metric values', [report({})], accepted(1)],
  ['two reports in one batch', [full(), report({ 'page_load.count': 1 })], accepted(2)],
  ['batch version 2', [full()], invalidReport('v'), 2],
  ['a field the schema does not have', [report({}, { note: 1 })], invalidReport('')],
  [
    'a device identifier field',
    [report({}, { deviceId: 'f3b1c2d4e5a6978812345678' })],
    personalData('(report)', 'deviceId'),
  ],
  ['report id in upper case', [report({}, { id: 'A1B2C3D4E5F60718293A4B5C6D7E8F90' })], invalidReport('id')],
  ['report id as a UUID', [report({}, { id: '123e4567-e89b-12d3-a456-426614174000' })], invalidReport('id')],
  ['app version with a patch number', [report({}, { appVersion: '3.4.1' })], invalidReport('appVersion')],
  [
    'language with a region',
    [report({}, { system: { modelFamily: 'redmi note', os: 'android', osMajor: 14, language: 'en-gb' } })],
    invalidReport('system.language'),
  ],
  [
    'an exact model instead of a family',
    [report({}, { system: { modelFamily: 'Redmi Note 8 Pro', os: 'android', osMajor: 14, language: 'en' } })],
    invalidReport('system.modelFamily'),
  ],
  [
    'an e-mail address as a model family',
    [report({}, { system: { modelFamily: 'ann@example.com', os: 'android', osMajor: 14, language: 'en' } })],
    personalData('(report)', 'system.modelFamily'),
  ],
  ['kind not in the schema', [report({}, { kind: 'session' })], invalidReport('kind')],
  ['a metric not in the registry', [report({ 'tracking.visits': 1 })], invalidValue('tracking.visits', '')],
  ['a counter above its bound', [report({ 'page_load.count': 1001 })], invalidValue('page_load.count', '')],
  ['a negative counter', [report({ 'page_load.count': -1 })], invalidValue('page_load.count', '')],
  ['a fractional counter', [report({ 'page_load.count': 1.5 })], invalidValue('page_load.count', '')],
  ['a quantity above its bound', [report({ 'ui.open_tabs': 501 })], invalidValue('ui.open_tabs', '')],
  [
    'an enumeration value not declared',
    [report({ 'settings.text_size': 'huge' })],
    invalidValue('settings.text_size', ''),
  ],
  ['a boolean sent as a string', [report({ 'settings.dark_mode': 'true' })], invalidValue('settings.dark_mode', '')],
  [
    'a bucket index above 256',
    [report({ 'page_load.time': { sum: 1, count: 1, buckets: { '257': 1 } } })],
    invalidValue('page_load.time', 'buckets.257'),
  ],
  [
    'a distribution with a zero count',
    [report({ 'page_load.time': { sum: 0, count: 0, buckets: {} } })],
    invalidValue('page_load.time', 'count'),
  ],
  [
    'a full URL as a site',
    [report({ 'page_load.time_by_site': { 'https://mail.example.com/inbox?u=ann': distribution([300]) } })],
    personalData('page_load.time_by_site', '(key)'),
  ],
  [
    'a site with a path',
    [report({ 'page_load.time_by_site': { 'example.com/inbox': distribution([300]) } })],
    invalidValue('page_load.time_by_site', '(key)'),
  ],
  [
    'an event extra not declared',
    [report({ 'ui.menu_action': [{ item: 'settings', position: 3 }] })],
    invalidValue('ui.menu_action', '0'),
  ],
  [
    'a crash signature that is not 16 hex',
    [report({ 'crash.app': [{ type: 'TypeError', signature: 'abc', count: 1 }] })],
    invalidValue('crash.app', '0.signature'),
  ],
  [
    'a crash type carrying a message',
    [report({ 'crash.app': [{ type: 'Error: mail ann@example.com', signature: '9f2c4e1a7b3d5c60', count: 1 }] })],
    personalData('crash.app', 'type', 'contact/email'),
  ],
  [
    'a subdomain as a site',
    [report({ 'page_load.time_by_site': { 'news.bbc.co.uk': distribution([300]) } })],
    invalidValue('page_load.time_by_site', '(key)'),
  ],
  [
    'a public suffix as a site',
    [report({ 'page_load.time_by_site': { 'co.uk': distribution([300]) } })],
    invalidValue('page_load.time_by_site', '(key)'),
  ],
  [
    '51 sites, above the bound of 50',
    [
      report({
        'page_load.time_by_site': Object.fromEntries(
          Array.from({ length: 51 }, (_, i) => [`site${i}.com`, distribution([300])]),
        ),
      }),
    ],
    invalidValue('page_load.time_by_site', ''),
  ],
  ['a label not declared', [report({ 'search.engine_use': { askjeeves: 1 } })], invalidValue('search.engine_use', '')],
  [
    'labels adding up above maxTotal',
    [report({ 'search.engine_use': { google: 30, bing: 25 } })],
    invalidValue('search.engine_use', ''),
  ],
  [
    'one label above max',
    [report({ 'ui.feature_used': { bookmarks: 51 } })],
    invalidValue('ui.feature_used', 'bookmarks'),
  ],
  [
    'labels at their bounds',
    [report({ 'search.engine_use': { google: 30, bing: 20 }, 'ui.feature_used': { bookmarks: 50 } })],
    accepted(1),
  ],
  [
    'a distribution with more samples than maxSamples',
    [report({ 'page_load.time': distribution(Array.from({ length: 1001 }, () => 100)) })],
    invalidValue('page_load.time', 'count'),
  ],
  [
    'bucket counts that do not add up to count',
    [report({ 'page_load.time': { sum: 200, count: 3, buckets: { [bucketIndex(100)]: 2 } } })],
    invalidValue('page_load.time', 'buckets'),
  ],
  [
    'a sum no samples in these buckets can add up to',
    [report({ 'page_load.time': { sum: 1_000_000, count: 1, buckets: { [bucketIndex(100)]: 1 } } })],
    invalidValue('page_load.time', 'sum'),
  ],
  [
    'a bucket index written with a leading zero',
    [report({ 'page_load.time': { sum: 1, count: 1, buckets: { '08': 1 } } })],
    invalidValue('page_load.time', 'buckets.08'),
  ],
  [
    'a crash count above its bound',
    [report({ 'crash.app': [{ type: 'TypeError', signature: '9f2c4e1a7b3d5c60', count: 21 }] })],
    invalidValue('crash.app', '0.count'),
  ],
  [
    'the same crash signature twice',
    [
      report({
        'crash.app': [
          { type: 'TypeError', signature: '9f2c4e1a7b3d5c60', count: 1 },
          { type: 'RangeError', signature: '9f2c4e1a7b3d5c60', count: 1 },
        ],
      }),
    ],
    invalidValue('crash.app', '1.signature'),
  ],
  [
    'more events than maxKeys',
    [report({ 'ui.menu_action': Array.from({ length: 201 }, () => ({ item: 'settings' })) })],
    invalidValue('ui.menu_action', ''),
  ],
  ['the oldest accepted day (3 days late)', [report({ 'page_load.count': 1 }, { day: '2026-11-19' })], accepted(1)],
  ['a day 4 days late', [report({ 'page_load.count': 1 }, { day: '2026-11-18' })], invalidValue('(report)', 'day')],
  ['tomorrow (a clock running ahead)', [report({ 'page_load.count': 1 }, { day: '2026-11-23' })], accepted(1)],
  [
    'the day after tomorrow',
    [report({ 'page_load.count': 1 }, { day: '2026-11-24' })],
    invalidValue('(report)', 'day'),
  ],
  [
    'a day that is no calendar date',
    [report({ 'page_load.count': 1 }, { day: '2026-02-30' })],
    invalidValue('(report)', 'day'),
  ],
  [
    '51 reports in one batch',
    Array.from({ length: 51 }, () => report({ 'page_load.count': 1 })),
    { status: 413, type: problem('too-many-reports'), metric: '(batch)', field: 'reports' },
  ],
  // The activity section (docs/protocol.md): 2026-11-22 is a Sunday, the seventh day of its UTC week.
  [
    'an activity section',
    [report({}, { activity: { sincePrevious: 2, activeDays7: 3, activeDays28: 9, weeksSinceFirstUse: 5 } })],
    accepted(1),
  ],
  [
    'an activity section on the first day of use',
    [report({}, { activity: { sincePrevious: 0, activeDays7: 1, activeDays28: 1, weeksSinceFirstUse: 0 } })],
    accepted(1),
  ],
  [
    'an activity count out of its range',
    [report({}, { activity: { sincePrevious: 1, activeDays7: 8, activeDays28: 9, weeksSinceFirstUse: 5 } })],
    invalidReport('activity.activeDays7'),
  ],
  [
    'activity figures no history of use can give',
    [report({}, { activity: { sincePrevious: 10, activeDays7: 3, activeDays28: 4, weeksSinceFirstUse: 2 } })],
    invalidValue('(report)', 'activity.activeDays7'),
  ],
  [
    'a day of use before the week of first use',
    [report({}, { activity: { sincePrevious: 7, activeDays7: 1, activeDays28: 2, weeksSinceFirstUse: 0 } })],
    invalidValue('(report)', 'activity.sincePrevious'),
  ],
  [
    'the history of days of use itself',
    [report({}, { activity: { days: ['2026-11-20', '2026-11-21'] } })],
    personalData('(report)', 'activity.(key)'),
  ],
];

export const reportCases: ReportCase[] = cases.map(([name, reports, expect, v]) => ({
  name,
  receivedAt: RECEIVED_AT,
  batch: { v: v ?? 1, reports },
  expect,
}));
