// `candor relay`: an Oblivious HTTP relay (RFC 9458) in front of a collector's gateway, so the collector never
// receives a device's address. The relay logic is @candor/server's relay/relay.ts; this is its command line.
import { startRelay } from '@candor/server';
import { EXIT, parseCommandArgs, UsageError } from '../errors.js';
import { allowedOrigins } from './serve.js';

const USAGE = `usage: candor relay --gateway URL [--listen HOST:PORT] [options]

Runs an Oblivious HTTP relay (RFC 9458). Devices POST encapsulated requests (message/ohttp-req) to it; it passes
each one to the gateway and the encapsulated answer back. It has no key and cannot read what it carries. It sees
each device's address and uses it only for an in-memory rate limit; it forwards nothing about the device (no
address, user agent, cookies or other headers) and logs no address or user agent. Run it somewhere the
collector's operator does not control: its privacy comes from the two not colluding (docs/privacy.md).

Point the SDK at it with  relay: { url: 'http://HOST:PORT/' }.

options:
  --gateway URL         the collector's gateway, e.g. https://collector.example/ohttp-gateway (required)
  --listen HOST:PORT    where to listen (default 127.0.0.1:8081; port 0 picks a free one)
  --allow-origin ORIGIN let pages on ORIGIN send through the relay (CORS); repeat or comma-separate
  --max-body BYTES      refuse larger encapsulated requests (default 263168)
  --rate N              uploads a minute per device, kept in memory only (default 120; 0 turns it off)
  --log-level LEVEL     info (default), warn, error, debug
  -h, --help            this help`;

const RELAY_OPTIONS = {
  gateway: { type: 'string' },
  listen: { type: 'string', default: '127.0.0.1:8081' },
  'allow-origin': { type: 'string', multiple: true },
  'max-body': { type: 'string' },
  rate: { type: 'string' },
  'log-level': { type: 'string', default: 'info' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** HOST:PORT, [v6]:PORT; the port must be 0 to 65535. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new UsageError(`--listen: "${value}" is not HOST:PORT, e.g. 127.0.0.1:8081`);
  return { host: (match[1] ?? match[2]) as string, port };
}

function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name}: "${value}" is not a whole number`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const values = parseCommandArgs('relay', USAGE, argv, RELAY_OPTIONS);
  if (typeof values === 'number') return values;
  let gateway: URL;
  try {
    if (!values.gateway) throw new UsageError('--gateway URL is required');
    gateway = new URL(values.gateway);
    if (!/^https?:$/.test(gateway.protocol)) throw new TypeError();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--gateway: "${values.gateway}" is not an http(s) URL`);
  }
  const { host, port } = parseListen(values.listen);
  const rate = count('rate', values.rate);
  const maxBody = count('max-body', values['max-body']);
  const relay = await startRelay({
    gateway: gateway.href,
    host,
    port,
    allowOrigins: allowedOrigins(values['allow-origin']),
    ...(maxBody !== undefined ? { maxBodyBytes: maxBody } : {}),
    ...(rate !== undefined ? { ratePerMinute: rate === 0 ? false : rate } : {}),
    log: { level: values['log-level'] },
  });
  console.error(`candor relay: listening on ${relay.url}, forwarding to ${gateway.href} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await relay.close();
  return EXIT.ok;
}
