// The protocol's own vectors (vectors/v1/) and published JSON Schemas (docs/protocol/) against the code that
// defines them: if the code changes, these fail until `npm run protocol:vectors` is run and the change reviewed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bucketIndex, bucketLowerBound } from './metrics/buckets.js';
import { contributionBounds } from './privacy/contribution.js';
import { candorBrowserRegistry } from './registry/candor-browser.js';
import { METRIC_TYPES, type MetricDefinition } from './registry/schema.js';
import { keyConfigJsonSchema, metricsJsonSchema, reportBatchJsonSchema } from './report/json-schema.js';
import { registrableDomain } from './site.js';

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const vector = (name: string) => read(`../vectors/v1/${name}`);

describe('published JSON Schemas', () => {
  it.each([
    ['report-batch.schema.json', reportBatchJsonSchema()],
    ['candor-browser.metrics.schema.json', metricsJsonSchema(candorBrowserRegistry)],
    ['keys.schema.json', keyConfigJsonSchema()],
  ])('docs/protocol/%s is generated from the schema the collector checks with', (file, generated) => {
    expect(read(`../../../docs/protocol/${file}`)).toEqual(generated);
  });
});

describe('vectors v1', () => {
  it('registry.json is the example registry with its contribution bounds', () => {
    const { bounds, ...registry } = vector('registry.json');
    expect(registry).toEqual(candorBrowserRegistry);
    for (const [name, def] of Object.entries(candorBrowserRegistry.metrics)) {
      expect(bounds[name], name).toEqual(contributionBounds(def));
    }
  });

  it('sites.json: every URL reduces to its registrable domain or to nothing', () => {
    const cases: { url: string; site: string | null }[] = vector('sites.json');
    expect(cases.length).toBeGreaterThan(10);
    for (const c of cases) expect(registrableDomain(c.url), c.url).toBe(c.site);
  });

  it('buckets.json: every value falls in its bucket, and the lower bounds agree', () => {
    const { values, lowerBounds } = vector('buckets.json') as {
      values: { value: number; index: number }[];
      lowerBounds: number[];
    };
    for (const { value, index } of values) expect(bucketIndex(value), String(value)).toBe(index);
    for (const [i, bound] of lowerBounds.entries()) expect(bucketLowerBound(i)).toBe(bound);
  });
});

describe('docs/protocol.md', () => {
  it("the table of default contribution bounds is the code's", () => {
    const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
    const shown = (n: number) => (n === 2 ** 32 - 1 ? '2³²−1' : n.toLocaleString('en-US'));
    for (const type of METRIC_TYPES) {
      const row = doc.split('\n').find((line) => line.startsWith('| `') && line.includes(`\`${type}\``));
      expect(row, type).toBeDefined();
      const bounds = contributionBounds({ type } as MetricDefinition);
      const cells = (row ?? '').split('|').slice(3, 7).join('|');
      // Only the bounds a type uses appear in its row; 1 is the placeholder of those it does not.
      for (const n of [bounds.value, bounds.total, bounds.samples, bounds.keys]) {
        if (n > 1) expect(cells, `${type}: ${n}`).toContain(shown(n));
      }
    }
  });
});
