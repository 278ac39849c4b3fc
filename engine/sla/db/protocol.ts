import type { MessagePort } from 'node:worker_threads';
import type { SlaStore } from './store.js';
import type { PackedSamples } from './types.js';

/** Store methods the worker serves; everything else about the store stays inside the worker. */
export const storeMethods = [
  'registerGateway', 'recordActions', 'ackAction', 'recordViolations', 'recordAlerts', 'recordPolicy', 'policyHistory',
  'rollup', 'applyRetention', 'classSeries', 'timeline', 'latestPerGateway', 'committedBatches', 'lastBatchId', 'integrityCheck', 'counts',
] as const;
export type StoreMethod = (typeof storeMethods)[number];
export type StoreApi = Pick<SlaStore, StoreMethod>;

/** Mailbox messages, client → worker. Ingest batches carry their buffers as transfers. */
export type DbRequest =
  | { id: number; kind: 'ingest'; batch: PackedSamples }
  | { id: number; kind: 'call'; method: StoreMethod; args: unknown[] }
  | { id: number; kind: 'close' };

/** The worker's first message (id 0): the file is open, and the last batch id it has committed. */
export interface DbOpened {
  lastBatchId: number;
}

/** Worker → client. */
export type DbReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string };

export interface DbWorkerData {
  file: string;
  port: MessagePort;
  retention?: Record<string, number>;
}
