import os from 'node:os';
import { describeMachine, type MachineDescription } from '../runtime/index.js';
import { runBatchingBench, type BatchingResult } from './batching-bench.js';
import { runTcpFloor, type TcpFloorResult } from './tcp-floor.js';
import type { DaemonArch } from './daemon.js';
import { delayCurves, deriveDelayParams, type DelayPoint, type DerivedDelayParams } from './delay-model.js';
import { runMessagingBench, type MessagingBenchOptions, type MessagingBenchRow, type MessagingProgress } from './messaging-bench.js';
import { measureMessageCost, recommendShards, type MessageCost, type ShardRecommendation } from './sizing.js';

/** What the bench measures, plus what else the study runs; arrays are mutable because the workspace keeps the request. */
export interface MessagingStudyRequest extends Omit<MessagingBenchOptions, 'gateways' | 'archs' | 'onProgress' | 'signal'> {
  gateways: number[];
  archs: DaemonArch[];
  /** Also run the batching benchmark (a few seconds), which supplies t1 to the model. */
  batching?: boolean;
  /** Also measure the TCP floor at each gateway count: the least a poll cycle can cost here. */
  floor?: boolean;
}

export interface MessagingStudyResult {
  request: MessagingStudyRequest;
  measuredAt: string;
  cores: number;
  /** The measuring machine, and how busy it was when the study started: figures travel with their context. */
  machine: MachineDescription;
  loadAverage1m: number;
  /** One row per architecture and gateway count: what the charts plot. */
  rows: MessagingBenchRow[];
  batching: BatchingResult | null;
  /** The TCP floor per gateway count (empty when not asked for). */
  floor: TcpFloorResult[];
  messageCost: MessageCost;
  /** The delay model with parameters from these measurements, and its curves over the gateway counts. */
  model: DerivedDelayParams & { curves: DelayPoint[] };
  /** Shard count per gateway count: the document's formula and the measured rule. */
  sizing: ShardRecommendation[];
}

/**
 * The Messaging view's one call: measure both architectures at the chosen gateway counts, then
 * fit the delay model and the sizing rules to what was measured. Progress is reported per poll
 * cycle; an abort returns what was measured so far.
 */
export async function runMessagingStudy(
  request: MessagingStudyRequest,
  hooks: { onProgress?: (p: MessagingProgress) => void; signal?: AbortSignal } = {},
): Promise<MessagingStudyResult> {
  const cores = os.availableParallelism();
  const machine = describeMachine();
  const loadAverage1m = Math.round(os.loadavg()[0]! * 100) / 100;
  const intervalMs = request.intervalMs ?? 1000;
  const serviceUs = request.serviceUs ?? 0;
  const messageCost = measureMessageCost();
  const rows = await runMessagingBench({ ...request, onProgress: hooks.onProgress, signal: hooks.signal });
  const floor: TcpFloorResult[] = [];
  if (request.floor) {
    const counts = [...new Set(request.gateways)].sort((a, b) => a - b);
    for (const [i, gateways] of counts.entries()) {
      if (hooks.signal?.aborted) break;
      hooks.onProgress?.({ done: i, total: counts.length, label: `TCP floor ${gateways}` });
      floor.push(await runTcpFloor({ gateways, cycles: request.cycles ?? 10, pauseMs: 100, signal: hooks.signal }));
    }
  }
  let batching: BatchingResult | null = null;
  if (request.batching && !hooks.signal?.aborted) {
    hooks.onProgress?.({ done: 0, total: 1, label: 'batching benchmark' });
    batching = await runBatchingBench({ maxSecondsPerMode: 1 });
  }
  const single = batching?.rows.find((r) => r.mode === 'one-write-per-message');
  const derived = deriveDelayParams(rows, { serviceUs, cores, t1Us: single?.usPerMessage });
  const curveAt = [...new Set([1, ...request.gateways])].sort((a, b) => a - b);
  const pairRows = rows.filter((r) => r.arch === 'pair' && r.error === null && r.cycles > 0);
  const perGatewayUs = pairRows.length > 0 ? pairRows[pairRows.length - 1]!.cpuUsPerGatewayCycle : messageCost.meanUs;
  const sizing = [...new Set(request.gateways)].sort((a, b) => a - b).map((n) =>
    recommendShards({ gateways: n, perGatewayUs, ptmaxUs: messageCost.maxUs, intervalMs, deadlineMs: intervalMs / 2, cores }),
  );
  return {
    request,
    measuredAt: new Date().toISOString(),
    cores,
    machine,
    loadAverage1m,
    rows,
    batching,
    floor,
    messageCost,
    model: { ...derived, curves: delayCurves(derived.params, curveAt) },
    sizing,
  };
}
