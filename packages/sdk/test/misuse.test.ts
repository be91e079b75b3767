import { candorBrowserRegistry, type Registry } from '@candor/protocol';
import { CandorUsageError, createCandor } from '@candor/sdk';
import { describe, expect, it } from 'vitest';
import { metricsReports, setup } from './support/setup.js';

// The runtime registry type relaxes metric names to strings, like a registry loaded from JSON at run time.
const anyRegistry: Registry = candorBrowserRegistry;

describe('misuse in development mode is a clear developer error', () => {
  it('names an undeclared metric, a wrong type, an unknown label, a bad value and an undeclared extra', async () => {
    const { candor: typed } = await setup({ mode: 'development' });
    const candor = typed as unknown as ReturnType<typeof createCandor<Registry>>;
    expect(() => candor.counter('page_load.nope')).toThrow(
      /metric "page_load.nope" is not in registry "candor-browser"/,
    );
    expect(() => candor.counter('page_load.time')).toThrow(
      /"page_load.time" is a timing_distribution in the registry, not a counter/,
    );
    expect(() => candor.labeledCounter('search.engine_use').add('altavista')).toThrow(
      /unknown label "altavista" \(declared: google, bing/,
    );
    expect(() => candor.counter('page_load.count').add(-1)).toThrow(/expected a non-negative integer/);
    expect(() => candor.counter('page_load.count').add(1.5)).toThrow(/expected a non-negative integer/);
    expect(() => candor.timing('page_load.time').record(Number.NaN)).toThrow(/non-negative number/);
    expect(() => candor.enumeration('settings.text_size').set('huge')).toThrow(/one of small, default, large, largest/);
    expect(() => candor.boolean('settings.dark_mode').set('yes' as unknown as boolean)).toThrow(/true or false/);
    expect(() => candor.event('ui.menu_action').record({ query: 'my secret search' })).toThrow(
      /extra "query" is not declared/,
    );
    expect(() => candor.event('ui.menu_action').record({ item: 'delete_everything' })).toThrow(
      /expected one of new_tab/,
    );
    const error = (() => {
      try {
        candor.counter('page_load.nope');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CandorUsageError);
    expect((error as CandorUsageError).reason).toBe('unknown_metric');
  });

  it('rejects bad options with every problem named', () => {
    expect(() =>
      createCandor({
        registry: anyRegistry,
        collector: 'ftp://x',
        appVersion: 'beta',
        mode: 'development',
        pageLifecycle: false,
      }),
    ).toThrow(/collector: expected an http\(s\) base URL[\s\S]*appVersion: expected a version/);
  });
});

describe('misuse in production mode never throws into the app', () => {
  it('drops the sample, counts it by reason, and keeps recording valid samples', async () => {
    const { candor: typed, collector, endDay } = await setup({ mode: 'production' });
    const candor = typed as unknown as ReturnType<typeof createCandor<Registry>>;
    expect(() => {
      candor.counter('page_load.nope').add();
      candor.counter('page_load.nope').add();
      candor.counter('page_load.time').add();
      candor.labeledCounter('search.engine_use').add('altavista');
      candor.counter('page_load.count').add(-3);
      candor.event('ui.menu_action').record({ query: 'secret words' });
      candor.enumeration('settings.text_size').set('huge');
    }).not.toThrow();
    candor.counter('page_load.count').add(2);
    expect(candor.errors.droppedSamples).toMatchObject({
      unknown_metric: 2,
      wrong_type: 1,
      unknown_label: 1,
      invalid_value: 2,
      unknown_extra: 1,
    });
    await endDay();
    expect(metricsReports(collector).map((r) => r.metrics)).toEqual([{ 'page_load.count': 2 }]);
    expect(JSON.stringify(collector.reports)).not.toContain('secret');
  });

  it('bad options give an inert instance that sends nothing instead of throwing', async () => {
    const sent: string[] = [];
    const candor = createCandor({
      registry: anyRegistry,
      collector: 'not a url',
      appVersion: '1.0',
      fetch: async (input) => {
        sent.push(String(input));
        return new Response(null, { status: 202 });
      },
      pageLifecycle: false,
      flushIntervalMs: 0,
    });
    candor.setConsent('granted');
    candor.counter('page_load.count').add();
    await candor.flush();
    expect(sent).toEqual([]);
    expect(candor.errors.droppedSamples.invalid_config).toBe(1);
  });
});
