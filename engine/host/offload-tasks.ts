/**
 * Work that can take seconds on hostile or simply large input (checking a policy, building a
 * report) runs in a worker thread, so one client's big call cannot stall every other client.
 * These are the messages between the engine and that worker.
 */
import type { PolicyCompletion, PolicyHover } from '../sla/index.js';
import type { ReportModel } from '../report/index.js';
import type { StorageHeadroomView } from '../storage/index.js';
import type { PolicyCheckResult } from './contract.js';
import type { RpcErrorBody } from './wire.js';

export type OffloadTask =
  | { kind: 'policy.check'; text: string }
  | { kind: 'policy.hover'; text: string; line: number; column: number }
  | { kind: 'policy.complete'; text: string; line: number; column: number }
  | { kind: 'report.build'; workspace: unknown; workspacePath: string | null; only: string[] | null; html: { paper: 'A4' | 'Letter' } | null }
  | { kind: 'storage.headroom'; workspace: unknown; workspacePath: string | null; dbFile: string | null };

export interface OffloadResults {
  'policy.check': PolicyCheckResult;
  'policy.hover': PolicyHover | null;
  'policy.complete': PolicyCompletion[];
  'report.build': { model: ReportModel; html: string | null };
  'storage.headroom': StorageHeadroomView;
}

export interface ReportBuildProgress { done: number; total: number; label: string }

export type OffloadRequest = { kind: 'task'; id: number; task: OffloadTask };
export type OffloadReply =
  | { kind: 'done'; id: number; result: unknown }
  | { kind: 'failed'; id: number; error: RpcErrorBody }
  | { kind: 'progress'; id: number; progress: ReportBuildProgress };
