import { acceptedDays, candorBrowserRegistry, isRegistrableSite, SEALED_CONTENT_TYPE } from '@candor/protocol';
import fc from 'fast-check';
import { sealEnvelope } from '../open/envelope.js';
import { distribution, sampleReport, seededRandom } from './reports.js';

/**
 * Hostile uploads for property-based fuzzing (fast-check). Every case is built to be invalid in at least one way
 * the collector must refuse, and every report in it carries HOSTILE_APP_VERSION, so "rows stored from hostile
 * input" is a plain count of that app version in the store. Cases are JSON text (sealed for real by `sealCase`)
 * or raw envelope damage.
 */
export const HOSTILE_APP_VERSION = '6.66';

const REGISTRY_NAMES = new Set(Object.keys(candorBrowserRegistry.metrics));
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const DAY_MS = 86_400_000;

export interface HostileCase {
  /** What the case attacks, for statistics. */
  attack: string;
  /** The opened upload as text. */
  text: string;
  /** Damage done to the sealed envelope after sealing, if any. */
  envelope?: 'flip' | 'truncate' | 'content-type';
  /** Position (fraction of the length) of envelope damage. */
  at?: number;
}

type Json = Record<string, unknown>;

/** An honest report of the hostile app version, chosen by seed. */
const base = fc.integer({ min: 1, max: 1_000_000 }).map((seed) => {
  const report = sampleReport(seededRandom(seed)) as unknown as Json;
  report.appVersion = HOSTILE_APP_VERSION;
  return report;
});

/** Numbers no bound allows anywhere: beyond every contribution bound, negative, or not safe integers. */
const hugeOrNegative = fc.oneof(
  fc.constant(2 ** 53 - 1),
  fc.double({ min: 1e13, max: 1e300, noNaN: true }),
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.constant(-0.5),
);

/** Values of a type other than `keep` (JSON types: string, number, boolean, null, array, object). */
const otherType = (keep: 'number' | 'string' | 'boolean' | 'object') =>
  fc
    .oneof(
      fc.string({ maxLength: 20 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
    )
    .filter((v) => (keep === 'object' ? typeof v !== 'object' || v === null || Array.isArray(v) : typeof v !== keep));

const numericTargets: ((r: Json, v: number) => void)[] = [
  (r, v) => ((r.metrics as Json)['page_load.count'] = v),
  (r, v) => ((r.metrics as Json)['ui.open_tabs'] = v),
  (r, v) => ((r.metrics as Json)['search.engine_use'] = { google: v }),
  (r, v) => ((r.metrics as Json)['page_load.time'] = { sum: v, count: 1, buckets: { 10: 1 } }),
  (r, v) => ((r.metrics as Json)['page_load.time'] = { sum: 100, count: v, buckets: { 53: v } }),
  (r, v) => ((r.metrics as Json)['memory.js_heap'] = { sum: v, count: v, buckets: { 100: v } }),
  (r, v) => ((r.metrics as Json)['crash.app'] = [{ type: 'TypeError', signature: '0123456789abcdef', count: v }]),
  (r, v) => ((r.system as Json).osMajor = v),
];

const attacks: fc.Arbitrary<{ attack: string; mutate: (r: Json) => void }>[] = [
  // A number beyond its bound, in any numeric field.
  fc
    .tuple(fc.nat(numericTargets.length - 1), hugeOrNegative)
    .map(([i, v]) => ({ attack: 'number-out-of-bounds', mutate: (r: Json) => numericTargets[i]?.(r, v) })),
  // A distribution whose parts disagree: bucket counts that do not add up to count.
  fc
    .tuple(
      fc.dictionary(fc.integer({ min: 0, max: 256 }).map(String), fc.integer({ min: 1, max: 50 }), {
        minKeys: 1,
        maxKeys: 6,
      }),
      fc.integer({ min: 1, max: 50 }),
    )
    .map(([buckets, extra]) => ({
      attack: 'distribution-disagrees',
      mutate: (r: Json) => {
        const count = Object.values(buckets).reduce((a, b) => a + b, 0) + extra;
        (r.metrics as Json)['page_load.time'] = { sum: 1000, count, buckets };
      },
    })),
  // A day that is no date or lies outside the accepted window.
  fc
    .oneof(
      fc.string({ maxLength: 12 }),
      fc
        .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
        .map(
          ([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
        ),
      fc
        .integer({ min: 5, max: 3_000_000 })
        .chain((days) =>
          fc
            .constantFrom(Date.now() - days * DAY_MS, Date.now() + days * DAY_MS)
            .map((t) => new Date(t).toISOString().slice(0, 10)),
        ),
    )
    .filter((day) => {
      const { from, to } = acceptedDays(Date.now());
      return !(/^\d{4}-\d{2}-\d{2}$/.test(day) && day >= from && day <= to && !Number.isNaN(Date.parse(day)));
    })
    .map((day) => ({ attack: 'bad-day', mutate: (r: Json) => (r.day = day) })),
  // A metric name the registry does not have, prototype names included.
  fc
    .oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ minLength: 1, maxLength: 30 }))
    .filter((name) => !REGISTRY_NAMES.has(name))
    .map((name) => ({
      attack: 'unknown-metric',
      mutate: (r: Json) =>
        Object.defineProperty(r.metrics, name, { value: 1, enumerable: true, configurable: true, writable: true }),
    })),
  // A site key that is not a registrable domain.
  fc
    .oneof(
      fc.constantFrom(
        'www.google.com',
        'patient-4711.small-town-clinic.org',
        'localhost',
        '127.0.0.1',
        'co.uk',
        ...PROTOTYPE_NAMES,
      ),
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.domain().map((d) => `www.${d}`),
    )
    .filter((site) => !isRegistrableSite(site))
    .map((site) => ({
      attack: 'bad-site',
      mutate: (r: Json) => {
        const sites: Json = {};
        Object.defineProperty(sites, site, {
          value: distribution([300]),
          enumerable: true,
          configurable: true,
          writable: true,
        });
        (r.metrics as Json)['page_load.time_by_site'] = sites;
      },
    })),
  // A label, an extra or a system field nobody declared.
  fc
    .tuple(
      fc.constantFrom('label', 'extra', 'system', 'report'),
      fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ minLength: 1, maxLength: 20 })),
    )
    .filter(([where, key]) => {
      const declared: Record<string, string[]> = {
        label: candorBrowserRegistry.metrics['search.engine_use']?.labels ?? [],
        extra: ['item', 'from_toolbar'],
        system: ['modelFamily', 'os', 'osMajor', 'language'],
        report: ['id', 'app', 'appVersion', 'registry', 'day', 'kind', 'system', 'metrics'],
      };
      return !declared[where]?.includes(key);
    })
    .map(([where, key]) => ({
      attack: `undeclared-${where}`,
      mutate: (r: Json) => {
        const define = (target: object, value: unknown) =>
          Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
        if (where === 'label') (r.metrics as Json)['search.engine_use'] = define({}, 1);
        else if (where === 'extra') (r.metrics as Json)['ui.menu_action'] = [define({ item: 'settings' }, true)];
        else if (where === 'system') define(r.system as Json, 'x');
        else define(r, 1);
      },
    })),
  // A value of the wrong type.
  fc
    .tuple(
      fc.constantFrom('page_load.count', 'settings.dark_mode', 'page_load.time', 'ui.menu_action', 'day', 'id'),
      otherType('object'),
    )
    .map(([field, value]) => ({
      attack: 'wrong-type',
      mutate: (r: Json) => {
        if (field === 'day' || field === 'id') r[field] = typeof value === 'string' ? 7 : value;
        else if (field === 'settings.dark_mode')
          (r.metrics as Json)[field] = typeof value === 'boolean' ? 'yes' : value;
        else if (field === 'page_load.count') (r.metrics as Json)[field] = typeof value === 'number' ? 'many' : value;
        else (r.metrics as Json)[field] = value;
      },
    })),
];

/** Whole-text attacks: structure no report has, or text that is not JSON. */
const textAttacks: fc.Arbitrary<HostileCase>[] = [
  fc.integer({ min: 9, max: 20_000 }).map((depth) => ({
    attack: 'too-deep',
    text: `{"v":1,"reports":[${'['.repeat(depth)}${']'.repeat(depth)}]}`,
  })),
  fc.string({ maxLength: 200 }).map((text) => ({ attack: 'not-json', text: `{${text}` })),
  fc.jsonValue({ maxDepth: 4 }).map((value) => ({ attack: 'random-json', text: JSON.stringify({ v: 2, value }) })),
];

/** One hostile upload: 1 to 3 reports, at least one of them broken, or broken text, or a damaged envelope. */
export const hostileCase: fc.Arbitrary<HostileCase> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.array(base, { minLength: 1, maxLength: 3 }), fc.oneof(...attacks), fc.nat(2))
      .map(([reports, { attack, mutate }, which]) => {
        mutate(reports[which % reports.length] as Json);
        return { attack, text: JSON.stringify({ v: 1, reports }) };
      }),
  },
  { weight: 1, arbitrary: fc.oneof(...textAttacks) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        base,
        fc.constantFrom('flip', 'truncate', 'content-type') as fc.Arbitrary<'flip' | 'truncate' | 'content-type'>,
        fc.double({ min: 0, max: 0.999, noNaN: true }),
      )
      .map(([report, envelope, at]) => ({
        attack: `envelope-${envelope}`,
        text: JSON.stringify({ v: 1, reports: [report] }),
        envelope,
        at,
      })),
  },
);

/** Seals a case for the collector's key, then applies its envelope damage; returns a ready Request. */
export function sealCase(url: string, keyId: number, publicKey: Uint8Array, c: HostileCase): Request {
  let body = sealEnvelope(keyId, publicKey, c.text);
  const at = Math.floor((c.at ?? 0) * body.length);
  if (c.envelope === 'flip') {
    body = Buffer.from(body);
    body[at] = (body[at] as number) ^ 0xff;
  } else if (c.envelope === 'truncate') body = body.subarray(0, at);
  return new Request(`${url}/v1/reports`, {
    method: 'POST',
    headers: { 'content-type': c.envelope === 'content-type' ? 'application/json' : SEALED_CONTENT_TYPE },
    body: new Uint8Array(body),
  });
}
