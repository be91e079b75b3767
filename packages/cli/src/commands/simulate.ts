import { parseArgs } from 'node:util';
import { EXIT, UsageError } from '../errors.js';
import { type FleetResult, simulateFleet } from '../simulate/fleet.js';

const HELP = `usage: candor simulate --target URL [--devices N] [--minutes M] [--days D] [--lifecycle] [--seed S]

Drives a fleet of simulated phones, each using the real candor SDK, at a collector: people browsing, searching,
changing settings, using features, playing music, crashing now and then, and sometimes browsing privately.

  --target URL     collector base URL (required), e.g. http://127.0.0.1:8080
  --devices N      number of phones (default 200)
  --minutes M      minutes of use per phone per day (default 30)
  --days D         days of use to simulate, ending today (default 1)
  --lifecycle      phones arrive over the days and most leave within weeks; each is used daily, weekly or
                   rarely, and sends a day's report when next used (default: every phone every day)
  --seed S         seed for a repeatable fleet (default: random)`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number, got "${value}"`);
  return n;
}

/** The last simulated day's truth: what the activity figures should show once it is released. */
function activityLine(result: FleetResult): string {
  const last = result.deliveredTruth.daily[result.deliveredTruth.daily.length - 1];
  if (!last) return 'active phones: none';
  return `active phones on ${last.day} (reports that arrived): ${last.dau} that day, ${last.wau} in 7 days, ${last.mau} in 28 days`;
}

export function describeFleetResult(result: FleetResult): string {
  const a = result.activity;
  const errors = Object.entries(result.sdkErrors);
  return [
    `phones: ${result.phones} (${result.consenting} consented to telemetry)`,
    `people did: ${a.pageLoads} page loads, ${a.privatePageLoads} private page loads, ${a.searches} searches, ` +
      `${a.settingsChanges} settings changes, ${a.featureUses} feature uses, ${a.tracksPlayed} tracks, ${a.crashes} crashes`,
    `uploads accepted: ${result.uploadsAccepted}, rejected: ${result.uploadsRejected}; reports too late, not sent: ${result.reportsLate}`,
    activityLine(result),
    errors.length
      ? `sdk dropped samples: ${errors.map(([k, n]) => `${k}=${n}`).join(', ')}`
      : 'sdk dropped samples: none',
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string' },
      devices: { type: 'string' },
      minutes: { type: 'string' },
      days: { type: 'string' },
      lifecycle: { type: 'boolean' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.target) {
    console.error(`candor simulate: --target is required\n\n${HELP}`);
    return 2;
  }
  let target: URL;
  try {
    target = new URL(values.target);
  } catch {
    console.error(`candor simulate: --target "${values.target}" is not a URL`);
    return 2;
  }
  const devices = positiveInt('devices', values.devices, 200);
  const minutes = positiveInt('minutes', values.minutes, 30);
  const days = positiveInt('days', values.days, 1);
  const seed = values.seed === undefined ? undefined : positiveInt('seed', values.seed, 1);
  const onTerminal = process.stderr.isTTY;
  const started = Date.now();
  const result = await simulateFleet({
    target: target.origin,
    devices,
    minutes,
    days,
    lifecycle: values.lifecycle === true,
    ...(seed === undefined ? {} : { seed }),
    onProgress: (p) => {
      if (onTerminal) {
        process.stderr.write(
          `\rday ${p.day}/${p.days}: ${p.phonesDone}/${p.phones} phones, ${p.uploadsAccepted} uploads accepted`,
        );
      }
    },
  });
  if (onTerminal) process.stderr.write('\n');
  console.log(describeFleetResult(result));
  console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (result.consenting > 0 && result.uploadsAccepted === 0) {
    console.error(`candor simulate: no upload was accepted by ${target.origin}; is the collector running there?`);
    return EXIT.runtime;
  }
  return 0;
}
