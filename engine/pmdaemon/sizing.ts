import { performance } from 'node:perf_hooks';
import { decodeAll, encodeFrame, FrameDecoder } from '../protocol/index.js';
import { simulatedStats } from '../fleet/index.js';
import { percentile, round } from './stats.js';

/**
 * The source document's rule: thread pairs = Roundup(n / ((T_thr * 1000) / T_ptmax)),
 * T_thr the thread time quantum in ms, T_ptmax the maximum processing time per gateway in us:
 * one pair serves as many gateways as fit in one time quantum.
 *
 * Computed as ceil(n * T_ptmax / (T_thr * 1000)) over exact rationals (each input read as the
 * decimal it prints as), because in floating point 600 / (3000 / 35) is 7.000000000000001 and
 * Roundup makes that 8. A zero or negative quantum or processing time has no meaning (the
 * formula would divide by zero or serve infinitely many gateways per pair), so it is refused.
 */
export function documentThreadPairs(gateways: number, timeQuantumMs: number, ptmaxUs: number): number {
  if (!Number.isInteger(gateways) || gateways < 0) throw new RangeError(`sizing: gateways must be a whole number of at least 0, got ${gateways}`);
  if (!(timeQuantumMs > 0) || !Number.isFinite(timeQuantumMs)) throw new RangeError(`sizing: the thread time quantum T_thr must be more than 0 ms, got ${timeQuantumMs}`);
  if (!(ptmaxUs > 0) || !Number.isFinite(ptmaxUs)) throw new RangeError(`sizing: the maximum processing time per gateway T_ptmax must be more than 0 us, got ${ptmaxUs}`);
  if (gateways === 0) return 0;
  const ptmax = exactDecimal(ptmaxUs);
  const quantum = exactDecimal(timeQuantumMs);
  // n * (pn / pd) / ((qn / qd) * 1000) = n * pn * qd / (pd * qn * 1000)
  const num = BigInt(gateways) * ptmax.num * quantum.den;
  const den = ptmax.den * quantum.num * 1000n;
  return Number((num + den - 1n) / den);
}

/** A finite positive number as the exact fraction of the decimal JavaScript prints for it. */
function exactDecimal(x: number): { num: bigint; den: bigint } {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) throw new RangeError(`sizing: ${x} is not a finite positive number`);
  const frac = m[2] ?? '';
  const exp = Number(m[3] ?? 0) - frac.length;
  const digits = BigInt(m[1]! + frac);
  return exp >= 0 ? { num: digits * 10n ** BigInt(exp), den: 1n } : { num: digits, den: 10n ** BigInt(-exp) };
}

export interface MeasuredRuleInput {
  gateways: number;
  /** Daemon CPU per gateway per poll cycle, measured (bench messaging or measureMessageCost). */
  perGatewayUs: number;
  intervalMs: number;
  /** Replies are due within this; the shards' work for one cycle must fit in it. */
  deadlineMs: number;
  cores: number;
  /** Share of the deadline a shard may spend busy, leaving room for bursts and the fleet. */
  utilisation?: number;
  /** Allow more shards than cores. */
  allowOversubscribe?: boolean;
}

/**
 * The measured rule: shards so that each shard's work for one cycle (its gateways times the
 * per-gateway cost) fits in a share of the deadline, and the whole load fits in the interval;
 * never more shards than cores unless asked.
 */
export function measuredShards(input: MeasuredRuleInput): { shards: number; unclamped: number; cpuShareOfInterval: number } {
  const u = input.utilisation ?? 0.5;
  for (const [name, v] of [['per-gateway cost (us)', input.perGatewayUs], ['deadline (ms)', input.deadlineMs], ['interval (ms)', input.intervalMs], ['utilisation', u]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`sizing: the ${name} must be more than 0, got ${v}`);
  }
  const workUs = input.gateways * input.perGatewayUs;
  const unclamped = Math.max(1, Math.ceil(workUs / (input.deadlineMs * 1000 * u)));
  const shards = input.allowOversubscribe ? unclamped : Math.min(unclamped, Math.max(1, input.cores));
  return { shards, unclamped, cpuShareOfInterval: workUs / (input.intervalMs * 1000 * Math.max(1, input.cores)) };
}

export interface MessageCost {
  samples: number;
  meanUs: number;
  p99Us: number;
  maxUs: number;
}

/**
 * The daemon's processing per gateway per poll, on this machine, without sockets: encode a poll,
 * decode it, encode a 4-entry stats reply, decode that. Measured in batches so the timer's
 * resolution does not dominate; `maxUs` is the worst batch average (the document's T_ptmax).
 */
export function measureMessageCost(samples = 200, batch = 50): MessageCost {
  const entries = simulatedStats(1, 1, ['host-0', 'host-1'], ['lun-0', 'lun-1']);
  const perGateway: number[] = [];
  // Warm up the JIT first so the figures describe steady state.
  for (let i = 0; i < 2000; i++) decodeAll(encodeFrame(i, { type: 'stats', intervalMs: 1000, entries }));
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) {
      const decoder = new FrameDecoder();
      decoder.push(encodeFrame(i + 1, { type: 'poll', intervalMs: 1000 }));
      decoder.push(encodeFrame(i + 1, { type: 'stats', intervalMs: 1000, entries }));
    }
    perGateway.push(((performance.now() - t0) * 1000) / batch);
  }
  const mean = perGateway.reduce((a, b) => a + b, 0) / perGateway.length;
  return { samples: samples * batch, meanUs: round(mean, 3), p99Us: round(percentile(perGateway, 99), 3), maxUs: round(Math.max(...perGateway), 3) };
}

export interface ShardRecommendation {
  gateways: number;
  cores: number;
  timeQuantumMs: number;
  ptmaxUs: number;
  perGatewayUs: number;
  documentFormula: number;
  measuredRule: number;
  measuredUnclamped: number;
  recommended: number;
  basis: string;
}

export function recommendShards(input: MeasuredRuleInput & { timeQuantumMs?: number; ptmaxUs: number }): ShardRecommendation {
  const timeQuantumMs = input.timeQuantumMs ?? 10;
  const doc = documentThreadPairs(input.gateways, timeQuantumMs, input.ptmaxUs);
  const measured = measuredShards(input);
  return {
    gateways: input.gateways,
    cores: input.cores,
    timeQuantumMs,
    ptmaxUs: input.ptmaxUs,
    perGatewayUs: input.perGatewayUs,
    documentFormula: doc,
    measuredRule: measured.shards,
    measuredUnclamped: measured.unclamped,
    recommended: measured.shards,
    basis: `measured rule: ${input.gateways} gateways x ${input.perGatewayUs} us within ${Math.round((input.utilisation ?? 0.5) * 100)}% of a ${input.deadlineMs} ms deadline${measured.unclamped > measured.shards ? `, capped at ${input.cores} cores (would need ${measured.unclamped})` : ''}`,
  };
}
