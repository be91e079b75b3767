// `candor registry check|types|schema`: a team's own metrics file (YAML or JSON), checked before the collector
// loads it, and turned into TypeScript so handles stay typed.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { registryJsonSchema } from '@candor/protocol';
import { EXIT, UsageError } from '../errors.js';
import { checkRegistry, formatIssue } from '../registry/check.js';
import { loadRegistry, readRegistryFile } from '../registry/file.js';
import { registryModule } from '../registry/types.js';

const USAGE = `usage: candor registry <check|types|schema> [options]

  candor registry check FILE...            check metrics files: schema, data-review fields, expiry, bounds,
                                           names; exit 1 when any has an error
  candor registry types FILE [--out PATH]  write a TypeScript module with the registry as a typed constant
                                           (pass it to createCandor; metric names and labels are then checked)
  candor registry schema                   print the JSON Schema of a metrics file (for editors)

A metrics file is YAML (or JSON by its .json extension): app, version (YYYY.M.N) and metrics, each with its
type, description, category, owner, purpose, sensitivity, expires (YYYY-MM-DD or never), and optional unit,
labels, values, extras, bounds (max, maxTotal, maxSamples, maxKeys) and ldp. See docs/getting-started.md.

options:
  --today DAY   check expiry as of this UTC day (default today)
  --out PATH    types: where to write (default: standard output)
  -h, --help    this help`;

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    console.error(`candor registry: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [action, ...files] = positionals;
  if (values.help || !action) {
    console.log(USAGE);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const today = values.today ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new UsageError(`--today: "${today}" is not YYYY-MM-DD`);
  switch (action) {
    case 'check':
      if (files.length === 0) throw new UsageError('registry check needs at least one FILE');
      return check(files, today);
    case 'types': {
      const [file] = files;
      if (!file || files.length > 1) throw new UsageError('registry types needs exactly one FILE');
      const module = registryModule(await loadRegistry(file, today), file);
      if (values.out) {
        await writeFile(values.out, module);
        console.error(`candor registry: wrote ${values.out}`);
      } else process.stdout.write(module);
      return EXIT.ok;
    }
    case 'schema':
      console.log(JSON.stringify(registryJsonSchema(), null, 2));
      return EXIT.ok;
    default:
      throw new UsageError(`unknown action "${action}"; use check, types or schema`);
  }
}

async function check(files: string[], today: string): Promise<number> {
  let failed = false;
  for (const file of files) {
    const { registry, issues } = checkRegistry(await readRegistryFile(file), today);
    const errors = issues.filter((i) => i.severity === 'error').length;
    for (const issue of issues) console.log(`${file}: ${formatIssue(issue)}`);
    if (errors > 0) failed = true;
    const summary = registry
      ? `${registry.app} ${registry.version}, ${Object.keys(registry.metrics).length} metrics`
      : 'not a registry';
    console.log(
      `${file}: ${summary}: ${errors ? `${errors} error(s)` : 'ok'}${issues.length - errors ? `, ${issues.length - errors} warning(s)` : ''}`,
    );
  }
  return failed ? EXIT.finding : EXIT.ok;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { today: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
}
