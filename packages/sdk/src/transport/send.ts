// What a send needs and nothing else needs: sealing and the upload request. The browser bundle loads this on the
// first send (and as soon as a report is queued, so it is there before a page hide): about a third of the SDK,
// used at most a few times a day. The Oblivious HTTP relay code is a further chunk, loaded only when one is set.
import type { KeyConfig } from '@candor/protocol/wire/envelope';
import { sealBatchJson } from '../seal/envelope.js';
import type { SenderHost } from './sender.js';
import { type UploadOutcome, uploadEnvelope } from './upload.js';

/** Seals a batch to the given key (or the current one, refetched when `refresh`) and uploads it. */
export async function sealAndSend(
  host: SenderHost,
  json: string,
  key: KeyConfig | null,
  refresh: boolean,
  keepalive: boolean,
  signal: AbortSignal,
): Promise<UploadOutcome> {
  // Through a relay, the key fetch goes through it too, so the collector never sees the device's address.
  const relayed = host.relay && (await import('../ohttp/relay.js')).relayTransport(host);
  const body = await sealBatchJson(json, key ?? (await host.keys.get(refresh)), { storedGzip: keepalive });
  if (relayed) return relayed(body, keepalive, signal);
  return uploadEnvelope(host.fetch, host.collector, body, { keepalive, signal });
}
