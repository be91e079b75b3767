#!/usr/bin/env node
// The `candor` command. Each subcommand lives in its own module and is loaded only when used, so `candor audit`
// never pays for starting the collector's dependencies and vice versa.

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  serve: { summary: 'run the collector and dashboard', load: () => import('./commands/serve.js') },
  simulate: {
    summary: 'drive a fleet of simulated phones at a collector',
    load: () => import('./commands/simulate.js'),
  },
  audit: { summary: 'decode captured traffic and name every leak', load: () => import('./commands/audit.js') },
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

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: candor <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "candor <command> --help" for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`candor: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const module = await command.load();
  return module.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`candor: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
