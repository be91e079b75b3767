// A server process for `candor bench collector`: either the real collector or a bare node:http server that only
// JSON.parses each body. Each runs in its own process so the load generator does not share its event loop.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCollector } from '@candor/server';

type Message = { kind: 'collector'; dir: string; storeName: string; workers?: number } | { kind: 'bare' };

/** What the parent asks for: a snapshot of the counters, or the last one before the process exits. */
type Command = 'sample' | 'stop';

/** Counters since the server started; the parent takes the difference between two snapshots around a window. */
export interface ServerSample {
  cpuMicros: number;
  accepted: number;
  /** The collector's summed stage times (IngestStats.stageMs). */
  stageMs?: Record<string, number>;
  peakRss: number;
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);

function cpuMicros(): number {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
}

/** Answers each command with a snapshot; on `stop` the server is closed after it, and the process exits. */
function serve(snapshot: () => Promise<Omit<ServerSample, 'peakRss'>>, close: () => Promise<void>): void {
  process.on('message', async (command: Command) => {
    const counters = await snapshot();
    if (command === 'stop') {
      await close();
      clearInterval(sampler);
    }
    const sample: ServerSample = { ...counters, peakRss: Math.max(peakRss, process.resourceUsage().maxRSS * 1024) };
    if (command === 'stop') process.send?.(sample, () => process.exit(0));
    else process.send?.(sample);
  });
}

async function main(message: Message): Promise<void> {
  if (message.kind === 'collector') {
    const collector = await startCollector({
      keysDir: `${message.dir}/keys`,
      store: `duckdb:${message.dir}/${message.storeName}`,
      rateLimit: false,
      dashboardDir: null,
      log: { level: 'warn' },
      ...(message.workers !== undefined ? { workers: message.workers } : {}),
    });
    process.send?.({ url: collector.url });
    serve(
      async () => {
        // A read merges everything journaled first (store/duckdb), so the merge a window's uploads cause is
        // counted in that window rather than slowing the next server's.
        await collector.store.unreleasedDays('', '0000-01-01');
        return {
          cpuMicros: cpuMicros(),
          accepted: collector.stats.accepted,
          stageMs: { ...collector.stats.stageMs },
        };
      },
      () => collector.close(),
    );
    return;
  }
  let parsed = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        parsed++;
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  serve(
    async () => ({ cpuMicros: cpuMicros(), accepted: parsed }),
    async () => {
      server.closeAllConnections();
      server.close();
    },
  );
}

process.once('message', (message: Message) => {
  void main(message);
});
