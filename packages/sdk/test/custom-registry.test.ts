import { defineRegistry, type Report } from '@candor/protocol';
import { createCandor, memoryQueueStorage } from '@candor/sdk';
import { describe, expect, it } from 'vitest';
import { FakeCollector } from './support/collector.js';
import { checkOnItsDay } from './support/setup.js';

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
  },
});

describe('an app with its own registry', () => {
  it('checks event quantity extras (integers, clamped to max) and sends valid reports', async () => {
    const collector = await FakeCollector.create();
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
    });
    await candor.ready;
    candor.event('editor.saved').record({ attachments: 3, kind: 'text' });
    candor.event('editor.saved').record({ attachments: 99 });
    candor.event('editor.saved').record();
    expect(() => candor.event('editor.saved').record({ attachments: 1.5 })).toThrow(/non-negative integer/);
    expect(() => candor.event('editor.saved').record({ attachments: -1 })).toThrow(/non-negative integer/);
    candor.boolean('editor.spellcheck').set(false);
    await candor.flush();
    const report = collector.reports.find((r) => r.kind === 'metrics');
    expect(report?.app).toBe('notes-app');
    expect(report?.appVersion).toBe('0.9');
    expect(report?.metrics).toEqual({
      'editor.saved': [{ attachments: 3, kind: 'text' }, { attachments: 20 }, {}],
      'editor.spellcheck': false,
    });
    const check = (r: Report) => checkOnItsDay(registry, r);
    for (const r of collector.reports) expect(check(r)).toEqual([]);
  });
});
