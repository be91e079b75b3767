import { candorBrowserRegistry, type Registry, type ReportBatch } from '@candor/protocol';
import { describe, expect, it } from 'vitest';
import { sampleBatch, seededRandom } from '../testing/reports.js';
import { createRegistryChecker, createShapeGate } from './check.js';
import { RegistrySet } from './set.js';

// A second version of the browser registry without page_load.count, so a report of it may not carry that metric.
const { 'page_load.count': _dropped, ...metrics } = candorBrowserRegistry.metrics;
const older: Registry = { ...candorBrowserRegistry, version: '2026.11.99', metrics };
const registries = new RegistrySet([candorBrowserRegistry, older]);
const day = new Date().toISOString().slice(0, 10);

/** Four reports, the second and fourth naming the older registry (and so without page_load.count). */
function mixedBatch(): ReportBatch {
  const batch = sampleBatch(4, seededRandom(3), day);
  for (const i of [1, 3]) {
    const report = batch.reports[i] as ReportBatch['reports'][number];
    report.registry = older.version;
    delete report.metrics['page_load.count'];
  }
  return JSON.parse(JSON.stringify(batch)) as ReportBatch;
}

describe('shape gate', () => {
  const shapeOf = createShapeGate(registries);
  const check = createRegistryChecker(registries);

  it('passes a batch whose reports each have the shape of the registry they name', () => {
    expect(shapeOf(sampleBatch(3, seededRandom(1), day))).toBe(true);
    const mixed = mixedBatch();
    expect(shapeOf(mixed)).toBe(true);
    expect(check(mixed, { shaped: true }).ok).toBe(true);
  });

  // What it passes, the batch checker no longer checks the shape of: each of these must be refused here.
  it.each([
    [
      'a metric the named registry lacks',
      (b: ReportBatch) => ((b.reports[1] as ReportBatch['reports'][number]).metrics['page_load.count'] = 1),
    ],
    ['a key beside the reports', (b: ReportBatch) => Object.assign(b, { extra: 'x' })],
    [
      'a registry that is not loaded',
      (b: ReportBatch) => ((b.reports[2] as ReportBatch['reports'][number]).registry = '2020.1.1'),
    ],
    [
      'a wrong value in a report of the other registry',
      (b: ReportBatch) => ((b.reports[3] as ReportBatch['reports'][number]).system.osMajor = -1),
    ],
    ['a report that is not an object', (b: ReportBatch) => (b.reports as unknown[]).push(7)],
    ['no reports', (b: ReportBatch) => (b.reports.length = 0)],
  ])('refuses a mixed batch with %s, and the checker refuses it on its own', (_what, spoil) => {
    const batch = mixedBatch();
    spoil(batch);
    expect(shapeOf(batch)).toBe(false);
    expect(check(batch).ok).toBe(false);
  });
});
