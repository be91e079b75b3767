import { candorBrowserRegistry, type ReportBatch } from '@candor/protocol';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { findStructureProblem, MAX_JSON_DEPTH } from '../check/structure.js';
import { createShapeGate } from '../registry/check.js';
import { RegistrySet } from '../registry/set.js';
import { sampleBatch, seededRandom } from '../testing/reports.js';
import { PiiFirewall } from './firewall.js';

/** Every string the detectors are asked about, with its field, in order: what a scan inspected. */
const detectorCalls = vi.hoisted(() => ({ list: [] as string[] }));
vi.mock('@candor/audit', async (importOriginal) => {
  const audit = await importOriginal<typeof import('@candor/audit')>();
  return {
    ...audit,
    detectPersonalData: (value: string, field: string) => {
      detectorCalls.list.push(`${field} = ${value}`);
      return audit.detectPersonalData(value, field);
    },
  };
});

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
    expect(hit && 'detector' in hit ? hit.detector : hit).toBe('contact/email');
  });

  it('asks the detectors about the same strings, in the same order, whether or not the batch is known to be shaped', () => {
    const shapeOf = createShapeGate(new RegistrySet([candorBrowserRegistry]));
    // Shaped values that are data: model families (one a MAC address), sites, crash types and signatures.
    const family = fc.constantFrom('pixel', 'galaxy a', '00-14-22-01-23-45', 'mi');
    const site = fc.constantFrom('bbc.co.uk', 'patient-4711.small-town-clinic.org', 'example.net', 'mail.example.org');
    const crash = fc.record({
      type: fc.constantFrom('TypeError', 'jane_doe', 'OutOfMemory'),
      signature: fc.constantFrom('0123456789abcdef', 'fedcba9876543210'),
      count: fc.integer({ min: 1, max: 3 }),
    });
    const batch = fc
      .record({
        seed: fc.integer({ min: 1, max: 2 ** 30 }),
        size: fc.integer({ min: 1, max: 6 }),
        families: fc.array(family, { minLength: 6, maxLength: 6 }),
        sites: fc.array(fc.uniqueArray(site, { maxLength: 3 }), { minLength: 6, maxLength: 6 }),
        crashes: fc.array(fc.array(crash, { maxLength: 2 }), { minLength: 6, maxLength: 6 }),
      })
      .map(({ seed, size, families, sites, crashes }) => {
        const b = sampleBatch(size, seededRandom(seed)) as ReportBatch;
        b.reports.forEach((report, i) => {
          report.system.modelFamily = families[i] as string;
          const bySite: Record<string, unknown> = {};
          for (const name of sites[i] ?? []) bySite[name] = { sum: 100, count: 1, buckets: { '53': 1 } };
          if (Object.keys(bySite).length) report.metrics['page_load.time_by_site'] = bySite as never;
          if (crashes[i]?.length) report.metrics['crash.app'] = crashes[i] as never;
        });
        return JSON.parse(JSON.stringify(b)) as unknown;
      });
    let hits = 0;
    fc.assert(
      fc.property(batch, (b) => {
        expect(shapeOf(b)).toBe(true);
        detectorCalls.list = [];
        const whole = new PiiFirewall(candorBrowserRegistry).scan(b);
        const wholeCalls = detectorCalls.list;
        detectorCalls.list = [];
        const shaped = new PiiFirewall(candorBrowserRegistry).scan(b, true);
        expect(shaped).toEqual(whole);
        expect(detectorCalls.list).toEqual(wholeCalls);
        if (whole) hits++;
      }),
      { numRuns: 300 },
    );
    // Some batches are refused (the MAC address), so both verdicts are exercised.
    expect(hits).toBeGreaterThan(10);
  });

  it('refuses nesting deeper than any report wherever it is, as the iterative structure check does', () => {
    /** Container depth, the slow way. */
    const depthOf = (value: unknown): number => {
      if (typeof value !== 'object' || value === null) return 0;
      const inner = Array.isArray(value) ? value : Object.values(value);
      return 1 + Math.max(0, ...inner.map(depthOf));
    };
    // The batch's and a report's own field names, so the scan's paths for batches, reports and metrics are taken.
    const key = fc.constantFrom('v', 'reports', 'metrics', 'system', 'page_load.time', 'a');
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', maxDepth: 6 },
        fc.integer(),
        fc.boolean(),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(key, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    // A tree wrapped in up to twelve arrays and objects, so about half the cases cross the limit.
    const value = fc
      .tuple(tree, fc.array(fc.option(key), { maxLength: 12 }))
      .map(([inner, wraps]) => wraps.reduce<unknown>((v, k) => (k === null ? [v] : { [k]: v }), inner));
    const firewall = new PiiFirewall(candorBrowserRegistry);
    let deep = 0;
    fc.assert(
      fc.property(value, (v) => {
        const tooDeep = depthOf(v) > MAX_JSON_DEPTH;
        if (tooDeep) deep++;
        const found = firewall.scan(v);
        expect({ tooDeep: found !== null && 'tooDeep' in found }).toEqual({ tooDeep });
        expect(findStructureProblem(v)?.problem === 'too-deep').toBe(tooDeep);
      }),
      { numRuns: 3_000 },
    );
    expect(deep).toBeGreaterThan(100);
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect(firewall.scan(JSON.parse(`{"v":1,"reports":[${nested(100_000)}]}`))).toEqual({ tooDeep: true });
    expect(firewall.scan(JSON.parse(`{"v":1,"x":${nested(9)},"reports":[]}`))).toEqual({ tooDeep: true });
    expect(firewall.scan(JSON.parse(`{"v":1,"x":${nested(7)},"reports":[]}`))).toBeNull();
  });
});
