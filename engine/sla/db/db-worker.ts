import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { SlaStore } from './store.js';
import { storeMethods, type DbOpened, type DbReply, type DbRequest } from './protocol.js';

/**
 * The database thread: owns the one connection and serves the mailbox in arrival order, so
 * batches commit in the order they were sent and queries see every batch sent before them.
 */
const { file, port, retention } = workerData as { file: string; port: MessagePort; retention?: Record<string, number> };
let store: SlaStore | null;
try {
  store = new SlaStore(file, retention ? { retention } : {});
} catch (e) {
  // Surfaces as the worker's 'error' event, which fails the client's open() with this message.
  throw new Error(`cannot open the SLA database ${file}: ${(e as Error).message}`);
}
port.postMessage({ id: 0, ok: true, value: { lastBatchId: store.lastBatchId() } satisfies DbOpened } satisfies DbReply);

const allowed = new Set<string>(storeMethods);

port.on('message', (request: DbRequest) => {
  if (!store) return;
  try {
    if (request.kind === 'ingest') {
      port.postMessage({ id: request.id, ok: true, value: store.ingest(request.batch) } satisfies DbReply);
    } else if (request.kind === 'call') {
      if (!allowed.has(request.method)) throw new Error(`unknown method ${request.method}`);
      const fn = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[request.method]!;
      port.postMessage({ id: request.id, ok: true, value: fn.apply(store, request.args) } satisfies DbReply);
    } else {
      store.close();
      store = null;
      port.postMessage({ id: request.id, ok: true, value: 'closed' } satisfies DbReply);
      port.close();
    }
  } catch (e) {
    port.postMessage({ id: request.id, ok: false, error: (e as Error).message } satisfies DbReply);
  }
});
