import { Worker } from 'node:worker_threads';
import { resolveWorkerScript } from '../runtime/index.js';
import type { ShardCommand, ShardConfig, ShardEvent } from './mailbox.js';

/** One worker thread (a shard, or one agent of the baseline) and the commands queued for it this tick. */
export interface WorkerSlot {
  readonly index: number;
  readonly worker: Worker;
  /** Where its listener accepts gateways (the discovery port redirects there). */
  port: number;
  outbox: ShardCommand[];
  exited: boolean;
}

export interface WorkerPoolHooks {
  configOf(index: number): ShardConfig;
  onEvents(slot: WorkerSlot, events: ShardEvent[]): void;
  onError(slot: WorkerSlot, err: Error): void;
  onExit(slot: WorkerSlot, code: number): void;
}

/**
 * The daemon's worker threads and their mailboxes: commands to one worker within one tick go in
 * one postMessage, as the shards batch their events back.
 */
export class WorkerPool {
  readonly slots: WorkerSlot[] = [];
  private flushScheduled = false;

  constructor(private readonly hooks: WorkerPoolHooks) {}

  live(): WorkerSlot[] {
    return this.slots.filter((s) => !s.exited);
  }

  /** Starts a worker; resolves once its listener is up. */
  async start(index: number): Promise<WorkerSlot> {
    const worker = new Worker(resolveWorkerScript(import.meta.url, './shard-worker.js'), { workerData: this.hooks.configOf(index) });
    const slot: WorkerSlot = { index, worker, port: 0, outbox: [], exited: false };
    const listening = new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (events: ShardEvent[]) => {
        for (const e of events) if (e.kind === 'listening') resolve(e.port);
        this.hooks.onEvents(slot, events);
      });
    });
    worker.on('error', (err) => this.hooks.onError(slot, err));
    worker.on('exit', (code) => {
      slot.exited = true;
      this.hooks.onExit(slot, code);
    });
    slot.port = await listening;
    this.slots.push(slot);
    return slot;
  }

  remove(slot: WorkerSlot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
  }

  command(slot: WorkerSlot, c: ShardCommand): void {
    slot.outbox.push(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.flushScheduled = false;
    for (const slot of this.slots) {
      if (slot.outbox.length === 0 || slot.exited) continue;
      const batch = slot.outbox;
      slot.outbox = [];
      slot.worker.postMessage(batch);
    }
  }
}
