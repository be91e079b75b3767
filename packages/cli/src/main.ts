#!/usr/bin/env node
// The `candor` command. Each subcommand lives in its own module and is loaded only when used, so `candor audit`
// never pays for starting the collector's dependencies and vice versa.
import { createRequire } from 'node:module';
import { describeFailure, EXIT } from './errors.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  serve: { summary: 'run the collector and dashboard', load: () => import('./commands/serve.js') },
  tail: {
    summary: 'check an integration: show uploads arriving, store nothing',
    load: () => import('./commands/tail.js'),
  },
  registry: {
    summary: 'check a metrics file, write its TypeScript types, print the JSON Schema',
    load: () => import('./commands/registry.js'),
  },
  simulate: {
    summary: 'drive a fleet of simulated phones at a collector',
    load: () => import('./commands/simulate.js'),
  },
  audit: { summary: 'decode captured traffic and name every leak', load: () => import('./commands/audit.js') },
  capture: {
    summary: 'intercept HTTPS traffic from a phone or app and show its leaks live',
    load: () => import('./commands/capture.js'),
  },
  relay: {
    summary: 'forward Oblivious HTTP requests to a collector, so it never sees device addresses',
    load: () => import('./commands/relay.js'),
  },
  keys: { summary: 'create, rotate and list HPKE keys and query tokens', load: () => import('./commands/keys.js') },
  conformance: {
    summary: 'test a client against the protocol (stores nothing)',
    load: () => import('./commands/conformance.js'),
  },
  writer: { summary: 'consume the report queue into ClickHouse', load: () => import('./commands/writer.js') },
  bench: {
    summary: 'run benchmarks (sdk, collector, query, audit, dashboard, scale)',
    load: () => import('./commands/bench.js'),
  },
};

function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: candor <command> [options]

commands:
${lines.join('\n')}

Run "candor <command> --help" for a command's options; "candor --version" for the version.
exit codes: 0 done, 1 a finding reached --fail-on or a check failed, 2 bad usage or input, 3 runtime failure`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(version());
    return EXIT.ok;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`candor: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  const module = await command.load();
  try {
    return await module.run(rest);
  } catch (error) {
    throw Object.assign(new Error('command failed'), { command: name, cause: error });
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: { command?: string; cause?: unknown }) => {
    const { message, code } = describeFailure(error.command ? error.cause : error);
    console.error(`candor${error.command ? ` ${error.command}` : ''}: ${message}`);
    process.exitCode = code;
    // A failed start may leave a half-open client (a queue or database connection) holding the event loop.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
);
