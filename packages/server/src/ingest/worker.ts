// One thread of the inspection pool (ingest/pool.ts): opens and checks sealed bodies with its own key ring.
import { parentPort, workerData } from 'node:worker_threads';
import type { Registry } from '@candor/protocol';
import { KeyRing } from '../keys/keyring.js';
import type { IngestLimits } from '../limits/limits.js';
import { createInspector } from './inspect.js';

const { registries, keysDir, limits } = workerData as { registries: Registry[]; keysDir: string; limits: IngestLimits };
const keys = await KeyRing.open(keysDir);
// Rotation happens in another process; this ring re-reads the directory like the main thread's does.
setInterval(() => void keys.refresh().catch(() => undefined), 60_000).unref();
const inspect = createInspector({ registries, keys, limits });

parentPort?.on('message', (message: { id: number; body: Uint8Array }) => {
  void inspect(message.body).then(
    // Checked reports go back as their text, which the main thread parses again: a structured clone of the report
    // objects cost about three times as much to rebuild there as JSON.parse (measured for `candor bench collector`).
    (result) => parentPort?.postMessage({ id: message.id, result: result.ok ? { ...result, reports: [] } : result }),
    (error: unknown) =>
      parentPort?.postMessage({ id: message.id, error: error instanceof Error ? error.name : 'Error' }),
  );
});
parentPort?.postMessage('ready');
