/** NATS servers from `--queue nats://HOST:4222[,nats://HOST2:4222...]`. */
export function parseNatsUrl(text: string): string[] {
  const servers = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0) throw new Error('--queue is empty; expected nats://HOST:4222');
  for (const server of servers) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new Error(`--queue "${server}" is not a URL; expected nats://HOST:4222`);
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
      throw new Error(`--queue "${server}" must start with nats:// (or tls://)`);
    }
    if (!url.hostname) throw new Error(`--queue "${server}" has no host`);
  }
  return servers;
}
