import { splitHarEntries } from './entry-splitter.js';
import { CaptureError } from './errors.js';
import { type CapturedRequest, readEntry } from './har-entry.js';
import { openCapture } from './source.js';

export interface ReadHarOptions {
  /** Called with each read of the file on disk, in bytes, for a progress bar. */
  onRawBytes?: (bytes: number) => void;
  maxEntryBytes?: number;
  /** Called for what was read despite a flaw (a HAR without "log.version"). */
  onWarning?: (message: string) => void;
}

/**
 * Streams the requests of one HAR 1.1 or 1.2 capture (plain or `.zhar`) in bounded memory, a batch of entries per chunk
 * read. Throws CaptureError naming the file and the byte or entry where it is not a readable HAR.
 */
export async function* readHarBatches(file: string, options: ReadHarOptions = {}): AsyncGenerator<CapturedRequest[]> {
  const source = await openCapture(file, options.onRawBytes);
  const batches = splitHarEntries(source.chunks, file, { maxEntryBytes: options.maxEntryBytes });
  let result = await batches.next();
  while (!result.done) {
    const requests: CapturedRequest[] = [];
    for (const { index, offset, size, json } of result.value) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch (error) {
        throw new CaptureError(file, `an entry is not valid JSON: ${(error as Error).message}`, {
          entry: index,
          byte: offset,
        });
      }
      requests.push(readEntry(parsed, file, index, offset, size));
    }
    yield requests;
    result = await batches.next();
  }
  const info = result.value;
  if (info.version === undefined) {
    // Tools that build HARs by hand (test mocks, some exporters) leave the version out; the entries still read.
    if (info.entryCount === 0) throw new CaptureError(file, 'not a HAR file: no "log" with "version" and "entries"');
    options.onWarning?.('"log.version" is missing; read as HAR 1.2');
  }
}

/** The requests of one HAR capture, one at a time; see readHarBatches. */
export async function* readHar(file: string, options: ReadHarOptions = {}): AsyncGenerator<CapturedRequest> {
  for await (const batch of readHarBatches(file, options)) yield* batch;
}
