import { extname } from 'node:path';
import type { CapturedRequest } from './har-entry.js';
import { readMitmFlowBatches } from './mitm-flow.js';
import { readPcapBatches } from './pcap.js';
import { type ReadHarOptions, readHarBatches } from './read-har.js';

/** Picks the reader by file extension: mitmproxy flows, pcap/pcapng through tshark, else HAR (plain or .zhar). */
export function readCaptureBatches(file: string, options: ReadHarOptions = {}): AsyncGenerator<CapturedRequest[]> {
  const extension = extname(file).toLowerCase();
  if (extension === '.mitm' || extension === '.flow') return readMitmFlowBatches(file, options);
  if (extension === '.pcapng' || extension === '.pcap') return readPcapBatches(file, options);
  return readHarBatches(file, options);
}
