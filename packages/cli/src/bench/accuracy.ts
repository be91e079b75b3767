// `candor bench accuracy [--corpus DIR] [--verbose]`: precision and recall of `candor audit` per category on the
// labelled corpus of real captures (packages/audit/test/corpus: sources, licences and labelling rules in its
// SOURCES.md). Precision counts finding groups (category, host, field) a label accounts for; recall counts
// labels some finding matches. Targets: precision >= 0.95 everywhere, recall >= 0.9 for identifiers and page
// addresses; and the default e-mail recall on the encoded (not hashed) forms trackers use, at least 0.95.
// packages/audit/test/accuracy.test.ts holds the targets.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { encodedEmailRecall, LABEL_CATEGORIES, scoreCorpus } from '@candor/audit';

const PRECISION_TARGET = 0.95;
const RECALL_TARGET: Partial<Record<(typeof LABEL_CATEGORIES)[number], number>> = {
  identifier: 0.9,
  'page-address': 0.9,
};

function defaultCorpus(): string {
  const entry = createRequire(import.meta.url).resolve('@candor/audit');
  return join(dirname(entry), '..', 'test', 'corpus');
}

const percent = (n: number | undefined) => (n === undefined ? '   -  ' : `${(n * 100).toFixed(1).padStart(5)}%`);

export async function benchAccuracy(argv: string[]): Promise<void> {
  const dirFlag = argv.find((a) => a.startsWith('--corpus='));
  const dir = dirFlag ? dirFlag.slice('--corpus='.length) : defaultCorpus();
  const started = performance.now();
  const report = await scoreCorpus(dir);
  const seconds = (performance.now() - started) / 1000;
  const requests = report.files.reduce((n, f) => n + f.requests, 0);
  console.log(
    `corpus ${dir}: ${report.files.length} captures, ${requests} requests, audited in ${seconds.toFixed(2)} s`,
  );
  console.log('category        precision (groups)      recall (labels)    target');
  for (const category of LABEL_CATEGORIES) {
    const s = report.byCategory[category];
    if (s.groups === 0 && s.labels === 0) continue;
    const recallTarget = RECALL_TARGET[category];
    const met =
      (s.precision === undefined || s.precision >= PRECISION_TARGET) &&
      (recallTarget === undefined || (s.recall ?? 0) >= recallTarget);
    const target = `P>=${PRECISION_TARGET}${recallTarget ? ` R>=${recallTarget}` : ''} ${met ? 'met' : 'MISSED'}`;
    console.log(
      `${category.padEnd(14)} ${percent(s.precision)} (${s.matchedGroups}/${s.groups})`.padEnd(40) +
        `${percent(s.recall)} (${s.foundLabels}/${s.labels})`.padEnd(19) +
        target,
    );
  }
  const email = await encodedEmailRecall();
  console.log(
    `e-mail, encoded forms, default detectors: recall ${percent(email.recall)} (${email.forms - email.missed.length}/${email.forms}) target >=0.95 ${email.recall >= 0.95 ? 'met' : 'MISSED'}${email.missed.length ? `; missed: ${email.missed.join(', ')}` : ''}`,
  );
  const verbose = argv.includes('--verbose');
  const unexpected = verbose ? report.unexpected : report.unexpected.slice(0, 10);
  if (unexpected.length > 0) console.log('\nfindings no label accounts for:');
  for (const g of unexpected)
    console.log(
      `  ${g.file} ${g.category} ${g.host} ${g.field} (${g.example.detector}): ${g.example.evidence.slice(0, 60)}`,
    );
  if (!verbose && report.unexpected.length > unexpected.length)
    console.log(`  ... ${report.unexpected.length - unexpected.length} more (--verbose)`);
  if (report.missed.length > 0) console.log('\nlabels nothing found:');
  for (const m of report.missed) console.log(`  ${m.file} ${m.category} ${m.host} ${m.field}`);
}
