import { type FileHandle, open } from 'node:fs/promises';

const TRAILER = '\n]}}\n';

export class HarAppendError extends Error {}

/**
 * Writes a HAR 1.2 file one entry at a time, keeping it a complete, valid HAR after every entry: each entry is
 * written together with the closing brackets, in one write over the previous closing brackets. A crash (or a
 * kill) between two entries therefore leaves a HAR that `candor audit` reads, holding every entry written.
 * Reopening a file this class wrote continues it.
 */
export class HarAppender {
  private chain: Promise<void> = Promise.resolve();
  entries = 0;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    private position: number,
    private empty: boolean,
  ) {}

  static async open(path: string, creator = { name: 'candor capture', version: '0.1.0' }): Promise<HarAppender> {
    const file = await open(path, 'a+').then(async (handle) => {
      // 'a+' creates the file without truncating it; positional writes need a handle opened without O_APPEND.
      await handle.close();
      return open(path, 'r+');
    });
    const size = (await file.stat()).size;
    if (size === 0) {
      const head = `{"log":{"version":"1.2","creator":${JSON.stringify(creator)},"entries":[`;
      await file.write(head + TRAILER, 0);
      await file.sync();
      return new HarAppender(path, file, Buffer.byteLength(head), true);
    }
    const tail = Buffer.alloc(Math.min(size, 64));
    await file.read(tail, 0, tail.length, size - tail.length);
    const text = tail.toString('latin1');
    if (!text.endsWith(TRAILER) || !(await startsAsCandorHar(file))) {
      await file.close();
      throw new HarAppendError(`${path} exists and was not written by candor capture; choose another --out`);
    }
    const before = text.slice(0, text.length - TRAILER.length).trimEnd();
    return new HarAppender(path, file, size - TRAILER.length, before.endsWith('['));
  }

  /** Appends one entry; entries are written in the order append is called. */
  append(entry: Record<string, unknown>): Promise<void> {
    const text = `${this.empty ? '\n' : ',\n'}${JSON.stringify(entry)}`;
    this.empty = false;
    const bytes = Buffer.from(text + TRAILER);
    const at = this.position;
    this.position += bytes.length - TRAILER.length;
    this.entries++;
    this.chain = this.chain.then(async () => {
      await this.file.write(bytes, 0, bytes.length, at);
    });
    return this.chain;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.file.sync();
    await this.file.close();
  }
}

async function startsAsCandorHar(file: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(200);
  const { bytesRead } = await file.read(head, 0, head.length, 0);
  return /^\{"log":\{"version":"1\.2","creator":\{"name":"candor capture"/.test(head.toString('utf8', 0, bytesRead));
}
