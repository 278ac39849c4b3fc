import { busLawFor, type Machine, type SimThread } from './model.js';

export interface CoSchedule {
  threads: string[];
  /** Time this set of threads runs together in the best schedule. */
  time: number;
}

export interface OracleResult {
  /** The shortest possible makespan of the job set on this machine (fluid bound, see below). */
  makespan: number;
  workCompleted: number;
  /** workCompleted / makespan: no dispatcher can beat it. */
  throughput: number;
  coSchedules: CoSchedule[];
  subsetsSearched: number;
}

export const ORACLE_MAX_CPUS = 8;
/** The dense simplex tableau is subsets × (threads + subsets); this keeps it under ~20 MB. */
export const ORACLE_MAX_SUBSETS = 1500;

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/**
 * The best possible schedule for a small job set, by exhaustive search over co-schedules. Every
 * subset S of at most P threads is a co-schedule in which thread i progresses at speed sᵢ(S) (the
 * simulator's bus law). Choosing how long xₛ each runs to finish all work wᵢ in the least
 * total time is a linear programme over all subsets:
 *     minimise Σ xₛ  subject to  Σₛ xₛ sᵢ(S) ≥ wᵢ,  xₛ ≥ 0.
 * Any time-sliced schedule the simulator produces is a feasible point of it (between events it
 * runs one co-schedule), so its optimum bounds every dispatcher, and AutoPilot's throughput is
 * reported as a fraction of it. Solved through its dual (max Σ wᵢyᵢ, Σ_{i∈S} yᵢ sᵢ(S) ≤ 1), whose
 * origin is feasible, by Dantzig's rule with Bland's as the fallback so it cannot cycle. Returns null for job sets it does not
 * cover: more than `maxThreads` threads, 8 CPUs or 1500 co-schedules, phases, arrivals after 0,
 * or a horizon.
 */
export function fluidOracle(machine: Machine, threads: readonly SimThread[], maxThreads = 10, maxSubsets = ORACLE_MAX_SUBSETS): OracleResult | null {
  const n = threads.length;
  const P = Math.min(machine.cpus, n);
  if (n === 0 || n > maxThreads || machine.cpus > ORACLE_MAX_CPUS || machine.horizon !== null) return null;
  if (threads.some((t) => t.phases.length !== 1 || t.arrival !== 0)) return null;
  let subsetCount = 0;
  for (let k = 1; k <= P; k++) subsetCount += binomial(n, k);
  if (subsetCount > maxSubsets) return null;
  const law = busLawFor(machine);
  const coDemand = new Float64Array(P);
  const coSpeed = new Float64Array(P);
  const work = threads.map((t) => t.phases[0]!.work);
  const demand = threads.map((t) => t.phases[0]!.busDemand);

  const subsets: number[][] = [];
  const chosen: number[] = [];
  const enumerate = (from: number): void => {
    if (chosen.length > 0) subsets.push([...chosen]);
    if (chosen.length === P) return;
    for (let i = from; i < n; i++) { chosen.push(i); enumerate(i + 1); chosen.pop(); }
  };
  enumerate(0);

  const m = subsets.length;
  const cols = n + m;
  // Tableau rows: one per subset (dual constraint), then the objective row.
  const A: Float64Array[] = subsets.map((S, r) => {
    const row = new Float64Array(cols + 1);
    S.forEach((i, k) => { coDemand[k] = demand[i]!; });
    law.evaluate(coDemand, S.length, coSpeed);
    S.forEach((i, k) => { row[i] = coSpeed[k]!; });
    row[n + r] = 1;
    row[cols] = 1;
    return row;
  });
  const obj = new Float64Array(cols + 1);
  for (let j = 0; j < n; j++) obj[j] = -work[j]!;
  const basis = subsets.map((_, r) => n + r);

  for (let iter = 0; iter < 10_000; iter++) {
    // Dantzig's rule (most negative reduced cost) takes far fewer pivots; after many pivots fall
    // back to Bland's rule, which cannot cycle.
    let enter = -1;
    if (iter < 2_000) {
      let most = -1e-9;
      for (let j = 0; j < cols; j++) if (obj[j]! < most) { most = obj[j]!; enter = j; }
    } else {
      for (let j = 0; j < cols; j++) if (obj[j]! < -1e-9) { enter = j; break; }
    }
    if (enter < 0) break;
    let leave = -1;
    let bestRatio = Infinity;
    for (let r = 0; r < m; r++) {
      const a = A[r]![enter]!;
      if (a > 1e-12) {
        const ratio = A[r]![cols]! / a;
        if (ratio < bestRatio - 1e-12 || (Math.abs(ratio - bestRatio) <= 1e-12 && basis[r]! < basis[leave]!)) { bestRatio = ratio; leave = r; }
      }
    }
    if (leave < 0) return null; // unbounded dual: some thread can never progress
    const pivotRow = A[leave]!;
    const pv = pivotRow[enter]!;
    for (let j = 0; j <= cols; j++) pivotRow[j]! /= pv;
    for (let r = 0; r < m; r++) {
      if (r === leave) continue;
      const row = A[r]!;
      const f = row[enter]!;
      if (f !== 0) for (let j = 0; j <= cols; j++) row[j]! -= f * pivotRow[j]!;
    }
    const f = obj[enter]!;
    for (let j = 0; j <= cols; j++) obj[j]! -= f * pivotRow[j]!;
    basis[leave] = enter;
  }
  const makespan = obj[cols]!;
  const totalWork = work.reduce((a, b) => a + b, 0);
  const coSchedules: CoSchedule[] = [];
  subsets.forEach((S, r) => {
    const time = obj[n + r]!;
    if (time > 1e-9) coSchedules.push({ threads: S.map((i) => threads[i]!.name), time });
  });
  coSchedules.sort((a, b) => b.time - a.time);
  return { makespan, workCompleted: totalWork, throughput: totalWork / makespan, coSchedules, subsetsSearched: m };
}
