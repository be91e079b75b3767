import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Registry, Report } from '@candor/protocol';
import type { IngestLimits } from '../limits/limits.js';
import type { Inspection } from './inspect.js';

const WORKER_FILE = fileURLToPath(new URL('./worker.js', import.meta.url));

/** True when the compiled worker exists next to this module (not when running from TypeScript sources). */
export function poolAvailable(): boolean {
  return WORKER_FILE.endsWith('.js') && existsSync(WORKER_FILE);
}

/** What every inspection thread starts with. */
export interface InspectorData {
  registries: Registry[];
  keysDir: string;
  limits: IngestLimits;
  dedupeSecret: Uint8Array;
  /** Flatten checked reports into packed rows (see InspectorDeps.flatten). */
  flatten: boolean;
}

/** One upload for a thread, and one answer from it. Both travel in batches (see `flush`). */
export interface InspectRequest {
  id: number;
  body: Uint8Array;
  /** Answer with the checked reports rather than packed rows (see Inspection `recheck`). */
  reports?: true;
}
export interface InspectAnswer {
  id: number;
  result?: Inspection;
  /** Without packed rows: the checked reports as JSON, in the order of their dedupe keys (see worker.ts). */
  reports?: string;
  error?: string;
}

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (i: Inspection) => void; reject: (e: Error) => void }>;
  /** Uploads not yet posted to the thread. */
  outbox: InspectRequest[];
  transfer: ArrayBuffer[];
  /** Exited and not yet replaced: nothing more goes to it, since nothing would answer. */
  exited: boolean;
}

/**
 * Inspections (open, parse, firewall, check) on worker threads, so every core works on uploads while the main
 * thread handles HTTP, dedupe and the store. Each upload goes to the thread with the fewest in flight; the body's
 * memory is transferred, not copied. Uploads that arrive in one turn of the event loop go to a thread in one
 * message, and its answers come back the same way: in `candor bench collector` one postMessage per upload cost
 * the main thread more than parsing the upload.
 */
export class InspectorPool {
  private threads: Thread[] = [];
  private nextId = 0;
  private closed = false;
  private flushing = false;

  private constructor(private readonly data: InspectorData) {}

  static async start(size: number, data: InspectorData): Promise<InspectorPool> {
    const pool = new InspectorPool(data);
    pool.threads = await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    return pool;
  }

  private spawn(): Promise<Thread> {
    const worker = new Worker(WORKER_FILE, { workerData: this.data });
    const thread: Thread = { worker, pending: new Map(), outbox: [], transfer: [], exited: false };
    worker.on('message', (message: 'ready' | InspectAnswer[]) => {
      if (message === 'ready') return;
      for (const answer of message) {
        const waiting = thread.pending.get(answer.id);
        thread.pending.delete(answer.id);
        const result = answer.result;
        if (result?.ok && answer.reports) result.reports = JSON.parse(answer.reports) as Report[];
        if (result) waiting?.resolve(result);
        else waiting?.reject(new Error(`inspection failed: ${answer.error}`));
      }
    });
    const failAll = (error: Error) => {
      for (const waiting of thread.pending.values()) waiting.reject(error);
      thread.pending.clear();
      thread.outbox = [];
      thread.transfer = [];
    };
    worker.on('error', (error) => failAll(error));
    worker.on('exit', () => {
      thread.exited = true;
      failAll(new Error('inspection thread exited'));
      if (this.closed) return;
      // A thread that died is replaced; uploads it held answer 5xx and are retried by their devices.
      const index = this.threads.indexOf(thread);
      void this.spawn().then((replacement) => {
        if (index >= 0 && !this.closed) this.threads[index] = replacement;
        else void replacement.worker.terminate();
      });
    });
    return new Promise((ready, fail) => {
      worker.once('message', () => ready(thread));
      worker.once('error', fail);
    });
  }

  /** Inspects one upload on the least busy thread; `reports`: answer with the checked reports, not rows. */
  inspect(body: Uint8Array, reports = false): Promise<Inspection> {
    let thread: Thread | undefined;
    for (const t of this.threads) if (!t.exited && (!thread || t.pending.size < thread.pending.size)) thread = t;
    if (!thread) return Promise.reject(new Error('no inspection thread is running'));
    const id = this.nextId++;
    const chosen = thread;
    return new Promise((resolve, reject) => {
      chosen.pending.set(id, { resolve, reject });
      chosen.outbox.push(reports ? { id, body, reports } : { id, body });
      const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
      if (whole && body.buffer instanceof ArrayBuffer) chosen.transfer.push(body.buffer);
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Posts each thread's waiting uploads as one message, once the current turn of the event loop is done. */
  private flush(): void {
    this.flushing = false;
    for (const thread of this.threads) {
      if (thread.outbox.length === 0) continue;
      thread.worker.postMessage(thread.outbox, thread.transfer);
      thread.outbox = [];
      thread.transfer = [];
    }
  }

  get size(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
