import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { freePort, waitFor, whichBinary } from './processes.js';

/**
 * A throwaway nats-server with JetStream for tests and benchmarks: file storage under `dir`, 127.0.0.1 only, a
 * free port. It can be stopped and started again on the same port and store.
 */
export interface LocalNats {
  /** nats://127.0.0.1:PORT */
  url: string;
  start(): Promise<void>;
  stop(options?: { kill?: boolean }): Promise<void>;
}

export const NATS_BINARY = 'nats-server';

export async function natsAvailable(): Promise<boolean> {
  return (await whichBinary(NATS_BINARY)) !== null;
}

export async function startLocalNats(dir: string): Promise<LocalNats> {
  const binary = await whichBinary(NATS_BINARY);
  if (!binary) throw new Error(`${NATS_BINARY} is not installed (apt-get install -y nats-server)`);
  const port = await freePort();
  const storeDir = join(dir, 'jetstream');
  await mkdir(storeDir, { recursive: true });
  let child: ChildProcess | null = null;
  const nats: LocalNats = {
    url: `nats://127.0.0.1:${port}`,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      const started = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
        stdio: 'ignore',
      });
      child = started;
      const kill = () => started.kill('SIGKILL');
      process.once('exit', kill);
      started.once('exit', () => process.removeListener('exit', kill));
      await waitFor(`nats-server on port ${port}`, 15_000, async () => {
        if (started.exitCode !== null) throw new Error(`nats-server exited with ${started.exitCode}`);
        return portAnswers(port);
      });
    },
    async stop(options = {}) {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill(options.kill ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
  await nats.start();
  return nats;
}

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
