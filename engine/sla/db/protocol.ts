import type { MessagePort } from 'node:worker_threads';
import type { SlaStore } from './store.js';
import type { PackedSamples } from './types.js';

/** Store methods the worker serves; everything else about the store stays inside the worker. */
export const storeMethods = [
  'registerGateway', 'recordActions', 'ackAction', 'recordViolations', 'recordAlerts', 'recordPolicy', 'policyHistory',
  'rollup', 'applyRetention', 'classSeries', 'timeline', 'latestPerGateway', 'committedBatches', 'integrityCheck', 'counts',
] as const;
export type StoreMethod = (typeof storeMethods)[number];
export type StoreApi = Pick<SlaStore, StoreMethod>;

/** Mailbox messages, client → worker. Ingest batches carry their buffers as transfers. */
export type DbRequest =
  | { id: number; op: 'ingest'; batch: PackedSamples }
  | { id: number; op: 'call'; method: StoreMethod; args: unknown[] }
  | { id: number; op: 'close' };

/** Worker → client. */
export type DbReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string };

export interface DbWorkerData {
  file: string;
  port: MessagePort;
  retention?: Record<string, number>;
}
