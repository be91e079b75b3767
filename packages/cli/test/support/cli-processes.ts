// The built `candor` command run as child processes, for the fault tests that kill and restart its parts.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scaleServicesAvailable } from '@candor/server/testing';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** True when ClickHouse, NATS and the built CLI are there; skips loudly when not, and fails when CI=true. */
export async function scaleTestReady(name: string): Promise<boolean> {
  if (!(await scaleServicesAvailable(name, { ownServers: true }))) return false;
  if (existsSync(MAIN)) return true;
  const message = `${name}: ${MAIN} is missing; run \`npm run build\` first`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!! SKIPPING ${message} !!!\n`);
  return false;
}

export interface CandorProcess {
  child: ChildProcess;
  /** The last part of what it printed (stdout and stderr), for failure messages. */
  output: () => string;
}

/** Starts `candor ARGS` processes and kills whatever is still running at the end of a test. */
export class CandorProcesses {
  private readonly children = new Set<ChildProcess>();

  run(args: string[]): CandorProcess {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d).slice(-50_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return { child, output: () => output };
  }

  killAll(): Promise<void> {
    return Promise.all([...this.children].map(killHard)).then(() => undefined);
  }
}

export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

/** SIGTERM, then SIGKILL if it has not exited within 15 s. */
export async function stopGently(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
