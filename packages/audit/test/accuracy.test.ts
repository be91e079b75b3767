// Accuracy on real captures: the audit's findings on the labelled corpus (test/corpus, see SOURCES.md) against the
// hand-written labels. The figures are computed here from the detectors' output; `candor bench accuracy` prints
// them with the findings no label accounts for and the labels nothing found.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AccuracyReport, encodedEmailRecall, scoreCorpus } from '@candor/audit';
import { beforeAll, describe, expect, it } from 'vitest';

const corpus = fileURLToPath(new URL('./corpus/', import.meta.url));
let report: AccuracyReport;

beforeAll(async () => {
  report = await scoreCorpus(corpus);
});

describe('accuracy on the labelled corpus of real captures', () => {
  it('reads every capture in it (HAR 1.1, 1.2, no version)', () => {
    const captures = readdirSync(corpus).filter((name) => name.endsWith('.har'));
    expect(report.files.map((f) => f.file).sort()).toEqual(captures.sort());
    for (const file of report.files) expect(file.requests).toBeGreaterThan(0);
  });

  it('precision is at least 0.95 in every category with findings', () => {
    for (const [category, score] of Object.entries(report.byCategory)) {
      if (score.groups === 0) continue;
      expect(
        score.precision,
        `${category}: ${JSON.stringify(report.unexpected.filter((g) => g.category === category).map((g) => `${g.host} ${g.field}`))}`,
      ).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('recall is at least 0.9 for identifiers and page addresses', () => {
    for (const category of ['identifier', 'page-address'] as const) {
      const score = report.byCategory[category];
      expect(score.labels).toBeGreaterThan(20);
      const missed = report.missed.filter((m) => m.category === category).map((m) => `${m.file} ${m.host} ${m.field}`);
      expect(score.recall, `${category} missed: ${missed.join('; ')}`).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('finds e-mail addresses in at least 95% of the encoded forms trackers use, with no --known value', async () => {
    const { recall, forms, missed } = await encodedEmailRecall();
    expect(forms).toBeGreaterThanOrEqual(20);
    expect(recall, `missed: ${missed.join(', ')}`).toBeGreaterThanOrEqual(0.95);
  });
});
