// A note-sync service that reports how its syncs go. It records three metrics from metrics.yaml and prints what
// it sent (the SDK's transparency log) so you can see exactly what left the machine. The SDK sends one report per
// UTC day, after the day ends; to see one at once while integrating, development mode can end the day early.
//   CANDOR_COLLECTOR=http://127.0.0.1:8080 npm start
import { createCandor } from '@candor/sdk';
import { fileQueueStorage } from '@candor/sdk/node';
import { notesSyncRegistry } from './metrics.js';

const collector = process.env.CANDOR_COLLECTOR ?? 'http://127.0.0.1:8080';

const candor = createCandor({
  registry: notesSyncRegistry,
  collector,
  appVersion: '1.4.2', // only "1.4" is sent
  // A service has no navigator to read: say what it runs on, coarsely.
  system: { modelFamily: 'server', os: 'linux', osMajor: 6, language: 'en' },
  // The operator agreed to reporting in the service's configuration; a person-facing app asks its user.
  consent: { regime: 'opt-in', state: 'granted' },
  // Reports wait in this file while the collector cannot be reached.
  storage: fileQueueStorage('.candor-queue.json'),
  flushIntervalMs: 0,
  // Integrating: misuse throws, and flush({ endDay: true }) may send today's report now. Ship 'production'.
  mode: 'development',
});

/** One sync pass: pretend to write some notes and time it. */
async function syncOnce(): Promise<void> {
  const started = performance.now();
  const notes = 3 + Math.floor(Math.random() * 10);
  await new Promise((done) => setImmediate(done));
  candor.counter('sync.notes_synced').add(notes);
  candor.timing('sync.duration').record(Math.round(performance.now() - started));
  candor.enumeration('sync.result').set('ok');
}

await candor.ready;
for (let pass = 0; pass < 3; pass++) await syncOnce();
await candor.flush({ endDay: true });

const sent = candor.transparencyLog();
for (const entry of sent) console.log(`${entry.status} (HTTP ${entry.httpStatus}): ${JSON.stringify(entry.report)}`);
await candor.shutdown();
process.exitCode = sent.some((entry) => entry.status === 'accepted') ? 0 : 1;
