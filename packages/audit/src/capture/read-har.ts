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
  const pageUrls = new Map<string, string>();
  const onPage = (json: string): void => {
    const page = pageUrl(json);
    if (page) pageUrls.set(page.id, page.url);
  };
  const batches = splitHarEntries(source.chunks, file, { maxEntryBytes: options.maxEntryBytes, onPage });
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
      const request = readEntry(parsed, file, index, offset, size);
      const url = request.page && pageUrls.get(request.page.id);
      if (request.page && url) request.page.url = url;
      requests.push(request);
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

/** A page whose title is its address (Chrome, chrome-har and Browsertime write the URL there). */
function pageUrl(json: string): { id: string; url: string } | undefined {
  let page: unknown;
  try {
    page = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof page !== 'object' || page === null) return undefined;
  const { id, title } = page as { id?: unknown; title?: unknown };
  if (typeof id !== 'string' || typeof title !== 'string' || !/^https?:\/\//i.test(title)) return undefined;
  return { id, url: title };
}

/** The requests of one HAR capture, one at a time; see readHarBatches. */
export async function* readHar(file: string, options: ReadHarOptions = {}): AsyncGenerator<CapturedRequest> {
  for await (const batch of readHarBatches(file, options)) yield* batch;
}
