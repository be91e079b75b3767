import { existsSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type AuditResult, auditFiles } from './audit.js';
import { CaptureError } from './capture/errors.js';
import { ProgressBar } from './capture/progress.js';
import type { KnownValue } from './detect/known.js';
import { SEVERITIES, type Severity, severityRank } from './detect/types.js';
import { redactResult, renderHtml, renderTerminal } from './report/index.js';

export const AUDIT_USAGE = `usage: candor audit FILE... [options]

Decodes every request in HAR captures (browser devtools, mitmproxy incl. .zhar, HTTP Toolkit, candor capture),
mitmproxy flow files (.mitm, .flow) and pcap/pcapng with an embedded TLS key log (read through tshark), and names each
leak of personal data: what it was, where it went and how it was hidden.

options:
  --json                 print the full report as JSON (schema: docs/audit-json-schema.md) instead of the summary
  --html FILE            also write a self-contained HTML report with a chart per destination
  --known NAME=VALUE     a value of yours to look for in any disguise (plain, hex, base64, URL-encoded, MD5,
                         SHA-1, SHA-256 and chains of these, any case); repeatable
  --first-party DOMAIN   the site being visited; what is sent to it is not reported, what reaches others is.
                         Without it each page's own address is used (browser captures); app captures have none
  --geoip FILE           a MaxMind-format database (.mmdb) giving the country of each server address
  --redact               mask the evidence in every output
  --fail-on SEVERITY     exit with code 1 when a finding is at least this severe (${SEVERITIES.join('|')})
  -h, --help             show this help

exit codes: 0 done, 1 a finding reached --fail-on, 2 bad usage or an unreadable capture`;

export interface AuditIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where progress is drawn; a bar appears only when it is a terminal. */
  progressStream?: NodeJS.WriteStream;
}

const defaultIo: AuditIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  progressStream: process.stderr,
};

/** `candor audit`: returns the exit code. */
export async function runAudit(argv: string[], io: AuditIo = defaultIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr(`candor audit: ${(error as Error).message}\n\n${AUDIT_USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(AUDIT_USAGE);
    return 0;
  }
  const { files, options } = parsed;
  // Checked before the work, so a typo in the folder does not cost a whole audit and then fail.
  if (options.html && !existsSync(dirname(resolve(options.html)))) {
    io.stderr(`candor audit: --html: folder ${dirname(resolve(options.html))} does not exist`);
    return 2;
  }
  let total = 0;
  for (const file of files)
    total += await stat(file).then(
      (s) => s.size,
      () => 0,
    );
  const progress = new ProgressBar(total, io.progressStream);
  let result: AuditResult;
  try {
    result = await auditFiles(files, {
      known: options.known,
      geoip: options.geoip,
      ...(options.firstParty ? { firstParty: options.firstParty } : {}),
      onRawBytes: (n) => progress.advance(n),
    });
  } catch (error) {
    progress.finish();
    if (error instanceof CaptureError || (error instanceof Error && /MaxMind/.test(error.message))) {
      io.stderr(`candor audit: ${error.message}`);
      return 2;
    }
    throw error;
  }
  progress.finish();
  if (options.redact) result = redactResult(result);
  if (options.json) io.stdout(JSON.stringify(result, null, 2));
  else io.stdout(renderTerminal(result));
  if (options.html) {
    await writeFile(options.html, renderHtml(result));
    io.stderr(`candor audit: HTML report written to ${options.html}`);
  }
  if (
    options.failOn &&
    result.summary.maxSeverity &&
    severityRank(result.summary.maxSeverity) >= severityRank(options.failOn)
  )
    return 1;
  return 0;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      html: { type: 'string' },
      known: { type: 'string', multiple: true },
      geoip: { type: 'string' },
      'first-party': { type: 'string' },
      redact: { type: 'boolean' },
      'fail-on': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true as const, files: [], options: {} as ParsedOptions };
  if (positionals.length === 0) throw new Error('no capture file given');
  const failOn = values['fail-on'];
  if (failOn !== undefined && !SEVERITIES.includes(failOn as Severity))
    throw new Error(`--fail-on must be one of ${SEVERITIES.join(', ')}, not "${failOn}"`);
  const known: KnownValue[] = (values.known ?? []).map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new Error(`--known expects NAME=VALUE, not "${pair}"`);
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
  });
  const firstParty = values['first-party'];
  if (firstParty !== undefined && !/^[a-z0-9.-]+\.[a-z0-9-]+$/i.test(firstParty))
    throw new Error(`--first-party expects a domain such as example.com, not "${firstParty}"`);
  const options: ParsedOptions = {
    firstParty,
    json: values.json ?? false,
    html: values.html,
    known,
    geoip: values.geoip,
    redact: values.redact ?? false,
    failOn: failOn as Severity | undefined,
  };
  return { help: false as const, files: positionals, options };
}

interface ParsedOptions {
  firstParty?: string;
  json?: boolean;
  html?: string;
  known?: KnownValue[];
  geoip?: string;
  redact?: boolean;
  failOn?: Severity;
}
