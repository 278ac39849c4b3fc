import { createRng } from '../prng.js';
import type { QueueingBusParameters } from './queueing-parameters.js';
import type { QueueingMachine } from './queueing-law.js';

export interface TransactionRunResult {
  /** Per thread: transactions per unit time over those alone on the reference bus. */
  speeds: number[];
  /** Share of time the bus was busy (I/O and retries included). */
  utilisation: number;
  transactions: number;
}

/**
 * The queueing bus run transaction by transaction, independently of the MVA: each thread computes
 * for an exponential time of mean Z = (1 − d)/d, then queues one transaction; the bus serves one
 * at a time (exponential service, FCFS or round-robin over the masters), a transaction that finds
 * the bus busy costs `retryCycles` more, and I/O arrives as a Poisson stream. Time is in units of
 * the reference bus's service time, as in QueueingBusLaw.
 */
export function runTransactions(
  m: QueueingMachine, p: QueueingBusParameters, demands: readonly number[],
  options: { transactions?: number; seed?: number } = {},
): TransactionRunResult {
  const n = demands.length;
  const total = options.transactions ?? 200_000;
  const warm = Math.floor(total / 10);
  const rng = createRng(options.seed ?? 1);
  const exp = (mean: number): number => -mean * Math.log(1 - rng.next());
  const active = demands.map((d) => d > 0);
  const think = demands.map((d) => (d > 0 ? (1 - Math.min(d, 1 - 1e-9)) / Math.min(d, 1 - 1e-9) : Infinity));
  const masters = active.filter(Boolean).length + (m.ioLoad > 0 ? 1 : 0);
  const base = 1 / m.busBandwidth + (masters >= 2 ? p.arbitrationCycles / p.serviceCycles / m.busBandwidth : 0);
  const retry = p.retryCycles / p.serviceCycles / m.busBandwidth;
  const ioMaster = n; // the I/O stream's place in round-robin order
  const ioRate = m.ioLoad;

  const thinkEnd = think.map((z) => (Number.isFinite(z) ? exp(z) : Infinity));
  let ioNext = ioRate > 0 ? exp(1 / ioRate) : Infinity;
  const fifo: number[] = [];
  let fifoHead = 0;
  const waiting = new Uint8Array(n);
  let ioWaiting = 0;
  let lastServed = n;
  let busyUntil = Infinity;
  let inService = -1;
  let t = 0;
  let done = 0;
  let windowStart = 0;
  let busyTime = 0;
  const counts = new Float64Array(n);

  const pickNext = (): number => {
    if (p.arbitration === 'fcfs') return fifoHead < fifo.length ? fifo[fifoHead++]! : -1;
    for (let step = 1; step <= n + 1; step++) {
      const k = (lastServed + step) % (n + 1);
      if (k === ioMaster ? ioWaiting > 0 : waiting[k] === 1) return k;
    }
    return -1;
  };
  const startService = (who: number, foundBusy: boolean): void => {
    inService = who;
    lastServed = who;
    if (who === ioMaster) ioWaiting = Math.max(0, ioWaiting - 1); else waiting[who] = 0;
    busyUntil = t + exp(base) + (foundBusy ? retry : 0);
  };
  const arrive = (who: number): void => {
    const busy = inService >= 0;
    if (!busy) { startService(who, false); return; }
    if (p.arbitration === 'fcfs') fifo.push(who);
    if (who === ioMaster) ioWaiting++; else waiting[who] = 1;
    // Remember that this thread found the bus taken: it pays the retry when served (I/O does not retry).
    if (retry > 0 && who !== ioMaster) pendingRetry.add(who);
  };
  const pendingRetry = new Set<number>();

  while (done < total) {
    let next = busyUntil;
    let kind = 0; // 0 bus completion, 1 thread arrival, 2 I/O arrival
    let who = -1;
    for (let i = 0; i < n; i++) if (thinkEnd[i]! < next) { next = thinkEnd[i]!; kind = 1; who = i; }
    if (ioNext < next) { next = ioNext; kind = 2; }
    if (!Number.isFinite(next)) break;
    if (inService >= 0 && done >= warm) busyTime += next - t;
    t = next;
    if (kind === 0) {
      const finished = inService;
      if (finished !== ioMaster) {
        if (done >= warm) counts[finished]! += 1;
        thinkEnd[finished] = t + exp(think[finished]!);
      }
      done++;
      if (done === warm) { windowStart = t; busyTime = 0; counts.fill(0); }
      inService = -1;
      busyUntil = Infinity;
      const k = pickNext();
      if (k >= 0) {
        const paid = k !== ioMaster && pendingRetry.delete(k);
        startService(k, paid);
      }
    } else if (kind === 1) {
      thinkEnd[who] = Infinity;
      arrive(who);
    } else {
      ioNext = t + exp(1 / ioRate);
      arrive(ioMaster);
    }
  }
  const window = t - windowStart;
  const speeds = demands.map((d, i) => (d > 0 ? (counts[i]! / window) * (think[i]! + 1) : 1));
  return { speeds, utilisation: window > 0 ? busyTime / window : 0, transactions: done - warm };
}
