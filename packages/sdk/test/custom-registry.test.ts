import { defineRegistry, type Report } from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { describe, expect, it } from 'vitest';
import { FakeCollector } from './support/collector.js';
import { checkOnItsDay, DAY_MS, T0 } from './support/setup.js';

const registry = defineRegistry({
  app: 'notes-app',
  version: '2026.11.3',
  metrics: {
    'editor.saved': {
      type: 'event',
      category: 'ui',
      description: 'A note was saved, with its size class and attachments.',
      purpose: 'Size the sync engine for real notes.',
      sensitivity: 'interaction',
      owner: 'notes@candor.example',
      expires: 'never',
      extras: {
        attachments: { type: 'quantity', max: 20 },
        kind: { type: 'enumeration', values: ['text', 'checklist'] },
      },
    },
    'editor.spellcheck': {
      type: 'boolean',
      category: 'settings',
      description: 'Whether spellcheck is on.',
      purpose: 'Decide whether spellcheck should be on by default.',
      sensitivity: 'technical',
      owner: 'notes@candor.example',
      expires: 'never',
    },
    'editor.word_count': {
      type: 'counter',
      category: 'ui',
      description: 'Words typed, for a study that ended.',
      purpose: 'Size the editor buffer.',
      sensitivity: 'interaction',
      owner: 'notes@candor.example',
      expires: '2026-11-21',
    },
  },
});

describe('an app with its own registry', () => {
  it('checks event quantity extras (integers, clamped to max) and sends valid reports', async () => {
    const collector = await FakeCollector.create();
    let now = T0;
    const candor = createCandor({
      registry,
      collector: 'https://collector.test',
      appVersion: '0.9.12',
      consent: { regime: 'opt-out' },
      mode: 'development',
      storage: memoryQueueStorage(),
      fetch: collector.fetch,
      flushIntervalMs: 0,
      pageLifecycle: false,
      now: () => now,
    });
    await candor.ready;
    candor.event('editor.saved').record({ attachments: 3, kind: 'text' });
    candor.event('editor.saved').record({ attachments: 99 });
    candor.event('editor.saved').record();
    expect(() => candor.event('editor.saved').record({ attachments: 1.5 })).toThrow(/non-negative integer/);
    expect(() => candor.event('editor.saved').record({ attachments: -1 })).toThrow(/non-negative integer/);
    candor.boolean('editor.spellcheck').set(false);
    now += DAY_MS;
    await candor.flush();
    const report = collector.reports.find((r) => r.kind === 'daily');
    expect(report?.app).toBe('notes-app');
    expect(report?.appVersion).toBe('0.9');
    expect(report?.metrics).toEqual({
      'editor.saved': [{ attachments: 3, kind: 'text' }, { attachments: 20 }, {}],
      'editor.spellcheck': false,
    });
    const check = (r: Report) => checkOnItsDay(registry, r);
    for (const r of collector.reports) expect(check(r)).toEqual([]);
  });

  it('records nothing for a metric past its expiry day, without an error', async () => {
    const collector = await FakeCollector.create();
    let now = Date.UTC(2026, 10, 20, 12);
    const candor = createCandor({
      registry,
      collector: 'https://collector.test',
      appVersion: '0.9.12',
      consent: { regime: 'opt-out' },
      mode: 'development',
      storage: memoryQueueStorage(),
      fetch: collector.fetch,
      flushIntervalMs: 0,
      pageLifecycle: false,
      now: () => now,
    });
    await candor.ready;
    const words = candor.counter('editor.word_count');
    words.add(5);
    now += DAY_MS; // 2026-11-21, the expiry day itself: still recorded
    await candor.flush();
    words.add(6);
    now += DAY_MS; // 2026-11-22: expired
    await candor.flush();
    words.add(7);
    expect(() => candor.counter('editor.word_count').add(8)).not.toThrow();
    now += DAY_MS;
    await candor.flush();
    expect(collector.reports.map((r) => [r.day, r.metrics['editor.word_count']])).toEqual([
      ['2026-11-20', 5],
      ['2026-11-21', 6],
      ['2026-11-22', undefined],
    ]);
    expect(Object.values(candor.errors.droppedSamples).every((n) => n === 0)).toBe(true);
  });
});
