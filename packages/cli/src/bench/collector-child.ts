// A server process for `candor bench collector`: either the real collector or a bare node:http server that only
// JSON.parses each body. Each runs in its own process so the load generator does not share its event loop.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCollector } from '@candor/server';

type Message = { kind: 'collector'; dir: string; storeName: string; workers?: number } | { kind: 'bare' };

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);

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
    let cpuAtStart = process.cpuUsage();
    let acceptedAtStart = 0;
    let stageAtStart = { ...collector.stats.stageMs };
    process.send?.({ url: collector.url });
    process.on('message', async (command) => {
      if (command === 'mark') {
        cpuAtStart = process.cpuUsage();
        acceptedAtStart = collector.stats.accepted;
        stageAtStart = { ...collector.stats.stageMs };
        process.send?.('marked');
        return;
      }
      const cpu = process.cpuUsage(cpuAtStart);
      await collector.close();
      clearInterval(sampler);
      const stage = collector.stats.stageMs;
      const stageMs = Object.fromEntries(
        Object.entries(stage).map(([name, ms]) => [name, ms - stageAtStart[name as keyof typeof stage]]),
      );
      process.send?.(
        {
          cpuMicros: cpu.user + cpu.system,
          peakRss: Math.max(peakRss, process.resourceUsage().maxRSS * 1024),
          accepted: collector.stats.accepted - acceptedAtStart,
          stageMs,
        },
        () => process.exit(0),
      );
    });
    return;
  }
  let parsed = 0;
  let parsedAtStart = 0;
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
  let cpuAtStart = process.cpuUsage();
  server.listen(0, '127.0.0.1', () => {
    cpuAtStart = process.cpuUsage();
    process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  });
  process.on('message', (command) => {
    if (command === 'mark') {
      cpuAtStart = process.cpuUsage();
      parsedAtStart = parsed;
      process.send?.('marked');
      return;
    }
    const cpu = process.cpuUsage(cpuAtStart);
    server.closeAllConnections();
    server.close();
    clearInterval(sampler);
    process.send?.(
      {
        cpuMicros: cpu.user + cpu.system,
        peakRss: Math.max(peakRss, process.resourceUsage().maxRSS * 1024),
        accepted: parsed - parsedAtStart,
      },
      () => process.exit(0),
    );
  });
}

process.once('message', (message: Message) => {
  void main(message);
});
