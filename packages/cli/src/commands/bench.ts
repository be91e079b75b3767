// `candor bench [TARGET...]`: runs the named benchmarks (all when none are named) and prints their figures.
// Each benchmark lives beside the code it measures; this file only dispatches.

type Bench = (argv: string[]) => Promise<void>;

const TARGETS: Record<string, () => Promise<Bench>> = {
  sdk: async () => (await import('../bench/sdk.js')).benchSdk,
  collector: async () => (await import('../bench/collector.js')).benchCollector,
  query: async () => (await import('../bench/query.js')).benchQuery,
  audit: async () => (await import('../bench/audit.js')).benchAudit,
  accuracy: async () => (await import('../bench/accuracy.js')).benchAccuracy,
  dashboard: async () => (await import('../bench/dashboard.js')).benchDashboard,
  scale: async () => (await import('../bench/scale.js')).benchScale,
  privacy: async () => (await import('../bench/privacy.js')).benchPrivacy,
  fuzz: async () => (await import('../bench/fuzz.js')).benchFuzz,
  prio3: async () => (await import('../bench/prio3.js')).benchPrio3,
  late: async () => (await import('../bench/late.js')).benchLate,
};

export async function run(argv: string[]): Promise<number> {
  // `--cases N` is one flag: its value must not be taken for a benchmark name.
  const joined = argv.map((a, i) => (a === '--cases' && argv[i + 1] ? `--cases=${argv[i + 1]}` : a));
  const values = new Set(argv.flatMap((a, i) => (a === '--cases' ? [i + 1] : [])));
  const names = joined.filter((a, i) => !a.startsWith('-') && !values.has(i));
  const flags = joined.filter((a, i) => a.startsWith('-') && !values.has(i));
  if (flags.includes('--help')) {
    console.log(`usage: candor bench [${Object.keys(TARGETS).join('|')}]... [--cases N (fuzz)]`);
    return 0;
  }
  const unknown = names.filter((n) => !(n in TARGETS));
  if (unknown.length) {
    console.error(
      `candor bench: unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(TARGETS).join(', ')}`,
    );
    return 2;
  }
  for (const name of names.length ? names : Object.keys(TARGETS)) {
    console.log(`\n== bench ${name} ==`);
    const bench = await TARGETS[name]?.();
    await bench?.(flags);
  }
  return 0;
}
