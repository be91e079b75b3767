// One thread of the inspection pool (ingest/pool.ts): opens and checks sealed bodies with its own key ring.
import { parentPort, workerData } from 'node:worker_threads';
import type { Registry } from '@candor/protocol';
import { KeyRing } from '../keys/keyring.js';
import type { IngestLimits } from '../limits/limits.js';
import { createInspector } from './inspect.js';
import type { InspectAnswer, InspectRequest } from './pool.js';

const { registries, keysDir, limits } = workerData as { registries: Registry[]; keysDir: string; limits: IngestLimits };
const keys = await KeyRing.open(keysDir);
// Rotation happens in another process; this ring re-reads the directory like the main thread's does.
setInterval(() => void keys.refresh().catch(() => undefined), 60_000).unref();
const inspect = createInspector({ registries, keys, limits });

/** Inspects one upload; checked reports go back as their text (see below), failures by their error's name only. */
async function answer(request: InspectRequest): Promise<InspectAnswer> {
  try {
    const result = await inspect(request.body);
    // The main thread parses the checked text again: a structured clone of the report objects cost about three
    // times as much to rebuild there as JSON.parse (measured for `candor bench collector`).
    return { id: request.id, result: result.ok ? { ...result, reports: [] } : result };
  } catch (error) {
    return { id: request.id, error: error instanceof Error ? error.name : 'Error' };
  }
}

// Uploads come in batches (see pool.ts) and their answers go back as one message.
parentPort?.on('message', (batch: InspectRequest[]) => {
  void Promise.all(batch.map(answer)).then((answers) => parentPort?.postMessage(answers));
});
parentPort?.postMessage('ready');
