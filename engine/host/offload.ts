import { Worker } from 'node:worker_threads';
import { resolveWorkerScript, type Logger } from '../runtime/index.js';
import type { OffloadReply, OffloadResults, OffloadTask, ReportBuildProgress } from './offload-tasks.js';
import { RpcError } from './wire.js';

interface Queued {
  id: number;
  task: OffloadTask;
  signal: AbortSignal | undefined;
  onProgress: ((p: ReportBuildProgress) => void) | undefined;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Queue bound per lane: a client that floods checks is refused, not buffered without end. */
const MAX_QUEUED = 64;

/**
 * One worker thread serving tasks in order. A cancelled running task (its client gave up or
 * went away) terminates the worker, and a fresh one serves the rest, so a 10 s check that
 * nobody waits for any more does not hold the lane. A worker that dies fails only its task.
 */
export class WorkerLane {
  private worker: Worker | null = null;
  private running: Queued | null = null;
  private readonly queue: Queued[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly name: string, private readonly log: Logger) {}

  run<K extends OffloadTask['kind']>(task: Extract<OffloadTask, { kind: K }>, options: { signal?: AbortSignal; onProgress?: (p: ReportBuildProgress) => void } = {}): Promise<OffloadResults[K]> {
    if (this.closed) return Promise.reject(new RpcError({ code: 'unavailable', message: 'the engine is stopping' }));
    if (options.signal?.aborted) return Promise.reject(new RpcError({ code: 'cancelled', message: 'cancelled' }));
    if (this.queue.length >= MAX_QUEUED) return Promise.reject(new RpcError({ code: 'unavailable', message: `too many ${this.name} tasks waiting; try again` }));
    return new Promise((resolve, reject) => {
      const item: Queued = { id: this.nextId++, task, signal: options.signal, onProgress: options.onProgress, resolve: resolve as (v: unknown) => void, reject };
      options.signal?.addEventListener('abort', () => this.cancel(item), { once: true });
      this.queue.push(item);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const item of this.queue.splice(0)) item.reject(new RpcError({ code: 'unavailable', message: 'the engine is stopping' }));
    this.running?.reject(new RpcError({ code: 'unavailable', message: 'the engine is stopping' }));
    this.running = null;
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private cancel(item: Queued): void {
    const reason = new RpcError({ code: 'cancelled', message: 'cancelled' });
    const at = this.queue.indexOf(item);
    if (at >= 0) { this.queue.splice(at, 1); item.reject(reason); return; }
    if (this.running === item) {
      this.running = null;
      item.reject(reason);
      const worker = this.worker;
      this.worker = null;
      void worker?.terminate();
      this.pump();
    }
  }

  private spawn(): Worker {
    const worker = new Worker(resolveWorkerScript(import.meta.url, './offload-worker.js'));
    worker.unref();
    worker.on('message', (reply: OffloadReply) => {
      const item = this.running;
      if (!item || item.id !== reply.id || this.worker !== worker) return;
      if (reply.kind === 'progress') { item.onProgress?.(reply.progress); return; }
      this.running = null;
      if (reply.kind === 'done') item.resolve(reply.result);
      else item.reject(new RpcError(reply.error));
      this.pump();
    });
    worker.on('error', (err) => {
      this.log.warn({ err, lane: this.name }, 'an engine worker failed');
      if (this.worker !== worker) return;
      this.worker = null;
      const item = this.running;
      this.running = null;
      item?.reject(new RpcError({ code: 'internal', message: `${item.task.kind} failed: ${err.message}` }));
      this.pump();
    });
    worker.on('exit', () => { if (this.worker === worker) { this.worker = null; const item = this.running; this.running = null; item?.reject(new RpcError({ code: 'internal', message: `${item.task.kind} failed: its worker exited` })); this.pump(); } });
    return worker;
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const item = this.queue.shift();
    if (!item) return;
    this.running = item;
    this.worker ??= this.spawn();
    this.worker.postMessage({ kind: 'task', id: item.id, task: item.task });
  }
}
