import { defineRegistry } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { sampleReport, seededRandom } from '../testing/reports.js';
import { createMessageChecker } from './checks.js';

const review = {
  category: 'ui',
  owner: 'notes-team@notes.example',
  purpose: 'Know whether people write notes at all.',
  sensitivity: 'interaction',
  expires: '2099-12-31',
} as const;
const notesV1 = defineRegistry({
  app: 'notes',
  version: '2026.1.1',
  metrics: { 'notes.shared': { type: 'counter', description: 'Notes shared in a day.', ...review } },
});
// Version 2 drops notes.shared: a queued report of version 1 must still be judged by version 1.
const notesV2 = defineRegistry({
  app: 'notes',
  version: '2026.2.1',
  metrics: { 'notes.deleted': { type: 'counter', description: 'Notes deleted in a day.', ...review } },
});

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('the writer checks a queued message as the collector did', () => {
  const check = createMessageChecker([notesV1, notesV2]);
  const random = seededRandom(5);

  it('judges each report by the registry version it names, not the newest of its app', () => {
    const v1 = check(
      encode(sampleReport(random, { app: 'notes', registry: '2026.1.1', metrics: { 'notes.shared': 2 } })),
    );
    expect(v1).toMatchObject({ ok: true, registry: notesV1 });
    const v2 = check(
      encode(sampleReport(random, { app: 'notes', registry: '2026.2.1', metrics: { 'notes.shared': 2 } })),
    );
    expect(v2.ok).toBe(false);
  });

  it('leaves a report of a version this writer does not hold for a writer that does', () => {
    const other = check(encode(sampleReport(random, { app: 'notes', registry: '2026.3.1', metrics: {} })));
    expect(other).toEqual({ ok: false, unknownApp: 'notes' });
  });

  it('refuses a message nested too deep as such, keeping it as a dead letter rather than as personal data', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50; i++) deep = { a: deep };
    const report = sampleReport(random, { app: 'notes', registry: '2026.1.1', metrics: { 'notes.shared': deep } });
    const result = check(encode(report));
    expect(result).toMatchObject({ ok: false });
    expect('personal' in result && result.personal).toBeFalsy();
  });
});
