import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { auditFiles, type Finding, renderHtml, renderTerminal } from '@candor/audit';
import { CaError, loadOrCreateCa } from './ca.js';
import { caInstructions } from './ca-help.js';
import { HarAppendError } from './har-appender.js';
import { LiveView } from './live-view.js';
import { CaptureSession, type LiveRequest } from './session.js';

export const CAPTURE_USAGE = `usage: candor capture [options]
       candor capture ca

An intercepting proxy for HTTPS (HTTP/1.1, HTTP/2, WebSocket): point a phone, an emulator or a browser at it and
watch what the app sends, with every leak named as it happens. Every request is appended to a HAR as it is sent;
Ctrl-C stops and prints the full audit of the capture. "candor capture ca" says where the CA certificate is and
how to install it on Android, an emulator, iOS, Firefox and Chrome (guide: docs/capture.md).

options:
  --port N             the proxy's port (default 8000), on all interfaces so a phone on the network can use it
  --out FILE           the HAR appended to as traffic arrives (default capture.har); an earlier capture continues
  --html FILE          on stop, also write the HTML report of the whole capture
  --view-port N        the live view's port on 127.0.0.1 (default: the proxy's port + 1; 0 picks a free one)
  --known NAME=VALUE   a value of yours to look for in any disguise, as in candor audit; repeatable
  --first-party DOMAIN the site being visited, as in candor audit
  --max-body MB        request bodies larger than this are forwarded but not kept (default 16)
  --upstream-ca FILE   also trust this CA (PEM) for the servers the proxy talks to (a test or internal server)
  -h, --help           show this help`;

export interface CaptureIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Aborted to stop the capture; by default Ctrl-C (SIGINT) or SIGTERM. */
  stop?: AbortSignal;
  /** Called once the proxy and the live view listen (tests wait on it). */
  ready?: (where: { proxyPort: number; viewUrl: string }) => void;
  env?: NodeJS.ProcessEnv;
}

const defaultIo: CaptureIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
};

function port(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, not "${text}"`);
  return n;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      out: { type: 'string' },
      html: { type: 'string' },
      'view-port': { type: 'string' },
      known: { type: 'string', multiple: true },
      'max-body': { type: 'string' },
      'first-party': { type: 'string' },
      'upstream-ca': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const proxyPort = port(values.port, 8000, '--port');
  const viewPort = port(values['view-port'], proxyPort === 0 ? 0 : proxyPort + 1, '--view-port');
  const maxBody = values['max-body'] === undefined ? 16 : Number(values['max-body']);
  if (!(maxBody > 0)) throw new Error(`--max-body must be a positive number of megabytes, not "${values['max-body']}"`);
  const known = (values.known ?? []).map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new Error(`--known expects NAME=VALUE, not "${pair}"`);
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
  });
  if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'ca'))
    throw new Error(`unexpected argument "${positionals.join(' ')}"`);
  return {
    help: values.help ?? false,
    ca: positionals[0] === 'ca',
    proxyPort,
    viewPort,
    out: values.out ?? 'capture.har',
    html: values.html,
    known,
    maxBodyBytes: Math.round(maxBody * 1024 * 1024),
    upstreamCaFiles: values['upstream-ca'] ?? [],
    firstParty: values['first-party'],
  };
}

function liveLines(event: LiveRequest): string[] {
  const time = new Date().toISOString().slice(11, 19);
  let target = event.url;
  try {
    const url = new URL(event.url);
    target = `${url.host}${url.pathname}`;
  } catch {
    // shown as captured
  }
  const lines = [`${time} ${event.protocol === 'websocket' ? 'WS  ' : event.method.padEnd(4)} ${target}`];
  for (const f of event.findings) lines.push(`         ${findingLine(f)}`);
  return lines;
}

function findingLine(f: Finding): string {
  const chain = f.decoding.length ? ` via ${f.decoding.join(' > ')}` : '';
  const evidence = f.evidence.length > 80 ? `${f.evidence.slice(0, 79)}…` : f.evidence;
  return `${f.severity.toUpperCase().padEnd(8)} ${f.category}/${f.detector} ${f.location}:${f.field || '(whole)'}${chain} = ${evidence}`;
}

/** `candor capture`: returns the exit code once the capture is stopped. */
export async function runCapture(argv: string[], io: CaptureIo = defaultIo): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(argv);
  } catch (error) {
    io.stderr(`candor capture: ${(error as Error).message}\n\n${CAPTURE_USAGE}`);
    return 2;
  }
  if (options.help) {
    io.stdout(CAPTURE_USAGE);
    return 0;
  }
  const home = io.env?.CANDOR_HOME;
  let ca: Awaited<ReturnType<typeof loadOrCreateCa>>;
  try {
    ca = await loadOrCreateCa(home && home !== '' ? home : undefined);
  } catch (error) {
    if (error instanceof CaError) {
      io.stderr(`candor capture: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options.ca) {
    io.stdout(caInstructions(ca, options.proxyPort || 8000));
    return 0;
  }

  let upstreamCAs: string[];
  try {
    upstreamCAs = await Promise.all(options.upstreamCaFiles.map((file) => readFile(file, 'utf8')));
  } catch (error) {
    io.stderr(`candor capture: --upstream-ca: ${(error as Error).message}`);
    return 2;
  }
  const view = new LiveView();
  let session: CaptureSession;
  try {
    session = await CaptureSession.start({
      ca,
      port: options.proxyPort,
      out: options.out,
      maxBodyBytes: options.maxBodyBytes,
      known: options.known,
      firstParty: options.firstParty,
      upstreamCAs,
      listener: {
        request: (event) => {
          if (event.findings.length > 0) io.stdout(liveLines(event).join('\n'));
          view.publish({
            kind: 'request',
            ...event,
            findings: event.findings.map(({ severity, category, detector, location, field, evidence }) => ({
              severity,
              category,
              detector,
              location,
              field,
              evidence,
            })),
          });
        },
        pinned: (host) => {
          io.stdout(`${host}: the client refused the proxy's certificate; the app probably pins its certificates`);
          view.publish({ kind: 'pinned', host });
        },
        problem: (message) => io.stderr(`candor capture: ${message}`),
      },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof HarAppendError || code === 'EADDRINUSE' || code === 'EACCES' || code === 'EISDIR') {
      io.stderr(
        `candor capture: ${code === 'EADDRINUSE' ? `port ${options.proxyPort} is in use; pick another with --port` : (error as Error).message}`,
      );
      return 2;
    }
    throw error;
  }
  let viewUrl: string;
  try {
    viewUrl = await view.listen(options.viewPort);
  } catch (error) {
    await session.stop();
    io.stderr(
      `candor capture: the live view cannot listen on 127.0.0.1:${options.viewPort}: ${(error as Error).message}`,
    );
    return 2;
  }
  io.stderr(
    `candor capture: proxy on port ${session.port} (CA ${ca.certPath}${ca.created ? ', generated now: see "candor capture ca"' : ''})\n` +
      `candor capture: live view ${viewUrl}\ncandor capture: appending to ${options.out}; Ctrl-C stops and prints the audit`,
  );
  io.ready?.({ proxyPort: session.port, viewUrl });

  // mockttp's HTTP stack (connect's URL parsing) throws outside any handler on some malformed absolute URLs, such
  // as "GET http://[::1/x". Any device on the network could end the capture that way, so that error alone is
  // reported and the capture goes on; anything else still ends the process (the HAR is complete either way).
  const onUncaught = (error: Error) => {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_INVALID_URL') {
      io.stderr(`candor capture: ${error.stack ?? error.message}`);
      process.exit(1);
    }
    io.stderr(`candor capture: ignored a request with a malformed URL (${(error as { input?: string }).input ?? '?'})`);
  };
  process.on('uncaughtException', onUncaught);
  try {
    await stopped(io.stop);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  io.stderr('candor capture: stopping…');
  await session.stop();
  await view.close();
  const { pinned, dropped } = session;
  const result = await auditFiles([options.out], { known: options.known, firstParty: options.firstParty });
  io.stdout(renderTerminal(result));
  if (pinned.length > 0)
    io.stdout(
      `\nProbably pinned (the client refused the proxy's certificate, so nothing was read): ${pinned.join(', ')}`,
    );
  if (dropped.length > 0)
    io.stdout(
      `Closed the connection without a request (maybe pinned, maybe a spare connection): ${dropped.join(', ')}`,
    );
  if (options.html) {
    await writeFile(options.html, renderHtml(result));
    io.stderr(`candor capture: HTML report written to ${options.html}`);
  }
  return 0;
}

function stopped(signal: AbortSignal | undefined): Promise<void> {
  if (signal) {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
