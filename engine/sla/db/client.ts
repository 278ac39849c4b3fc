import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { resolveWorkerScript } from '../../runtime/index.js';
import { SamplePacker } from './packer.js';
import { storeMethods, type DbOpened, type DbReply, type DbRequest, type StoreApi, type StoreMethod } from './protocol.js';
import type { RetentionPolicy, SampleRow } from './types.js';

export interface SlaDbOptions {
  retention?: Partial<RetentionPolicy>;
  /** Rows that make a batch leave at once; otherwise a batch leaves at the end of the current tick. */
  maxBatchRows?: number;
  /**
   * First batch id. By default numbering continues after the last batch the database has
   * committed, so a restarted server's batches are never mistaken for resends of old ones.
   */
  firstBatchId?: number;
}

export interface CommittedBatch {
  batchId: number;
  samples: number;
  duplicate: boolean;
}

type Promised<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never;
/** Every store method, asynchronous: the call crosses the mailbox to the database thread. */
export type SlaDbQueries = { [K in StoreMethod]: Promised<StoreApi[K]> };

/**
 * The SLA database behind a mailbox: better-sqlite3 runs on its own worker thread, so ingest
 * and queries never block the engine's event loop. Samples added in one tick travel as one
 * batch (one message, one transaction); `ingest` resolves when its batch has committed.
 */
export class SlaDb {
  /** Numbered from the database's last committed batch once open() has heard it. */
  private packer = new SamplePacker();
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private flushScheduled = false;
  private batchWaiters: { resolve: (v: CommittedBatch) => void; reject: (e: Error) => void }[] = [];
  private closed = false;
  /** Set when close() starts: the thread's exit is then expected, and may overtake its last reply. */
  private closing = false;
  readonly queries: SlaDbQueries;

  private constructor(private readonly worker: Worker, private readonly port: MessagePort, private readonly maxBatchRows: number) {
    port.on('message', (reply: DbReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.value); else w.reject(new Error(reply.error));
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', (code) => { if (!this.closing) this.failAll(new Error(`database thread exited (${code})`)); });
    this.queries = new Proxy({} as SlaDbQueries, {
      // Only store methods: anything else (notably `then`, which await probes) is undefined.
      get: (_target, method) => (typeof method === 'string' && (storeMethods as readonly string[]).includes(method)
        ? (...args: unknown[]) => this.request({ id: 0, kind: 'call', method: method as StoreMethod, args })
        : undefined),
    });
  }

  static async open(file: string, options: SlaDbOptions = {}): Promise<SlaDb> {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(resolveWorkerScript(import.meta.url, './db-worker.js'), {
      workerData: { file, port: port2, ...(options.retention ? { retention: options.retention } : {}) },
      transferList: [port2],
    });
    const db = new SlaDb(worker, port1, options.maxBatchRows ?? 50_000);
    // The worker's first message (id 0) says whether the file opened, and where numbering resumes.
    const opened = await new Promise<DbOpened>((resolve, reject) => {
      db.waiting.set(0, { resolve: (v) => resolve(v as DbOpened), reject });
    }).catch(async (e: Error) => { await worker.terminate(); throw e; });
    db.packer = new SamplePacker(options.firstBatchId ?? opened.lastBatchId + 1);
    return db;
  }

  /** Queues rows; resolves when the batch holding them has committed. */
  ingest(rows: Iterable<SampleRow>): Promise<CommittedBatch> {
    if (this.closed || this.closing) return Promise.reject(new Error('the database is closed'));
    for (const row of rows) this.packer.add(row);
    const done = new Promise<CommittedBatch>((resolve, reject) => this.batchWaiters.push({ resolve, reject }));
    if (this.packer.size >= this.maxBatchRows) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return done;
  }

  /** Sends the queued rows now. */
  flush(): void {
    this.flushScheduled = false;
    const batch = this.packer.take();
    const waiters = this.batchWaiters;
    this.batchWaiters = [];
    if (!batch) { for (const w of waiters) w.resolve({ batchId: 0, samples: 0, duplicate: false }); return; }
    this.request({ id: 0, kind: 'ingest', batch }, [batch.t.buffer as ArrayBuffer, batch.series.buffer as ArrayBuffer, batch.values.buffer as ArrayBuffer]).then(
      (v) => { for (const w of waiters) w.resolve(v as CommittedBatch); },
      (e: Error) => { for (const w of waiters) w.reject(e); },
    );
  }

  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.flush();
    this.closing = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    await Promise.race([this.request({ id: 0, kind: 'close' }), exited]);
    this.closed = true;
    // Replies the exit overtook will never come.
    this.failAll(new Error('the database closed before answering'));
    await this.worker.terminate();
  }

  private request(message: DbRequest, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.port.postMessage({ ...message, id }, transfer);
    });
  }

  private failAll(error: Error): void {
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
    for (const w of this.batchWaiters) w.reject(error);
    this.batchWaiters = [];
  }
}
