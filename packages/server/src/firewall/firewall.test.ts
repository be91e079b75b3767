import { candorBrowserRegistry } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { sampleBatch, seededRandom } from '../testing/reports.js';
import { PiiFirewall } from './firewall.js';

const EMAIL = 'jane@example.com';

/** An honest batch of one report with `put` applied to it. */
function batchWith(put: (report: Record<string, unknown>, metrics: Record<string, unknown>) => void): unknown {
  const batch = JSON.parse(JSON.stringify(sampleBatch(1, seededRandom(5)))) as { reports: Record<string, unknown>[] };
  const report = batch.reports[0] as Record<string, unknown>;
  put(report, report.metrics as Record<string, unknown>);
  return batch;
}

describe('PII firewall', () => {
  it('passes honest batches', () => {
    const firewall = new PiiFirewall(candorBrowserRegistry);
    const random = seededRandom(9);
    for (let i = 0; i < 50; i++) expect(firewall.scan(sampleBatch(10, random))).toBeNull();
  });

  // The registry's and the schema's own words are skipped; personal data where those words belong is not.
  it.each([
    [
      'as a label',
      (_r: Record<string, unknown>, m: Record<string, unknown>) => (m['search.engine_use'] = { [EMAIL]: 1 }),
    ],
    [
      'as an enumeration value',
      (_r: Record<string, unknown>, m: Record<string, unknown>) => (m['settings.text_size'] = EMAIL),
    ],
    [
      'as an event extra',
      (_r: Record<string, unknown>, m: Record<string, unknown>) => (m['ui.menu_action'] = [{ item: EMAIL }]),
    ],
    [
      'as an extra name',
      (_r: Record<string, unknown>, m: Record<string, unknown>) => (m['ui.menu_action'] = [{ [EMAIL]: 1 }]),
    ],
    ['as a metric name', (_r: Record<string, unknown>, m: Record<string, unknown>) => (m[EMAIL] = 1)],
    [
      'as a distribution key',
      (_r: Record<string, unknown>, m: Record<string, unknown>) => (m['page_load.time'] = { [EMAIL]: 1 }),
    ],
    [
      'as a site',
      (_r: Record<string, unknown>, m: Record<string, unknown>) => (m['page_load.time_by_site'] = { [EMAIL]: {} }),
    ],
    ['as the OS', (r: Record<string, unknown>) => ((r.system as Record<string, unknown>).os = EMAIL)],
    ['as the report kind', (r: Record<string, unknown>) => (r.kind = EMAIL)],
    [
      'next to a registry word',
      (_r: Record<string, unknown>, m: Record<string, unknown>) => (m['settings.text_size'] = `large ${EMAIL}`),
    ],
  ])('finds an email address %s', (_where, put) => {
    const hit = new PiiFirewall(candorBrowserRegistry).scan(batchWith(put));
    expect(hit?.detector).toBe('contact/email');
  });
});
