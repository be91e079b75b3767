// `candor registry check`: what a team's metrics file may get wrong, each named by metric and field.
import { candorBrowserRegistry } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { checkRegistry, formatIssue } from '../src/registry/check.js';
import { registryModule } from '../src/registry/types.js';

const TODAY = '2026-11-30';
const good = {
  type: 'counter',
  category: 'ui',
  description: 'Notes created in a day.',
  purpose: 'Know whether people write notes at all.',
  owner: 'notes-team@notes.example',
  sensitivity: 'interaction',
  expires: '2027-06-30',
};
const file = (metrics: Record<string, unknown>) => ({ app: 'notes', version: '2026.11.1', metrics });
const errors = (raw: unknown) =>
  checkRegistry(raw, TODAY)
    .issues.filter((i) => i.severity === 'error')
    .map(formatIssue);

describe('candor registry check', () => {
  it('accepts a good file and the example registry', () => {
    expect(checkRegistry(file({ 'notes.created': good }), TODAY).issues).toEqual([]);
    expect(errors(candorBrowserRegistry)).toEqual([]);
  });

  it('names the metric and field of a schema error', () => {
    expect(errors(file({ 'notes.created': { ...good, sensitivity: 'secret' } }))).toEqual([
      expect.stringMatching(/^error: notes\.created sensitivity: /),
    ]);
    expect(errors(file({ 'notes.created': { ...good, type: 'labeled_counter' } }))).toEqual([
      'error: notes.created labels: labeled_counter needs labels',
    ]);
    expect(errors(file({ 'Notes.Created': good }))[0]).toMatch(/Notes\.Created.*group\.name/);
    expect(errors({ ...file({}), version: '1.0' })[0]).toMatch(/^error: \(registry\) version: /);
  });

  it('catches a misspelt field, which a schema would silently drop', () => {
    expect(errors(file({ 'notes.created': { ...good, expire: '2027-01-01' } }))).toEqual([
      expect.stringMatching(/^error: notes\.created expire: unknown field/),
    ]);
    expect(errors({ ...file({ 'notes.created': good }), metric: {} })).toEqual([
      'error: (registry) metric: unknown field',
    ]);
  });

  it('refuses an expired metric and warns before expiry', () => {
    expect(errors(file({ 'notes.created': { ...good, expires: '2026-11-29' } }))).toEqual([
      expect.stringMatching(/^error: notes\.created expires: expired on 2026-11-29/),
    ]);
    const soon = checkRegistry(file({ 'notes.created': { ...good, expires: '2026-12-15' } }), TODAY).issues;
    expect(soon).toMatchObject([{ severity: 'warning', metric: 'notes.created', field: 'expires' }]);
    expect(errors(file({ 'notes.created': { ...good, expires: '2026-02-30' } }))[0]).toMatch(/not a calendar day/);
  });

  it('checks contribution bounds against the metric type', () => {
    expect(errors(file({ 'notes.created': { ...good, maxSamples: 10 } }))).toEqual([
      expect.stringMatching(/^error: notes\.created maxSamples: does not apply to a counter/),
    ]);
    expect(errors(file({ 'notes.created': { ...good, max: 2.5 } }))).toEqual([
      'error: notes.created max: a counter counts whole events; use a whole number',
    ]);
    expect(errors(file({ 'notes.created': { ...good, max: -1 } }))[0]).toMatch(/^error: notes\.created max: /);
    const labels = { ...good, type: 'labeled_counter', labels: ['a', 'b'], max: 50, maxTotal: 10 };
    expect(checkRegistry(file({ 'notes.by_kind': labels }), TODAY).issues).toMatchObject([
      { severity: 'warning', field: 'maxTotal' },
    ]);
  });

  it('checks the data-review fields and closed lists', () => {
    expect(errors(file({ 'notes.created': { ...good, purpose: good.description } }))).toEqual([
      'error: notes.created purpose: repeats the description; say why the metric is needed',
    ]);
    const list = { ...good, type: 'enumeration', values: ['light', 'dark', 'light'] };
    expect(errors(file({ 'editor.theme': list }))).toEqual(['error: editor.theme values: "light" is listed twice']);
    const site = { ...good, type: 'site', unit: 'ms' };
    expect(errors(file({ 'page.load_by_site': site }))).toEqual([
      'error: page.load_by_site sensitivity: a site metric records web activity: use "web-activity"',
    ]);
  });
});

describe('candor registry types', () => {
  it('writes a module that declares the registry with defineRegistry under an identifier named after the app', () => {
    const module = registryModule({ ...candorBrowserRegistry, app: 'my-notes.app' }, 'metrics.yaml');
    expect(module).toContain("import { defineRegistry } from '@candor/protocol';");
    expect(module).toContain('export const myNotesAppRegistry = defineRegistry({');
    expect(module).toContain('export type MyNotesAppRegistry = typeof myNotesAppRegistry;');
    expect(module).toContain('"page_load.time_by_site"');
  });
});
