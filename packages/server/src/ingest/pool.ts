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

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (i: Inspection) => void; reject: (e: Error) => void }>;
}

/**
 * Inspections (open, parse, firewall, check) on worker threads, so every core works on uploads while the main
 * thread handles HTTP, dedupe and the store. Each upload goes to the thread with the fewest in flight; the body's
 * memory is transferred, not copied.
 */
export class InspectorPool {
  private threads: Thread[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(private readonly data: { registries: Registry[]; keysDir: string; limits: IngestLimits }) {}

  static async start(
    size: number,
    data: { registries: Registry[]; keysDir: string; limits: IngestLimits },
  ): Promise<InspectorPool> {
    const pool = new InspectorPool(data);
    pool.threads = await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    return pool;
  }

  private spawn(): Promise<Thread> {
    const worker = new Worker(WORKER_FILE, { workerData: this.data });
    const thread: Thread = { worker, pending: new Map() };
    worker.on('message', (message: 'ready' | { id: number; result?: Inspection; error?: string }) => {
      if (message === 'ready') return;
      const waiting = thread.pending.get(message.id);
      thread.pending.delete(message.id);
      const result = message.result;
      // Reports come back as the checked text (see worker.ts).
      if (result?.ok) result.reports = (JSON.parse(result.text) as { reports: Report[] }).reports;
      if (result) waiting?.resolve(result);
      else waiting?.reject(new Error(`inspection failed: ${message.error}`));
    });
    const failAll = (error: Error) => {
      for (const waiting of thread.pending.values()) waiting.reject(error);
      thread.pending.clear();
    };
    worker.on('error', (error) => failAll(error));
    worker.on('exit', () => {
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

  inspect(body: Uint8Array): Promise<Inspection> {
    let thread = this.threads[0] as Thread;
    for (const t of this.threads) if (t.pending.size < thread.pending.size) thread = t;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      const whole = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
      if (whole && body.buffer instanceof ArrayBuffer) thread.worker.postMessage({ id, body }, [body.buffer]);
      else thread.worker.postMessage({ id, body });
    });
  }

  get size(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}
