// One thread of the inspection pool (ingest/pool.ts): opens and checks sealed bodies with its own key ring.
import { parentPort, workerData } from 'node:worker_threads';
import { KeyRing } from '../keys/keyring.js';
import { packedBuffers } from '../store/packed.js';
import { createInspector } from './inspect.js';
import type { InspectAnswer, InspectorData, InspectRequest } from './pool.js';

const { registries, keysDir, limits, dedupeSecret, flatten } = workerData as InspectorData;
const keys = await KeyRing.open(keysDir);
// Rotation happens in another process; this ring re-reads the directory like the main thread's does.
setInterval(() => void keys.refresh().catch(() => undefined), 60_000).unref();
const inspect = createInspector({ registries, keys, limits, dedupeSecret, flatten });

/**
 * Inspects one upload. Checked reports go back as packed rows (store/packed.ts) when the sink takes rows, else
 * as their text (a structured clone of the report objects cost about three times as much to rebuild on the main
 * thread as JSON.parse, measured for `candor bench collector`). Failures go back by their error's name only.
 */
async function answer(request: InspectRequest, transfer: ArrayBuffer[]): Promise<InspectAnswer> {
  try {
    const result = await inspect(request.body, { flatten: flatten && !request.reports });
    if (!result.ok) return { id: request.id, result };
    const rows = result.prepared.rows;
    const sent = { id: request.id, result: { ...result, reports: [] } };
    if (!rows) return { ...sent, reports: JSON.stringify(result.reports) };
    transfer.push(...packedBuffers(rows));
    return sent;
  } catch (error) {
    return { id: request.id, error: error instanceof Error ? error.name : 'Error' };
  }
}

// Uploads come in batches (see pool.ts) and their answers go back as one message.
parentPort?.on('message', (batch: InspectRequest[]) => {
  const transfer: ArrayBuffer[] = [];
  void Promise.all(batch.map((request) => answer(request, transfer))).then((answers) =>
    parentPort?.postMessage(answers, transfer),
  );
});
parentPort?.postMessage('ready');
